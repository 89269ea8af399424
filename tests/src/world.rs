//! The world a test acts in: a fresh table in the emulator, a team with an owner,
//! an administrator and a member, a second team, and a clock the test controls;
//! and the production handlers over the real adapters that serve it.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use std::sync::Arc;

use invitations_core::adapters::dynamo::table::{create_table, create_table_without_stream};
use invitations_core::adapters::dynamo::DynamoStore;
use invitations_core::adapters::eventbridge::EventBridgePublisher;
use invitations_core::adapters::secrets::SecretsManagerKeys;
use invitations_core::adapters::ses::SesMailer;
use invitations_core::clock::{Clock, ManualClock, SystemClock};
use invitations_core::config;
use invitations_core::domain::{
    Email, Membership, PlatformPrincipals, RoleCatalog, RoleName, Team, TeamId, TeamLimits, TeamName, UserId,
};
use invitations_core::http::{
    AuthMode, InviteFunction, LinksFunction, ListFunction, PlatformFunction, RespondFunction,
    WithdrawFunction,
};
use invitations_core::ports::{MemberStore, TeamStore};
use invitations_core::service::domains::Domains;
use invitations_core::service::invitations::{
    Answering, Consenting, Listing, Reminding, Sending, Withdrawing,
};
use invitations_core::service::join_requests::JoinRequests;
use invitations_core::service::links::Links;
use invitations_core::service::members::Members;
use invitations_core::service::teams::Teams;
use invitations_core::service::{Context, Settings};
use invitations_core::triggers::closing::ClosingTrigger;
use invitations_core::triggers::reminders::RemindersTrigger;
use invitations_core::triggers::ses::{DeliveryTrigger, Origin};
use invitations_core::triggers::stream::EventsTrigger;

use crate::changes::{EventSink, StreamReader};
use crate::emulator::{endpoint, sdk_config};
use crate::request::{call_handlers, token_of, Api, Call, Resp};
use crate::{Observer, APP_BASE_URL, SECRET, VERIFIED_SENDER};

#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub email: String,
}

impl User {
    pub fn new(sub: &str, email: &str) -> Self {
        Self { sub: sub.into(), email: email.into() }
    }

    /// The claims the JWT authorizer passes on, as strings: a verified address.
    pub fn claims(&self) -> Value {
        json!({ "sub": self.sub, "email": self.email, "email_verified": "true" })
    }
}

/// The account the tests' events come from, and the SES configuration set
/// their emails are sent with (what the delivery function accepts).
pub const ACCOUNT: &str = "123456789012";
pub const CONFIGURATION_SET: &str = "invitations";

pub struct World {
    pub handlers: Arc<Api>,
    pub clock: Arc<ManualClock>,
    pub store: DynamoStore,
    pub team: String,
    pub other_team: String,
    pub owner: User,
    pub admin: User,
    pub member: User,
    /// Owner of the other team: a manager, but not of `team`.
    pub outsider: User,
    /// Unique per world, so emails sent by one test never match another's.
    pub tag: String,
    /// What the handlers' DynamoDB, SES and Secrets Manager clients sent.
    pub dynamo_seen: Observer,
    pub ses_seen: Observer,
    pub secrets_seen: Observer,
    /// What the events function's EventBridge client sent.
    pub events_seen: Observer,
    /// The link secret's id in the emulator, and a client to rotate it.
    pub link_secret_id: String,
    pub secrets: aws_sdk_secretsmanager::Client,
    clients: Clients,
    /// The events function's EventBridge client (watched by `events_seen`).
    events: aws_sdk_eventbridge::Client,
    options: Options,
}

