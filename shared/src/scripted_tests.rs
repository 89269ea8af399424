//! The adapter and the service over a DynamoDB client that answers from a
//! script: what DynamoDB does under contention and no emulator reproduces (moto,
//! served one request at a time, never cancels a transaction for a conflict),
//! and rules that need a role catalog other than the built-in one. Every
//! request is held to DynamoDB's own rules (`StrictDynamo`) on its way.

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::types::CancellationReason;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;

use crate::adapters::dynamo::items::{self, invitation_item};
use crate::adapters::dynamo::strict::StrictDynamo;
use crate::adapters::dynamo::{DynamoStore, CONFLICT_ATTEMPTS};
use crate::clock::ManualClock;
use crate::domain::{
    Email, Invitation, LinkKeys, LinkSigner, RoleCatalog, RoleName, Team, TeamId, TeamName, UserId,
};
use crate::error::Error;
use crate::http::{AuthMode, PlatformFunction};
use crate::ports::{MailError, Mailer, OutgoingEmail};
use crate::service::invitations::{Answering, NewInvitation, Reminding, Sending, Withdrawing};
use crate::service::teams::Teams;
use crate::service::{Caller, Context, Settings};
use crate::triggers::closing::ClosingTrigger;

struct NoMail;

impl Mailer for NoMail {
    async fn send(&self, _: &OutgoingEmail) -> Result<(), MailError> {
        Ok(())
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-02T09:30:00Z").unwrap().with_timezone(&Utc)
}

const SECRET: &[u8] = b"conflict-tests-secret-of-32-bytes-or-more";

fn open_invitation() -> Invitation {
    let team = Team {
        id: TeamId::parse("acme").unwrap(),
        name: TeamName::parse("Acme").unwrap(),
        created_at: now(),
    };
    Invitation::new(
        &team,
        Email::parse("ada@example.com").unwrap(),
        RoleName::parse("member").unwrap(),
        UserId::parse("owner-1").unwrap(),
        now() - TimeDelta::days(1),
        TimeDelta::days(7),
    )
}

fn read(inv: &Invitation) -> Rule {
    let item = invitation_item(inv, inv.expires_at);
    mock!(Client::get_item).then_output(move || GetItemOutput::builder().set_item(Some(item.clone())).build())
}

/// The transaction cancelled because another one held an item
/// (`TransactionConflict`), on every attempt the adapter makes.
fn conflict(items: usize) -> Rule {
    mock!(Client::transact_write_items)
        .sequence()
        .error(move || {
            let mut reasons = vec![CancellationReason::builder().code("TransactionConflict").build()];
            reasons.resize_with(items, || CancellationReason::builder().code("None").build());
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder().set_cancellation_reasons(Some(reasons)).build(),
            )
        })
        .times(CONFLICT_ATTEMPTS as usize)
        .build()
}

/// The use cases these tests drive, over one scripted client.
struct Services {
    sending: Sending<DynamoStore, NoMail, LinkKeys>,
    answering: Answering<DynamoStore, LinkKeys>,
    withdrawing: Withdrawing<DynamoStore>,
    platform: PlatformFunction<DynamoStore>,
    closing: ClosingTrigger<DynamoStore>,
    reminding: Reminding<DynamoStore, NoMail, LinkKeys>,
}

fn service(rules: &[&Rule]) -> Services {
    service_with(RuleMode::Sequential, rules, RoleCatalog::builtin())
}

fn service_with(mode: RuleMode, rules: &[&Rule], roles: RoleCatalog) -> Services {
    let client = mock_client!(aws_sdk_dynamodb, mode, rules, |c| c.interceptor(StrictDynamo));
    let store = DynamoStore::new(client, "invitations");
    let keys = || LinkKeys::from(LinkSigner::new(SECRET).unwrap());
    let ctx = Context::new(
        Arc::new(ManualClock::new(now())),
        roles,
        Settings {
            app_base_url: "https://app.example.com".into(),
            invitation_validity: TimeDelta::days(7),
            history_retention: TimeDelta::days(90),
            resend_cooldown: TimeDelta::seconds(60),
            reminder_lead: Some(TimeDelta::hours(48)),
            branding: crate::mail::Branding::default(),
            trust_unverified_email: false,
            limits: crate::config::default_limits(),
            emails_per_recipient_per_day: crate::config::DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY as u32,
            linkless_providers: Vec::new(),
        },
    );
    Services {
        sending: Sending::new(store.clone(), NoMail, keys(), ctx.clone()),
        answering: Answering::new(store.clone(), keys(), ctx.clone()),
        withdrawing: Withdrawing::new(store.clone(), ctx.clone()),
        closing: ClosingTrigger::new(Teams::new(store.clone(), ctx.clone())),
        reminding: Reminding::new(store.clone(), NoMail, keys(), ctx.clone()),
        platform: PlatformFunction {
            teams: Teams::new(store, ctx),
            auth: AuthMode::Authorizer,
            principals: crate::domain::PlatformPrincipals::parse("arn:aws:iam::123456789012:role/platform")
                .unwrap(),
        },
    }
}

