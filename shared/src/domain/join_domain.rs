//! Verified domains (issue 22, item 3): the platform declares that a team owns
//! an email domain (it verified the domain itself, by DNS say, outside this
//! service). Whoever signs in with an address of that domain, verified by a
//! provider that may stand for it, sees the team among those they may join and
//! joins it with the domain's role, or asks to join when the team wants a
//! manager's approval. A domain matches an address's exactly (the store finds
//! a team's declaration by the address's domain, `Email::domain`): `acme.com`
//! is not `eu.acme.com`, which the platform declares on its own if it owns it.

use chrono::{DateTime, Utc};

use super::{EmailDomain, RoleName, TeamId, TeamName};

/// Providers whose addresses anyone may have: a team cannot own their domain.
/// Refused with their subdomains. Not every such provider on Earth: the
/// platform verifies ownership first; this stops the mistakes that would let
/// the whole world in.
pub const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.com",
    "zoho.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
    "fastmail.com",
    "hey.com",
    "tutanota.com",
    "example.com",
    "example.org",
    "example.net",
];

/// The domain is one anyone may have an address of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is a public mail provider's domain: a team cannot own it")]
pub struct PublicMailDomain(pub String);

/// Whether a team may own `domain`: not a public provider's, nor under one.
pub fn ownable(domain: &EmailDomain) -> Result<(), PublicMailDomain> {
    let d = domain.as_str();
    let public = PUBLIC_MAIL_DOMAINS
        .iter()
        .any(|p| d == *p || d.strip_suffix(p).is_some_and(|rest| rest.ends_with('.')));
    match public {
        true => Err(PublicMailDomain(d.to_owned())),
        false => Ok(()),
    }
}

/// How the platform declares a team's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSpec {
    /// The role its people join with (never owner: checked as an invite's).
    pub role: RoleName,
    /// Joining asks a manager first (a `JoinRequest`).
    pub approval: bool,
}

/// A team's verified domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinDomain {
    pub team_id: TeamId,
    /// The team's name when it was declared: what the list of teams to join shows.
    pub team_name: TeamName,
    pub domain: EmailDomain,
    pub role: RoleName,
    pub approval: bool,
    pub verified_at: DateTime<Utc>,
    /// The platform's principal that declared it.
    pub verified_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_providers_domain_and_its_subdomains_cannot_be_owned() {
        let d = |raw| EmailDomain::parse(raw).unwrap();
        assert!(ownable(&d("acme.com")).is_ok());
        assert!(ownable(&d("notgmail.com")).is_ok(), "a suffix is not a subdomain");
        assert!(ownable(&d("gmail.com.acme.org")).is_ok());
        for public in ["gmail.com", "GMail.com", "eu.outlook.com", "a.b.yahoo.com"] {
            assert_eq!(ownable(&d(public)), Err(PublicMailDomain(d(public).as_str().to_owned())), "{public}");
        }
    }
}