/// The SDK clients the handlers are built on (watched by the observers).
#[derive(Clone)]
pub struct Clients {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub sender: &'static str,
    pub validity: TimeDelta,
    pub trust_unverified_email: bool,
    /// The link secret's first value.
    pub link_secret: &'static str,
    /// How soon an unverifiable link may make an instance read the keys again.
    pub keys_min_refresh: std::time::Duration,
    /// Each team's limits (the defaults: far above what a test sends).
    pub limits: TeamLimits,
    /// Federated providers whose verified addresses count without the link.
    pub linkless_providers: &'static [&'static str],
    /// The team's name (the longest a test needs, to measure its items).
    pub team_name: &'static str,
    /// Emails per mailbox per day (the default; every world has its own table).
    pub emails_per_recipient_per_day: u32,
    /// The table has its change stream (`World::streamed`). Off by default:
    /// moto copies a whole table, stream records included, for every
    /// transaction, so a long-lived stream makes each write slower.
    pub stream: bool,
    /// Meters what every DynamoDB request of the world would cost (the
    /// benchmark's; it reads each item a request touches, twice for a write).
    pub capacity: Option<crate::capacity::Meter>,
    /// How long before expiry the reminder goes out (None: no reminders).
    pub reminder_lead: Option<TimeDelta>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sender: VERIFIED_SENDER,
            validity: config::default_validity(),
            trust_unverified_email: false,
            link_secret: SECRET,
            keys_min_refresh: invitations_core::adapters::secrets::MIN_REFRESH,
            limits: config::default_limits(),
            emails_per_recipient_per_day: config::DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY as u32,
            team_name: "Acme Rockets",
            linkless_providers: &[],
            stream: false,
            capacity: None,
            reminder_lead: Some(TimeDelta::seconds(config::DEFAULT_REMINDER_LEAD_SECONDS)),
        }
    }
}

fn start_time() -> DateTime<Utc> {
    // A fixed, recent instant: runs are reproducible and nothing reads the wall clock.
    DateTime::parse_from_rfc3339("2026-11-02T09:30:00Z").unwrap().with_timezone(&Utc)
}

impl World {
    pub async fn new() -> Self {
        Self::with(Options::default()).await
    }

    /// A world whose table has its change stream, as deployed (the events).
    pub async fn streamed() -> Self {
        Self::with(Options { stream: true, ..Options::default() }).await
    }