fn invitee() -> Caller {
    Caller {
        user_id: UserId::parse("ada").unwrap(),
        email: Some(Email::parse("ada@example.com").unwrap()),
        email_verified: Some(true),
        provider: Default::default(),
    }
}

fn token(inv: &Invitation) -> String {
    LinkSigner::new(SECRET).unwrap().sign(inv.id, inv.link_generation).as_str().to_owned()
}

#[tokio::test]
async fn an_accept_that_loses_a_race_to_another_answer_reports_the_winner() {
    let inv = open_invitation();
    let declined = inv.decline(None, now()).unwrap();
    let svc = service(&[&read(&inv), &conflict(4), &read(&declined)]);
    let err = svc.answering.accept(&invitee(), inv.id, Some(&token(&inv))).await.unwrap_err();
    assert_eq!(err, Error::NotOpen(crate::domain::Status::Declined));
}

#[tokio::test]
async fn an_accept_whose_conflict_left_the_invitation_open_is_retryable() {
    let inv = open_invitation();
    let svc = service(&[&read(&inv), &conflict(4), &read(&inv)]);
    let err = svc.answering.accept(&invitee(), inv.id, Some(&token(&inv))).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_withdrawal_that_conflicts_with_expiry_reports_expired() {
    let mut inv = open_invitation();
    inv.expires_at = now();
    let svc = service(&[&conflict(3), &read(&inv)]);
    let manager = Caller {
        user_id: UserId::parse("owner-1").unwrap(),
        email: None,
        email_verified: None,
        provider: Default::default(),
    };
    let err = svc.withdrawing.withdraw(&manager, &inv.team_id, inv.id).await.unwrap_err();
    assert_eq!(err, Error::Expired);
}

#[tokio::test]
async fn a_manager_cannot_grant_a_role_with_permissions_their_own_role_lacks() {
    use crate::domain::{Permission, Role};
    let recruiter = Role {
        name: RoleName::parse("recruiter").unwrap(),
        permissions: [Permission::MembersManage, Permission::MembersRead].into_iter().collect(),
        grantable_by_invitation: true,
    };
    let roles = RoleCatalog::builtin().with_role(recruiter);
    let inv = open_invitation();
    let (membership, team, limits) = invite_reads(&inv, "recruiter");
    let svc = service_with(RuleMode::MatchAny, &[&membership, &team, &limits], roles);
    let new = NewInvitation {
        email: Email::parse("bo@example.com").unwrap(),
        role: RoleName::parse("administrator").unwrap(),
        locale: Default::default(),
        valid_days: None,
        note: None,
        metadata: None,
    };
    let err = svc.sending.invite(&owner_of(&inv), &inv.team_id, new, None).await.unwrap_err();
    assert!(matches!(&err, Error::Validation(f) if f[0].field == "role"), "{err:?}");
}

/// The reads an invite makes first (the inviter's membership, the team and its
/// limits, concurrently), answered by key: the inviter of `inv` holds `role` in
/// its team, which has sent nothing yet.
fn invite_reads(inv: &Invitation, role: &str) -> (Rule, Rule, Rule) {
    use crate::domain::Membership;
    let team = Team { id: inv.team_id.clone(), name: inv.team_name.clone(), created_at: now() };
    let inviter = Membership {
        team_id: inv.team_id.clone(),
        user_id: inv.invited_by.clone(),
        email: Email::parse("inviter@example.com").unwrap(),
        role: RoleName::parse(role).unwrap(),
        joined_at: now(),
        metadata: None,
    };
    let (member_item, team_item) = (items::membership_item(&inviter), items::team_item(&team));
    let sk = |req: &aws_sdk_dynamodb::operation::get_item::GetItemInput| {
        req.key().and_then(|k| k.get("sk")).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
    };
    (
        mock!(Client::get_item)
            .match_requests(move |req| sk(req).starts_with("MEMBER#"))
            .then_output(move || GetItemOutput::builder().set_item(Some(member_item.clone())).build()),
        mock!(Client::get_item)
            .match_requests(move |req| sk(req) == "TEAM")
            .then_output(move || GetItemOutput::builder().set_item(Some(team_item.clone())).build()),
        mock!(Client::query)
            .match_requests(|req| {
                req.key_condition_expression().is_some_and(|k| k.contains("begins_with(sk"))
            })
            .then_output(|| aws_sdk_dynamodb::operation::query::QueryOutput::builder().build()),
    )
}

fn cancelled(
    codes: &'static [&'static str],
    item_at: Option<(usize, items::Item)>,
) -> TransactWriteItemsError {
    let reasons = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let item = item_at.as_ref().filter(|(at, _)| *at == i).map(|(_, item)| item.clone());
            CancellationReason::builder().code(*code).set_item(item).build()
        })
        .collect();
    TransactWriteItemsError::TransactionCanceledException(
        TransactionCanceledException::builder().set_cancellation_reasons(Some(reasons)).build(),
    )
}

