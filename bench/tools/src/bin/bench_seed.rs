//! Benchmark tooling (not a test): loads synthetic invitations into a table in
//! bulk, in the stored format, for the list-at-scale measurement.
//!
//! Usage: bench_seed TABLE TEAM COUNT   (TEAM gets an owner `TEAM-owner`)
//! Writes COUNT invitations, one a minute apart, with BatchWriteItem: the three
//! newest open, the rest declined an hour after sending, like a team's history.

use chrono::{TimeDelta, Utc};

use invitations_core::adapters::dynamo::{invitation_item, DynamoStore};
use invitations_core::config;
use invitations_core::domain::{Email, Invitation, Membership, RoleName, Team, TeamId, TeamName, UserId};
use invitations_core::ports::TeamStore;

/// Invitations of each team left open: a `?status=open` page finds these few
/// among the team's whole history.
const OPEN: usize = 3;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [table, team, count] = args.as_slice() else {
        panic!("usage: bench_seed TABLE TEAM COUNT");
    };
    let count: usize = count.parse().expect("COUNT is a number");
    let sdk = integration_tests::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let now = Utc::now();
    let team = Team {
        id: TeamId::parse(team).expect("valid team id"),
        name: TeamName::parse(&format!("Team {team}")).unwrap(),
        created_at: now,
    };
    let owner = Membership {
        team_id: team.id.clone(),
        user_id: UserId::parse(&format!("{}-owner", team.id)).unwrap(),
        email: Email::parse(&format!("owner@{}.example.com", team.id)).unwrap(),
        role: RoleName::parse(RoleName::OWNER).unwrap(),
        joined_at: now,
        metadata: None,
    };
    DynamoStore::new(client.clone(), table.clone())
        .create_team(&team, &owner, None)
        .await
        .expect("create team");

    let items = (0..count)
        .map(|i| {
            let created = now - TimeDelta::minutes(i as i64);
            let mut inv = Invitation::new(
                &team,
                Email::parse(&format!("person{i}@{}.example.com", team.id)).unwrap(),
                RoleName::parse("member").unwrap(),
                owner.user_id.clone(),
                created,
                config::default_validity(),
            );
            inv.email_delivery = invitations_core::domain::EmailDelivery::Sent;
            if i >= OPEN {
                inv = inv
                    .decline(None, created + TimeDelta::hours(1))
                    .expect("open until a week after sending");
            }
            invitation_item(&inv, inv.purge_at(config::default_retention()))
        })
        .collect();
    bench_tools::load(&client, table, items).await;
    println!("seeded {count} invitations into team {} of {table}", team.id);
}