    pub async fn with(options: Options) -> Self {
        let sdk = sdk_config().await;
        let sdk = match &options.capacity {
            Some(meter) => {
                let reader = aws_sdk_dynamodb::Client::new(&sdk);
                sdk.to_builder().http_client(meter.http_client(crate::http_client(), reader)).build()
            }
            None => sdk,
        };
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let table = format!("invitations-test-{tag}");
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let created = match options.stream {
            true => create_table(&dynamo, &table).await,
            false => create_table_without_stream(&dynamo, &table).await,
        };
        created.unwrap_or_else(|e| panic!("could not create a table in the emulator at {}: {e}", endpoint()));
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        // Registering an identity twice fails in some emulators; either way it exists.
        let _ = ses.create_email_identity().email_identity(VERIFIED_SENDER).send().await;

        let clock = Arc::new(ManualClock::new(start_time()));
        let store = DynamoStore::new(dynamo.clone(), table.clone());
        let user = |role: &str| User::new(&format!("{role}-{tag}"), &format!("{role}.{tag}@example.com"));
        let (owner, admin, member, outsider) =
            (user("owner"), user("admin"), user("member"), user("outsider"));
        let team = format!("team-{tag}");
        let other_team = format!("other-{tag}");
        seed_team(&store, &team, options.team_name, &owner, start_time()).await;
        add_member(&store, &team, &admin, "administrator").await;
        add_member(&store, &team, &member, "member").await;
        seed_team(&store, &other_team, "Globex", &outsider, start_time()).await;

        // The link secret, in the emulator's Secrets Manager as in AWS.
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let link_secret_id = format!("link-secret-{tag}");
        secrets
            .create_secret()
            .name(&link_secret_id)
            .secret_string(options.link_secret)
            .send()
            .await
            .unwrap_or_else(|e| panic!("could not create the link secret in the emulator: {e:?}"));

        // The functions' own clients are watched: round trips and IAM actions.
        let (dynamo_seen, ses_seen, secrets_seen, events_seen) =
            (Observer::default(), Observer::default(), Observer::default(), Observer::default());
        let clients = Clients {
            dynamo: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(dynamo_seen.clone()).build(),
            ),
            ses: aws_sdk_sesv2::Client::from_conf(
                aws_sdk_sesv2::config::Builder::from(&sdk).interceptor(ses_seen.clone()).build(),
            ),
            secrets: aws_sdk_secretsmanager::Client::from_conf(
                aws_sdk_secretsmanager::config::Builder::from(&sdk).interceptor(secrets_seen.clone()).build(),
            ),
        };
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&sdk).interceptor(events_seen.clone()).build(),
        );
        let handlers = Arc::new(handlers(&clients, &table, &link_secret_id, clock.clone(), &options));
        Self {
            handlers,
            clients,
            events,
            options,
            secrets,
            link_secret_id,
            secrets_seen,
            clock,
            store,
            team,
            other_team,
            owner,
            admin,
            member,
            outsider,
            tag,
            dynamo_seen,
            ses_seen,
            events_seen,
        }
    }

    /// The remind function as the schedule runs it, on the world's clock.
    pub fn reminders_function(&self) -> RemindersTrigger<DynamoStore, SesMailer, SecretsManagerKeys> {
        let store = DynamoStore::new(self.clients.dynamo.clone(), self.store.table_name());
        let keys = SecretsManagerKeys::new(self.clients.secrets.clone(), Some(self.link_secret_id.clone()));
        let mailer =
            SesMailer::new(self.clients.ses.clone(), Email::parse(self.options.sender).unwrap(), None);
        RemindersTrigger::new(Reminding::new(store, mailer, keys, context(self.clock.clone(), &self.options)))
    }

    /// One run of the remind function: its tally (`sent`, `dropped`, ...).
    pub async fn run_reminders(&self) -> Value {
        self.reminders_function().handle(&json!({})).await.expect("the run succeeds")
    }

    /// The events function as Lambda runs it, publishing to bus `bus`.
    pub fn events_function(&self, bus: &str) -> EventsTrigger<EventBridgePublisher> {
        EventsTrigger::new(EventBridgePublisher::new(self.events.clone(), bus))
    }

    /// The delivery function as Lambda runs it, on this world's table.
    pub fn delivery_function(&self) -> DeliveryTrigger<DynamoStore> {
        DeliveryTrigger::new(
            DynamoStore::new(self.clients.dynamo.clone(), self.store.table_name()),
            Origin { account: ACCOUNT.into(), configuration_set: CONFIGURATION_SET.into() },
        )
    }

    /// The closing function as Lambda runs it, on this world's table, with
    /// pages of `page` items (the function's: 100).
    pub fn closing_function(&self, page: usize) -> ClosingTrigger<DynamoStore> {
        let store = DynamoStore::new(self.clients.dynamo.clone(), self.store.table_name());
        ClosingTrigger::new(Teams::new(store, context(self.clock.clone(), &self.options)).with_page(page))
    }

    /// The closing steps the stream hands the closing function, from the
    /// stream's start (a streamed world's).
    pub async fn closing_stream(&self) -> StreamReader {
        StreamReader::closing(&self.clients.dynamo, self.store.table_name()).await
    }

    /// Takes every closing step the stream hands over until it hands none
    /// (as Lambda would, through the closing mapping's filter), with pages of
    /// `page` items; returns the steps taken. No step may fail.
    pub async fn run_closings(&self, stream: &mut StreamReader, page: usize) -> usize {
        let function = self.closing_function(page);
        let mut steps = 0;
        loop {
            let batch = stream.batch();
            let records = batch["Records"].as_array().map_or(0, Vec::len);
            if records == 0 {
                return steps;
            }
            let answer = function.handle(&batch).await;
            assert_eq!(answer, json!({"batchItemFailures": []}), "every closing step is taken");
            steps += records;
        }
    }

    /// This world's table's change stream, from its start.
    pub async fn stream(&self) -> StreamReader {
        StreamReader::new(&self.clients.dynamo, self.store.table_name()).await
    }

    /// A subscriber to a new bus of this world's.
    pub async fn event_sink(&self) -> EventSink {
        EventSink::new(&self.events, &format!("bus-{}", self.tag)).await
    }

    /// The functions as a new Lambda instance would run them: the same table,
    /// clock and watched clients, nothing cached (the link keys are read again).
    pub fn instance(&self) -> Arc<Api> {
        Arc::new(handlers(
            &self.clients,
            self.store.table_name(),
            &self.link_secret_id,
            self.clock.clone(),
            &self.options,
        ))
    }

    /// Rotates the link secret as Secrets Manager's rotation does: the new value
    /// becomes AWSCURRENT, the one before AWSPREVIOUS.
    pub async fn rotate_link_secret(&self, value: &str) {
        self.secrets
            .put_secret_value()
            .secret_id(&self.link_secret_id)
            .secret_string(value)
            .send()
            .await
            .unwrap_or_else(|e| panic!("rotating the link secret: {e:?}"));
    }

    /// The team as a domain value, for tests that write below the handlers.
    pub fn team_value(&self) -> Team {
        Team {
            id: TeamId::parse(&self.team).unwrap(),
            name: TeamName::parse(self.options.team_name).unwrap(),
            created_at: start_time(),
        }
    }

    /// A fresh address nobody has used, unique to this world.
    pub fn email(&self, name: &str) -> String {
        format!("{name}.{}@example.com", self.tag)
    }

    pub async fn membership(&self, team: &str, user: &User) -> Option<Membership> {
        self.store
            .membership(&TeamId::parse(team).unwrap(), &UserId::parse(&user.sub).unwrap())
            .await
            .expect("store reachable")
    }

    pub async fn call(&self, call: Call) -> Resp {
        call_handlers(&self.handlers, call).await
    }

    /// A new member of this world's team with `role` (as an operator would add one).
    pub async fn joined(&self, name: &str, role: &str) -> User {
        let user = User::new(&format!("{name}-{}", self.tag), &self.email(name));
        add_member(&self.store, &self.team, &user, role).await;
        user
    }

    pub async fn remove_member(&self, caller: &User, user: &User) -> Resp {
        self.call(Call::remove_member(&self.team, &user.sub).by(caller)).await
    }

    pub async fn invite(&self, caller: &User, email: &str, role: &str) -> Resp {
        self.call(Call::invite(&self.team, json!({"email": email, "role": role})).by(caller)).await
    }

    /// Invites and returns (invitation id, link token), asserting success.
    pub async fn invited(&self, email: &str, role: &str) -> (String, String) {
        let resp = self.invite(&self.owner, email, role).await;
        assert_eq!(resp.status, 201, "invite failed: {}", resp.body);
        let link = resp.body["link"].as_str().expect("managers get the link").to_owned();
        (resp.body["id"].as_str().unwrap().to_owned(), token_of(&link))
    }

    pub async fn list(&self, caller: &User, query: &[(&str, &str)]) -> Resp {
        self.call(Call::list(&self.team).query(query).by(caller)).await
    }

    pub async fn withdraw(&self, caller: &User, id: &str) -> Resp {
        self.call(Call::withdraw(&self.team, id).by(caller)).await
    }

    pub async fn preview(&self, id: &str, token: &str) -> Resp {
        self.call(Call::preview(id, token)).await
    }

    pub async fn accept(&self, caller: &User, id: &str, token: &str) -> Resp {
        self.call(Call::accept(id, token).by(caller)).await
    }

    pub async fn decline(&self, caller: Option<&User>, id: &str, token: &str) -> Resp {
        let call = Call::decline(id, token);
        self.call(match caller {
            Some(u) => call.by(u),
            None => call,
        })
        .await
    }

    /// The status of one invitation as the team's list shows it to the owner.
    pub async fn status_in_list(&self, id: &str) -> String {
        let resp = self.list(&self.owner, &[("limit", "100")]).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        resp.body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["status"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("invitation {id} not in the list"))
    }
}