/// The caller who sent `inv`.
fn owner_of(inv: &Invitation) -> Caller {
    Caller {
        user_id: inv.invited_by.clone(),
        email: None,
        email_verified: None,
        provider: Default::default(),
    }
}

fn new_invitation(email: &str) -> NewInvitation {
    NewInvitation {
        email: Email::parse(email).unwrap(),
        role: RoleName::parse("member").unwrap(),
        locale: Default::default(),
        valid_days: None,
        note: None,
        metadata: None,
    }
}

#[tokio::test]
async fn racing_invites_on_dynamodb_give_the_loser_409_not_503() {
    // DynamoDB cancels a transaction that overlaps another on the same lock with
    // TransactionConflict; the loser tries once more and meets the winner's lock.
    let winner = open_invitation();
    let (membership, team, limits) = invite_reads(&winner, "owner");
    let lock = items::open_lock_item(&winner);
    let transactions = mock!(Client::transact_write_items)
        .sequence()
        .error(|| cancelled(&["None", "TransactionConflict", "None", "None", "None"], None))
        .error(move || {
            cancelled(&["None", "ConditionalCheckFailed", "None", "None", "None"], Some((1, lock.clone())))
        })
        .build();
    let holder = read(&winner);
    let svc = service_with(
        RuleMode::MatchAny,
        &[&membership, &team, &limits, &transactions, &holder],
        RoleCatalog::builtin(),
    );
    let err = svc
        .sending
        .invite(&owner_of(&winner), &winner.team_id, new_invitation("ada@example.com"), None)
        .await
        .unwrap_err();
    assert_eq!(err, Error::AlreadyInvited);
    assert_eq!(transactions.num_calls(), 2, "one retry after the conflict");
}

#[tokio::test]
async fn a_manager_removed_between_the_read_and_the_write_cannot_invite() {
    let inv = open_invitation();
    let (membership, team, limits) = invite_reads(&inv, "owner");
    let transaction = mock!(Client::transact_write_items)
        .then_error(|| cancelled(&["None", "None", "None", "ConditionalCheckFailed", "None"], None));
    let svc = service_with(
        RuleMode::MatchAny,
        &[&membership, &team, &limits, &transaction],
        RoleCatalog::builtin(),
    );
    let err = svc
        .sending
        .invite(&owner_of(&inv), &inv.team_id, new_invitation("bo@example.com"), None)
        .await
        .unwrap_err();
    assert_eq!(err, Error::Forbidden);
}

