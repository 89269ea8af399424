//! Verified domains (issue 22, item 3; `ports::DomainStore`): each kept twice,
//! `TEAM#{team}` / `DOMAIN#{domain}` (the team's list; what a join checks) and
//! `DOMAIN#{domain}` / `TEAM#{team}` (the teams a person of that domain may
//! join: one query), both written by each change. Declaring one holds the
//! team open; a join holds the declaration as read, in the join's transaction.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};

use super::errors::{build_error, Transact};
use super::items::*;
use super::DynamoStore;
use crate::domain::{EmailDomain, JoinDomain, JoinVia, Membership, RoleName, TeamId, TeamName};
use crate::ports::{DomainStore, JoinError, StoreError, TeamChangeError};
use crate::time::format_timestamp;

const DOMAIN_SK_PREFIX: &str = "DOMAIN#";
const TEAM_SK_PREFIX: &str = "TEAM#";
const APPROVAL: &str = "approval";

/// The team's item and the domain's: (pk, sk) of each.
fn keys(team: &TeamId, domain: &EmailDomain) -> [(String, String); 2] {
    [
        (team_pk(team), format!("{DOMAIN_SK_PREFIX}{}", domain.as_str())),
        (domain_pk(domain), format!("{TEAM_SK_PREFIX}{team}")),
    ]
}

fn domain_pk(domain: &EmailDomain) -> String {
    format!("{DOMAIN_SK_PREFIX}{}", domain.as_str())
}

/// Positions: the team's item, the domain's, then the team's "exists and
/// open" (declaring); a join's: the domain's check, then `join_writes`.
mod position {
    pub const TEAM_OPEN: usize = 2;
    pub const DOMAIN: usize = 0;
    pub const JOIN_WRITES: usize = 1;
}

fn domain_item(d: &JoinDomain, (pk, sk): (String, String), entity: &str) -> Item {
    item([
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("entity", s(entity)),
        ("teamId", s(d.team_id.as_str())),
        ("teamName", s(d.team_name.as_str())),
        ("domain", s(d.domain.as_str())),
        ("role", s(d.role.as_str())),
        (APPROVAL, AttributeValue::Bool(d.approval)),
        ("verifiedAt", s(format_timestamp(d.verified_at))),
        ("verifiedBy", s(d.verified_by.as_str())),
    ])
}

pub(super) fn parse_join_domain(item: &Item) -> Result<JoinDomain, StoreError> {
    const W: &str = "verified domain";
    let field = |name: &str| get_s(item, W, name);
    Ok(JoinDomain {
        team_id: TeamId::parse(field("teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        team_name: TeamName::parse(field("teamName")?).map_err(|_| corrupt(W, "teamName"))?,
        domain: EmailDomain::parse(field("domain")?).map_err(|_| corrupt(W, "domain"))?,
        role: RoleName::parse(field("role")?).map_err(|_| corrupt(W, "role"))?,
        approval: match item.get(APPROVAL) {
            Some(AttributeValue::Bool(b)) => *b,
            _ => return Err(corrupt(W, APPROVAL)),
        },
        verified_at: get_time(item, W, "verifiedAt")?,
        verified_by: field("verifiedBy")?.to_owned(),
    })
}

impl DynamoStore {
    /// "`team` owns `domain` still, with `role`" and, given `approval`, with
    /// that need for approval: a join's, or a request's, condition.
    pub(super) fn domain_check(
        &self,
        team: &TeamId,
        domain: &EmailDomain,
        role: &RoleName,
        approval: Option<bool>,
    ) -> Result<TransactWriteItem, StoreError> {
        let [(pk, sk), _] = keys(team, domain);
        let mut check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()));
        check = match approval {
            Some(approval) => check
                .condition_expression("attribute_exists(pk) AND #role = :role AND #approval = :approval")
                .expression_attribute_names("#approval", APPROVAL)
                .expression_attribute_values(":approval", AttributeValue::Bool(approval)),
            None => check.condition_expression("attribute_exists(pk) AND #role = :role"),
        };
        Ok(TransactWriteItem::builder().condition_check(check.build().map_err(build_error)?).build())
    }
}