/// The six HTTP functions over the real adapters, with the test's clock and
/// settings, reading identity from the authorizer context as in AWS; each
/// built as `bootstrap` builds it (its own link-key cache among them).
pub fn handlers(
    clients: &Clients,
    table: &str,
    link_secret_id: &str,
    clock: Arc<dyn Clock>,
    options: &Options,
) -> Api {
    let store = DynamoStore::new(clients.dynamo.clone(), table);
    let keys = || {
        SecretsManagerKeys::new(clients.secrets.clone(), Some(link_secret_id.to_owned()))
            .with_min_refresh(options.keys_min_refresh)
    };
    let ctx = context(clock, options);
    let mailer = SesMailer::new(clients.ses.clone(), Email::parse(options.sender).unwrap(), None);
    let auth = AuthMode::Authorizer;
    Api {
        invite: InviteFunction { sending: Sending::new(store.clone(), mailer, keys(), ctx.clone()), auth },
        list: ListFunction {
            listing: Listing::new(store.clone(), keys(), ctx.clone()),
            members: Members::new(store.clone(), ctx.clone()),
            auth,
        },
        withdraw: WithdrawFunction {
            withdrawing: Withdrawing::new(store.clone(), ctx.clone()),
            members: Members::new(store.clone(), ctx.clone()),
            auth,
        },
        respond: RespondFunction { answering: Answering::new(store.clone(), keys(), ctx.clone()), auth },
        links: LinksFunction {
            links: Links::new(store.clone(), keys(), ctx.clone()),
            requests: JoinRequests::new(store.clone(), ctx.clone()),
            domains: Domains::new(store.clone(), ctx.clone()),
            consenting: Consenting::new(store.clone(), keys(), ctx.clone()),
            auth,
        },
        platform: PlatformFunction {
            teams: Teams::new(store, ctx),
            auth,
            principals: PlatformPrincipals::parse(crate::request::PLATFORM_ROLE).unwrap(),
        },
    }
}