#[tokio::test]
async fn only_a_failed_condition_means_a_team_already_exists() {
    use crate::domain::Membership;
    use crate::ports::{CreateError, MemberStore, StoreError, TeamStore};
    let inv = open_invitation();
    let team = Team { id: inv.team_id.clone(), name: inv.team_name.clone(), created_at: now() };
    let owner = Membership {
        team_id: team.id.clone(),
        user_id: inv.invited_by.clone(),
        email: Email::parse("owner@example.com").unwrap(),
        role: RoleName::parse("owner").unwrap(),
        joined_at: now(),
        metadata: None,
    };
    let store = |codes: &'static [&'static str]| {
        let rule = mock!(Client::transact_write_items).then_error(move || cancelled(codes, None));
        let client =
            mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&rule], |c| c.interceptor(StrictDynamo));
        DynamoStore::new(client, "invitations")
    };
    let exists = store(&["ConditionalCheckFailed", "None", "None"]).create_team(&team, &owner, None).await;
    assert_eq!(exists, Err(CreateError::AlreadyExists));
    let invalid = store(&["ValidationError", "None", "None"]).create_team(&team, &owner, None).await;
    assert!(matches!(invalid, Err(CreateError::Store(StoreError::Other(_)))), "{invalid:?}");
    let busy = store(&["ThrottlingError", "None", "None"]).add_member(&owner).await;
    assert!(matches!(busy, Err(CreateError::Store(StoreError::Unavailable(_)))), "{busy:?}");
}

#[tokio::test]
async fn invites_of_one_team_meeting_on_its_limits_item_are_retried_until_one_passes() {
    // Real DynamoDB cancels overlapping transactions on the team's limits item
    // (every invite of the team writes it); each conflict is retried a little
    // later, so a burst of a team's invites is not a burst of 503s.
    let inv = open_invitation();
    let (membership, team, limits) = invite_reads(&inv, "owner");
    let conflict_on_limits = || cancelled(&["None", "None", "None", "None", "TransactionConflict"], None);
    let transactions = mock!(Client::transact_write_items)
        .sequence()
        .error(conflict_on_limits)
        .error(conflict_on_limits)
        .error(conflict_on_limits)
        .output(|| {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput::builder().build()
        })
        .build();
    let svc = service_with(
        RuleMode::MatchAny,
        &[&membership, &team, &limits, &transactions],
        RoleCatalog::builtin(),
    );
    let created =
        svc.sending.invite(&owner_of(&inv), &inv.team_id, new_invitation("bo@example.com"), None).await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(transactions.num_calls(), 4);
}

#[tokio::test]
async fn closing_a_team_ends_its_memberships_in_requests_dynamodb_accepts() {
    // Ending a membership once sent `"ExpressionAttributeValues":{}`, which
    // DynamoDB refuses and the emulators took: in AWS every closing stopped
    // after marking the team closed, and its members kept their access.
    use crate::domain::Membership;
    use aws_sdk_dynamodb::operation::query::QueryOutput;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
    use aws_sdk_dynamodb::types::AttributeValue;
    let inv = open_invitation();
    let team = Team { id: inv.team_id.clone(), name: inv.team_name.clone(), created_at: now() };
    let member = Membership {
        team_id: team.id.clone(),
        user_id: UserId::parse("ada").unwrap(),
        email: Email::parse("ada@example.com").unwrap(),
        role: RoleName::parse("member").unwrap(),
        joined_at: now(),
        metadata: None,
    };
    // The team as closed, its closing at the memberships (step 1).
    let mut closed = items::team_item(&team);
    let s = |v: &str| AttributeValue::S(v.into());
    let n = |v: &str| AttributeValue::N(v.into());
    for (name, value) in [
        ("closedAt", closed["createdAt"].clone()),
        ("closeStage", s("members")),
        ("closeStep", n("1")),
        ("closedBy", s("platform")),
        ("closeWithdrawn", n("0")),
        ("closeEnded", n("0")),
    ] {
        closed.insert(name.into(), value);
    }
    let member_item = items::membership_item(&member);
    // The mark, then the membership's end; the counters' marks and the step's
    // advance; the team as marked; one member (the table's query).
    let writes =
        mock!(Client::transact_write_items).then_output(|| TransactWriteItemsOutput::builder().build());
    let updates = mock!(Client::update_item)
        .then_output(|| aws_sdk_dynamodb::operation::update_item::UpdateItemOutput::builder().build());
    let record = {
        let closed = closed.clone();
        mock!(Client::get_item)
            .then_output(move || GetItemOutput::builder().set_item(Some(closed.clone())).build())
    };
    // The team holds no verified domain (the mark's answer removes them).
    let domains = mock!(Client::query)
        .match_requests(move |q| {
            q.expression_attribute_values().and_then(|v| v.get(":prefix")) == Some(&s("DOMAIN#"))
        })
        .then_output(|| QueryOutput::builder().build());
    let members = mock!(Client::query)
        .match_requests(|q| q.index_name().is_none())
        .then_output(move || QueryOutput::builder().items(member_item.clone()).build());
    let svc = service_with(
        RuleMode::MatchAny,
        &[&writes, &updates, &record, &domains, &members],
        RoleCatalog::builtin(),
    );
    let close =
        crate::http::fixtures::ApiRequest::new("DELETE", "/platform/teams/{teamId}", "/platform/teams/acme")
            .path_param("teamId", "acme")
            .iam("arn:aws:sts::123456789012:assumed-role/platform/scripted")
            .request();
    let resp = svc.platform.handle(close).await;
    assert_eq!(resp.status(), 202);
    assert_eq!(writes.num_calls(), 1, "the mark");
    // The closing function, handed the step by the stream.
    let image: serde_json::Map<String, serde_json::Value> = closed
        .iter()
        .map(|(k, v)| {
            let v = match v {
                AttributeValue::S(s) => serde_json::json!({ "S": s }),
                AttributeValue::N(n) => serde_json::json!({ "N": n }),
                other => panic!("{other:?}"),
            };
            (k.clone(), v)
        })
        .collect();
    let record =
        serde_json::json!({"eventName": "MODIFY", "dynamodb": {"SequenceNumber": "1", "NewImage": image}});
    let answer = svc.closing.handle(&serde_json::json!({ "Records": [record] })).await;
    assert_eq!(answer, serde_json::json!({"batchItemFailures": []}));
    assert_eq!(writes.num_calls(), 2, "the mark, then the membership's end");
}

