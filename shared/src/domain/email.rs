//! Email addresses, normalised once: trimmed and lowercased, so that comparisons
//! (one open invitation per address, "is this the invited account?") are plain
//! string equality.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEmail(pub &'static str);

impl Email {
    /// Accepts a pragmatic subset of RFC 5321 addresses: ASCII only (internationalised
    /// addresses are refused rather than risk homoglyph look-alikes), one `@`, a
    /// dot-atom local part and a dotted domain of letters, digits and hyphens.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(InvalidEmail("email is required"));
        }
        if s.len() > 254 {
            return Err(InvalidEmail("email must be at most 254 characters"));
        }
        if !s.is_ascii() {
            return Err(InvalidEmail("email must contain ASCII characters only"));
        }
        let (local, domain) = s.split_once('@').ok_or(InvalidEmail("email must contain '@'"))?;
        if local.is_empty() || local.len() > 64 || !is_dot_atom(local) {
            return Err(InvalidEmail("email has an invalid local part"));
        }
        if !is_domain(domain) {
            return Err(InvalidEmail("email has an invalid domain"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mailbox the address delivers to, for limits per recipient: the
    /// `+tag` of the local part removed (`ada+1@x` and `ada+2@x` reach one
    /// person at most providers), so tags cannot multiply a cap.
    pub fn mailbox(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        match local.split_once('+') {
            Some((base, _)) if !base.is_empty() => format!("{base}@{domain}"),
            _ => self.0.clone(),
        }
    }
}

impl Email {
    /// The part after the `@`.
    pub fn domain(&self) -> EmailDomain {
        EmailDomain(self.0.split_once('@').map_or("", |(_, d)| d).to_owned())
    }
}

/// An email domain (`example.com`), lowercased, by the rules an address's
/// domain follows: what an invite link may restrict its joins to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailDomain(String);

impl EmailDomain {
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let s = raw.trim().trim_start_matches('@').to_ascii_lowercase();
        match s.is_ascii() && is_domain(&s) {
            true => Ok(Self(s)),
            false => Err(InvalidEmail("a domain is dotted labels of letters, digits and hyphens")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_dot_atom(s: &str) -> bool {
    const SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    s.split('.').all(|atom| {
        !atom.is_empty() && atom.bytes().all(|b| b.is_ascii_alphanumeric() || SPECIALS.contains(&b))
    })
}

fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && s.len() <= 253
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_addresss_domain_is_an_email_domain() {
        assert_eq!(
            Email::parse("Ada@Example.COM").unwrap().domain(),
            EmailDomain::parse("example.com").unwrap()
        );
        assert_eq!(EmailDomain::parse(" @Sub.Example.com ").unwrap().as_str(), "sub.example.com");
        for bad in ["", "localhost", "-a.com", "a..com", "exämple.com", "a.123", "a b.com"] {
            assert!(EmailDomain::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_mailbox_is_the_address_without_its_tag() {
        let mailbox = |raw| Email::parse(raw).unwrap().mailbox();
        assert_eq!(mailbox("Ada+Work@Example.com"), "ada@example.com");
        assert_eq!(mailbox("ada+a+b@example.com"), "ada@example.com");
        assert_eq!(mailbox("ada@example.com"), "ada@example.com");
        assert_eq!(mailbox("+ada@example.com"), "+ada@example.com", "no mailbox name left: kept whole");
    }

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        let e = Email::parse("  Ada.Lovelace+team@Example.COM \n").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace+team@example.com");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@-example.com",
            "a@example.123",
            "a@exa_mple.com",
            "bob@exаmple.com", // Cyrillic 'а'
            "a\r\nBcc: x@evil.com@example.com",
            "<b>@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }
}