/// What the functions share, with the test's clock and settings.
fn context(clock: Arc<dyn Clock>, options: &Options) -> Arc<Context> {
    Context::new(
        clock,
        RoleCatalog::builtin(),
        Settings {
            app_base_url: APP_BASE_URL.into(),
            invitation_validity: options.validity,
            history_retention: config::default_retention(),
            resend_cooldown: config::default_resend_cooldown(),
            reminder_lead: options.reminder_lead,
            branding: invitations_core::mail::Branding::default(),
            trust_unverified_email: options.trust_unverified_email,
            limits: options.limits,
            emails_per_recipient_per_day: options.emails_per_recipient_per_day,
            linkless_providers: options.linkless_providers.iter().map(|p| (*p).to_owned()).collect(),
        },
    )
}

/// The HTTP functions over given clients, on the wall clock, with the
/// defaults the functions use: for fault injection and the benchmarks.
pub fn handlers_with(clients: &Clients, table: &str, link_secret_id: &str) -> Api {
    handlers(clients, table, link_secret_id, Arc::new(SystemClock), &Options::default())
}

async fn seed_team(store: &DynamoStore, team: &str, name: &str, owner: &User, now: DateTime<Utc>) {
    let team =
        Team { id: TeamId::parse(team).unwrap(), name: TeamName::parse(name).unwrap(), created_at: now };
    let owner = membership(team.id.as_str(), owner, "owner", now);
    store.create_team(&team, &owner, None).await.expect("seed team");
}

async fn add_member(store: &DynamoStore, team: &str, user: &User, role: &str) {
    store.add_member(&membership(team, user, role, start_time())).await.expect("seed member");
}

fn membership(team: &str, user: &User, role: &str, now: DateTime<Utc>) -> Membership {
    Membership {
        team_id: TeamId::parse(team).unwrap(),
        user_id: UserId::parse(&user.sub).unwrap(),
        email: Email::parse(&user.email).unwrap(),
        role: RoleName::parse(role).unwrap(),
        joined_at: now,
        metadata: None,
    }
}