#[tokio::test]
async fn a_reminder_whose_transaction_keeps_meeting_others_stays_due() {
    // In DynamoDB a reminder's transaction can meet others on the team's limits
    // item (an invite) under every retry: nothing was decided, so the reminder
    // stays on the schedule for the next run rather than being dropped.
    use aws_sdk_dynamodb::operation::query::QueryOutput;
    let team = Team {
        id: TeamId::parse("acme").unwrap(),
        name: TeamName::parse("Acme").unwrap(),
        created_at: now(),
    };
    let mut inv = Invitation::new(
        &team,
        Email::parse("ada@example.com").unwrap(),
        RoleName::parse("member").unwrap(),
        UserId::parse("owner-1").unwrap(),
        now() - TimeDelta::hours(121),
        TimeDelta::days(7),
    )
    .with_reminder(Some(TimeDelta::hours(48)));
    inv.invited_by_email = Some(Email::parse("owner@example.com").unwrap());
    assert_eq!(inv.remind_at, Some(now() - TimeDelta::hours(1)), "fell due an hour ago");
    let stored = invitation_item(&inv, inv.expires_at);
    let key: items::Item = ["pk", "sk", "remindHour", "remindAt"]
        .into_iter()
        .map(|name| (name.to_owned(), stored[name].clone()))
        .collect();
    let hour = stored["remindHour"].clone();
    let schedule = mock!(Client::query)
        .match_requests(move |q| {
            q.index_name() == Some("byReminder")
                && q.expression_attribute_values().and_then(|v| v.get(":hour")) == Some(&hour)
        })
        .then_output(move || QueryOutput::builder().items(key.clone()).build());
    let other_hours = mock!(Client::query)
        .match_requests(|q| q.index_name() == Some("byReminder"))
        .then_output(|| QueryOutput::builder().build());
    let usage = mock!(Client::query)
        .match_requests(|q| q.index_name().is_none())
        .then_output(|| QueryOutput::builder().build());
    let transactions = conflict(3);
    let unschedule = mock!(Client::update_item)
        .then_output(|| aws_sdk_dynamodb::operation::update_item::UpdateItemOutput::builder().build());
    let svc = service_with(
        RuleMode::MatchAny,
        &[&schedule, &other_hours, &usage, &read(&inv), &transactions, &unschedule],
        RoleCatalog::builtin(),
    );
    let run = svc.reminding.run().await.unwrap();
    assert_eq!((run.sent, run.failed, run.dropped), (0, 1, 0), "{run:?}");
    assert_eq!(transactions.num_calls(), CONFLICT_ATTEMPTS as usize, "retried, then left");
    assert_eq!(unschedule.num_calls(), 0, "still on the schedule");
}
