//! `invitations-admin`: operator commands for the invitations table.
//!
//! Honours `TABLE_NAME` and the standard AWS variables (`AWS_ENDPOINT_URL`,
//! `AWS_REGION`, credentials), so the same commands serve the local emulator and a
//! real account.

use std::collections::HashMap;
use std::process::ExitCode;

use invitations_core::adapters::dynamo::table;
use invitations_core::adapters::dynamo::DynamoStore;
use invitations_core::bootstrap::sdk_config;
use invitations_core::clock::{Clock, SystemClock};
use invitations_core::config;
use invitations_core::dev::demo;
use invitations_core::domain::{
    Email, InvitationId, Membership, RoleCatalog, RoleName, Team, TeamId, TeamName, UserId,
};
use invitations_core::ports::{CreateError, MemberStore, TeamStore};

const USAGE: &str = "\
usage: invitations-admin <command> [options]

commands:
  create-table  [--no-stream]  (--no-stream: a table only read, never published)
  create-team   --team-id ID --name NAME --owner-id SUB --owner-email EMAIL
  add-member    --team-id ID --user-id SUB --email EMAIL --role ROLE
  verify-sender --email EMAIL     (register an SES sender identity)
  seed-demo     (local development: the demo team, its members, the open
                 invitations that requests/*.json act on, and the link secret
                 LINK_SIGNING_SECRET_ID with the key their links are signed with)
  expire-invitation --invitation-id ID
                (local development: an open invitation's week passes now)
  remind-now    --invitation-id ID
                (local development: an open invitation's pending reminder
                 falls due now; the remind function's next run sends it)
  set-seats     --team-id ID --seats N|none
                (a team's seat limit alone, its other limits kept; the
                 platform's route sets them all at once)

environment: TABLE_NAME (required), AWS_REGION, AWS_ENDPOINT_URL, AWS credentials";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("invitations-admin: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `--key value` pairs; every key must be one of `allowed`, and appear once.
fn options(args: &[String], allowed: &[&str]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(key) = it.next() {
        let name = key.strip_prefix("--").filter(|k| allowed.contains(k)).ok_or_else(|| {
            format!("unexpected argument {key:?}; expected one of --{}\n\n{USAGE}", allowed.join(", --"))
        })?;
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        if out.insert(name.to_owned(), value.clone()).is_some() {
            return Err(format!("--{name} given twice"));
        }
    }
    for name in allowed {
        if !out.contains_key(*name) {
            return Err(format!("--{name} is required\n\n{USAGE}"));
        }
    }
    Ok(out)
}

fn table_name() -> Result<String, String> {
    std::env::var("TABLE_NAME").ok().filter(|t| !t.is_empty()).ok_or_else(|| "TABLE_NAME is not set".into())
}

async fn run(args: &[String]) -> Result<String, String> {
    let (command, rest) = args.split_first().ok_or_else(|| USAGE.to_owned())?;
    match command.as_str() {
        "create-table" => {
            let stream = match rest {
                [] => true,
                [flag] if flag == "--no-stream" => false,
                _ => return Err(USAGE.to_owned()),
            };
            let table = table_name()?;
            let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
            let created = match stream {
                true => table::create_table(&client, &table).await,
                false => table::create_table_without_stream(&client, &table).await,
            };
            created.map_err(|e| e.to_string())?;
            Ok(format!("created table {table}"))
        }
        "create-team" => {
            let o = options(rest, &["team-id", "name", "owner-id", "owner-email"])?;
            let now = SystemClock.now();
            let team = Team {
                id: TeamId::parse(&o["team-id"]).map_err(|e| e.to_string())?,
                name: TeamName::parse(&o["name"]).map_err(|e| format!("--name: {e}"))?,
                created_at: now,
            };
            let owner = Membership {
                team_id: team.id.clone(),
                user_id: UserId::parse(&o["owner-id"]).map_err(|e| e.to_string())?,
                email: Email::parse(&o["owner-email"]).map_err(|e| e.to_string())?,
                role: RoleName::parse(RoleName::OWNER).expect("built-in role name"),
                joined_at: now,
                metadata: None,
            };
            store().await?.create_team(&team, &owner, None).await.map_err(|e| match e {
                CreateError::AlreadyExists => format!("team {} already exists", team.id),
                CreateError::Store(e) => e.to_string(),
            })?;
            Ok(format!("created team {} with owner {}", team.id, owner.user_id))
        }
        "add-member" => {
            let o = options(rest, &["team-id", "user-id", "email", "role"])?;
            let roles = RoleCatalog::builtin();
            let role = roles.get(&o["role"]).ok_or_else(|| format!("unknown role {:?}", o["role"]))?;
            let membership = Membership {
                team_id: TeamId::parse(&o["team-id"]).map_err(|e| e.to_string())?,
                user_id: UserId::parse(&o["user-id"]).map_err(|e| e.to_string())?,
                email: Email::parse(&o["email"]).map_err(|e| e.to_string())?,
                role: role.name.clone(),
                joined_at: SystemClock.now(),
                metadata: None,
            };
            let store = store().await?;
            if store.team(&membership.team_id).await.map_err(|e| e.to_string())?.is_none() {
                return Err(format!("team {} does not exist", membership.team_id));
            }
            store.add_member(&membership).await.map_err(|e| match e {
                CreateError::AlreadyExists => "that user or email is already a member of the team".to_owned(),
                CreateError::Store(e) => e.to_string(),
            })?;
            Ok(format!(
                "added {} ({}) to {} as {}",
                membership.user_id, membership.email, membership.team_id, membership.role
            ))
        }
        "verify-sender" => {
            let o = options(rest, &["email"])?;
            let email = Email::parse(&o["email"]).map_err(|e| e.to_string())?;
            let client = aws_sdk_sesv2::Client::new(&sdk_config().await);
            client
                .create_email_identity()
                .email_identity(email.as_str())
                .send()
                .await
                .map_err(|e| aws_sdk_sesv2::error::DisplayErrorContext(e).to_string())?;
            Ok(format!("registered sender identity {email} (in AWS, confirm the verification email)"))
        }
        "seed-demo" => {
            options(rest, &[])?;
            // The defaults the functions use: a week to answer, 90 days of history.
            let (validity, retention) = (config::default_validity(), config::default_retention());
            let secret_id = std::env::var("LINK_SIGNING_SECRET_ID").map_err(|_| {
                "seed-demo needs LINK_SIGNING_SECRET_ID, the secret to create for the demo links"
            })?;
            let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config().await);
            demo::create_link_secret(&secrets, &secret_id).await?;
            demo::seed(&store().await?, SystemClock.now(), validity, retention).await?;
            Ok(format!(
                "seeded the link secret {secret_id} and team {} with {} members and {} open invitations",
                demo::TEAM_ID,
                demo::MEMBERS.len(),
                demo::INVITATIONS.len()
            ))
        }
        "expire-invitation" => {
            let o = options(rest, &["invitation-id"])?;
            let id = InvitationId::parse(&o["invitation-id"]).map_err(|e| e.to_string())?;
            let expired =
                store().await?.expire_now(id, SystemClock.now()).await.map_err(|e| e.to_string())?;
            Ok(format!("invitation {id} ({}) expired at {}", expired.email, expired.expires_at))
        }
        "remind-now" => {
            let o = options(rest, &["invitation-id"])?;
            let id = InvitationId::parse(&o["invitation-id"]).map_err(|e| e.to_string())?;
            store().await?.remind_now(id, SystemClock.now()).await.map_err(|e| e.to_string())?;
            Ok(format!("invitation {id}: its reminder is due now"))
        }
        "set-seats" => {
            let o = options(rest, &["team-id", "seats"])?;
            let team = TeamId::parse(&o["team-id"]).map_err(|e| e.to_string())?;
            let seats = match o["seats"].as_str() {
                "none" => None,
                n => Some(
                    n.parse::<i64>()
                        .ok()
                        .filter(|n| config::SEATS_RANGE.contains(n))
                        .ok_or_else(|| format!("--seats: a number from 1 to 100000, or none: {n:?}"))?
                        as u32,
                ),
            };
            store().await?.set_seats(&team, seats).await.map_err(|e| e.to_string())?;
            Ok(match seats {
                Some(n) => format!("team {team} has {n} seats"),
                None => format!("team {team} has no seat limit"),
            })
        }
        "-h" | "--help" | "help" => Ok(USAGE.to_owned()),
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    }
}

async fn store() -> Result<DynamoStore, String> {
    let table = table_name()?;
    Ok(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk_config().await), table))
}