impl DomainStore for DynamoStore {
    async fn set_join_domain(&self, d: &JoinDomain) -> Result<(), TeamChangeError> {
        let [team, index] = keys(&d.team_id, &d.domain);
        let put = |item| {
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(build_error)
        };
        let items = vec![
            put(domain_item(d, team, "team-domain"))?,
            put(domain_item(d, index, "domain-team"))?,
            self.team_open(&d.team_id)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::TEAM_OPEN) => {
                match c.item(position::TEAM_OPEN) {
                    Some(_) => Err(TeamChangeError::Closed),
                    None => Err(TeamChangeError::NotFound),
                }
            }
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn remove_join_domain(&self, team: &TeamId, domain: &EmailDomain) -> Result<bool, StoreError> {
        let [(pk, sk), (ipk, isk)] = keys(team, domain);
        let items = vec![
            self.delete_if(pk, sk, "attribute_exists(pk)", Item::new())?,
            self.delete_if(ipk, isk, "attribute_exists(pk)", Item::new())?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(true),
            Err(Transact::Failed(e)) => Err(e),
            // Both or neither: one without the other is no declaration left.
            Err(Transact::Cancelled(c)) if c.any_failed() => Ok(false),
            Err(Transact::Cancelled(c)) => Err(c.unexpected()),
        }
    }

    async fn join_domains(&self, team: &TeamId, limit: usize) -> Result<Vec<JoinDomain>, StoreError> {
        let items = self.query_prefix(team_pk(team), DOMAIN_SK_PREFIX, limit, None).await?;
        items.iter().map(parse_join_domain).collect()
    }

    async fn domain_teams(&self, domain: &EmailDomain, limit: usize) -> Result<Vec<JoinDomain>, StoreError> {
        let items = self.query_prefix(domain_pk(domain), TEAM_SK_PREFIX, limit, None).await?;
        items.iter().map(parse_join_domain).collect()
    }

    async fn join_domain(
        &self,
        team: &TeamId,
        domain: &EmailDomain,
    ) -> Result<Option<JoinDomain>, StoreError> {
        let [(pk, sk), _] = keys(team, domain);
        self.get(pk, sk).await?.as_ref().map(parse_join_domain).transpose()
    }

    async fn join_by_domain(
        &self,
        d: &JoinDomain,
        membership: &Membership,
        opened_at_most: Option<i64>,
    ) -> Result<(), JoinError> {
        let mut items = vec![self.domain_check(&d.team_id, &d.domain, &d.role, Some(false))?];
        items.extend(self.join_writes(&JoinVia::Domain(d.domain.clone()), membership, opened_at_most)?);
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::DOMAIN) => Err(JoinError::DomainChanged),
            Err(Transact::Cancelled(c)) => Err(Self::join_writes_refusal(&c, position::JOIN_WRITES)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn a_domain_survives_the_round_trip_in_both_of_its_items() {
        let d = JoinDomain {
            team_id: TeamId::parse("acme").unwrap(),
            team_name: TeamName::parse("Acme").unwrap(),
            domain: EmailDomain::parse("acme.test").unwrap(),
            role: RoleName::parse("member").unwrap(),
            approval: true,
            verified_at: DateTime::parse_from_rfc3339("2026-12-01T09:00:00.250Z").unwrap().to_utc(),
            verified_by: "arn:aws:iam::123456789012:role/platform".into(),
        };
        let [team, index] = keys(&d.team_id, &d.domain);
        assert_eq!(team, ("TEAM#acme".to_owned(), "DOMAIN#acme.test".to_owned()));
        assert_eq!(index, ("DOMAIN#acme.test".to_owned(), "TEAM#acme".to_owned()));
        for (at, entity) in [(team, "team-domain"), (index, "domain-team")] {
            assert_eq!(parse_join_domain(&domain_item(&d, at, entity)).unwrap(), d);
        }
    }
}
