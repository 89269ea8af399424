//! Identifiers parsed once at the edge. Each type can only hold a valid value, so
//! nothing past the HTTP layer re-checks them.

use std::fmt;
use uuid::Uuid;

/// Why a raw identifier was refused; the caller picks the HTTP meaning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub &'static str);

/// A team's id: 1-64 characters from `[A-Za-z0-9_-]`. Teams are created by the
/// operator CLI (or another service), so ids are chosen, not generated here; the
/// alphabet keeps them safe inside DynamoDB keys (`#` is our key separator).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TeamId(String);

impl TeamId {
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let ok_len = (1..=64).contains(&raw.len());
        let ok_chars = raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok_len && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidId("team id must be 1-64 characters of letters, digits, '-' or '_'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TeamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An invitation's id: a random (v4) UUID, in its hyphenated lowercase form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvitationId(Uuid);

impl InvitationId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// Only the canonical hyphenated form is accepted, so that one invitation has
    /// exactly one id string (and one link signature).
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        canonical_uuid(raw, InvalidId("invitation id must be a lowercase hyphenated UUID")).map(Self)
    }

    /// One of `shards` (at least one), the same for one id, spread evenly over
    /// random ids.
    pub fn shard(&self, shards: usize) -> usize {
        (self.0.as_u128() % shards.max(1) as u128) as usize
    }
}

impl fmt::Display for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

/// A UUID in its one canonical form: hyphenated, lowercase.
fn canonical_uuid(raw: &str, err: InvalidId) -> Result<Uuid, InvalidId> {
    if raw.len() != 36 || raw.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(err);
    }
    Uuid::try_parse(raw).map_err(|_| err)
}

/// An invite link's id: a random (v4) UUID, in its hyphenated lowercase form
/// (one id string, one signature), never an invitation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InviteLinkId(Uuid);

impl InviteLinkId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        canonical_uuid(raw, InvalidId("invite link id must be a lowercase hyphenated UUID")).map(Self)
    }
}

impl fmt::Display for InviteLinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

/// A user's id: the identity provider's `sub` claim, opaque to us. Bounded and free
/// of control characters and `#` so it can sit in a key and a log line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let ok = (1..=256).contains(&raw.len())
            && !raw.chars().any(|c| c.is_control() || c == '#' || c.is_whitespace());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidId("user id must be 1-256 characters without spaces, control characters or '#'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_ids_accept_the_safe_alphabet_only() {
        assert!(TeamId::parse("acme-42_x").is_ok());
        for bad in ["", "a#b", "a b", "é", &"x".repeat(65), "a/b"] {
            assert!(TeamId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn invitation_ids_have_one_canonical_form() {
        let id = InvitationId::new_random();
        assert_eq!(InvitationId::parse(&id.to_string()), Ok(id));
        let upper = id.to_string().to_uppercase();
        assert!(InvitationId::parse(&upper).is_err());
        let simple = id.to_string().replace('-', "");
        assert!(InvitationId::parse(&simple).is_err());
        assert!(InvitationId::parse("not-a-uuid").is_err());
        let link = InviteLinkId::new_random();
        assert_eq!(InviteLinkId::parse(&link.to_string()), Ok(link));
        assert!(InviteLinkId::parse(&link.to_string().to_uppercase()).is_err());
    }

    #[test]
    fn user_ids_refuse_separators_and_control_characters() {
        assert!(UserId::parse("auth0|5f7c8ec7c33c6c004bbafe82").is_ok());
        for bad in ["", "a#b", "a\nb", "a b", &"x".repeat(257)] {
            assert!(UserId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
