//! Configuration, from environment variables only, read once per cold start.

use chrono::TimeDelta;

use crate::domain::{Email, PlatformPrincipals, TeamLimits};
use crate::mail::Branding;

pub const DEFAULT_EXPIRY_SECONDS: i64 = 7 * 24 * 60 * 60;
pub const DEFAULT_RETENTION_DAYS: i64 = 90;
/// The least time between two sends of one invitation (a resend's cooldown).
pub const DEFAULT_RESEND_COOLDOWN_SECONDS: i64 = 60;
/// How long one attempt of an AWS call may take (the SDK clients' attempt
/// timeout); also the time kept back after an email for recording its failure.
pub const AWS_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Bounds of the settings, so that no value can overflow a date computation
/// (and take an instance down at its first request). 30 days is the longest
/// validity comparable services offer.
pub const EXPIRY_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 60..=30 * 24 * 60 * 60;
pub const RETENTION_DAYS_RANGE: std::ops::RangeInclusive<i64> = 1..=3650;
pub const RESEND_COOLDOWN_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 0..=24 * 60 * 60;
/// How long before expiry an open invitation's reminder goes out; 0: none.
pub const DEFAULT_REMINDER_LEAD_SECONDS: i64 = 48 * 60 * 60;
pub const REMINDER_LEAD_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 0..=29 * 24 * 60 * 60;
/// The shortest lead but none: the reminders run every 15 minutes, so a
/// shorter one would often find the invitation expired.
pub const MIN_REMINDER_LEAD_SECONDS: i64 = 60 * 60;
/// Per-team limits (`domain::limits`). The hourly limit is one stored slot per
/// email, so it is bounded by what one item holds comfortably.
pub const DEFAULT_MAX_OPEN_INVITATIONS: i64 = 500;
pub const MAX_OPEN_INVITATIONS_RANGE: std::ops::RangeInclusive<i64> = 1..=100_000;
pub const DEFAULT_MAX_EMAILS_PER_HOUR: i64 = 100;
pub const MAX_EMAILS_PER_HOUR_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000;
/// The cap on emails to one mailbox per UTC day, by every team together
/// (`domain::Limit::EmailsPerRecipientPerDay`): two invitations sent in full
/// (`domain::MAX_SENDS` each).
pub const DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY: i64 = 10;
pub const MAX_EMAILS_PER_RECIPIENT_PER_DAY_RANGE: std::ops::RangeInclusive<i64> = 1..=100;

pub fn default_limits() -> TeamLimits {
    TeamLimits {
        max_open: DEFAULT_MAX_OPEN_INVITATIONS as u32,
        emails_per_hour: DEFAULT_MAX_EMAILS_PER_HOUR as u32,
        seats: None,
    }
}

/// The seat limits the platform may set on a team: at least its first owner.
pub const SEATS_RANGE: std::ops::RangeInclusive<i64> = 1..=100_000;

/// How long an invitation stays open unless configured otherwise: one week.
pub fn default_validity() -> TimeDelta {
    TimeDelta::seconds(DEFAULT_EXPIRY_SECONDS)
}

pub fn default_resend_cooldown() -> TimeDelta {
    TimeDelta::seconds(DEFAULT_RESEND_COOLDOWN_SECONDS)
}

/// How long history is kept after the last change unless configured otherwise.
pub fn default_retention() -> TimeDelta {
    TimeDelta::days(DEFAULT_RETENTION_DAYS)
}

/// The variable that turns the local watcher's unsigned tokens on (value `1`;
/// `dev` builds only, `http::local_tokens`).
#[cfg(feature = "dev")]
pub const LOCAL_INSECURE_AUTH: &str = "LOCAL_INSECURE_AUTH";

/// Whether a function signs or verifies invitation links, and so needs the
/// link secret (withdraw and platform do not, and are given none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    Signed,
    Unused,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub sender_email: Email,
    pub app_base_url: String,
    /// The Secrets Manager secret (name or ARN) whose value signs links; read at
    /// run time, never passed in the environment (`adapters::secrets`).
    pub link_secret_id: Option<String>,
    pub invitation_validity: TimeDelta,
    pub history_retention: TimeDelta,
    /// `RESEND_COOLDOWN_SECONDS`: the least time between two sends of one invitation.
    pub resend_cooldown: TimeDelta,
    /// `REMINDER_LEAD_SECONDS`: how long before expiry the reminder goes out
    /// (None: `0`, no reminders).
    pub reminder_lead: Option<TimeDelta>,
    /// `PRODUCT_NAME`, `LOGO_URL` (https), `ACCENT_COLOR` (`#rrggbb`): how the
    /// emails present the product.
    pub branding: Branding,
    /// Accept an identity without an `email_verified` claim as verified
    /// (`TRUST_UNVERIFIED_EMAIL=true`); off by default. docs/deploy.md: the risk.
    pub trust_unverified_email: bool,
    /// `MAX_OPEN_INVITATIONS`, `MAX_EMAILS_PER_HOUR`: per team.
    pub limits: TeamLimits,
    /// `MAX_EMAILS_PER_RECIPIENT_PER_DAY`: per mailbox, every team together.
    pub emails_per_recipient_per_day: u32,
    /// `LINKLESS_ACCEPT_PROVIDERS`: the federated identity providers (names,
    /// comma-separated) whose verified addresses count without the link.
    pub linkless_providers: Vec<String>,
    /// `PLATFORM_ROLE_ARNS`: who may run the platform's routes (platform
    /// function; unset: no one), beyond API Gateway's IAM check.
    pub platform_principals: PlatformPrincipals,
    /// `SES_CONFIGURATION_SET`: the set the emails are sent with, whose event
    /// destination reports their delivery (none: no delivery feedback).
    pub ses_configuration_set: Option<String>,
    /// Read identity from an unsigned bearer token: local development only, and
    /// only in a `dev` build (a release function has no such setting).
    #[cfg(feature = "dev")]
    pub local_insecure_auth: bool,
}

/// Every problem with the environment at once, so one start-up shows them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    pub fn from_env(links: Links) -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok(), links)
    }

    /// `lookup` stands in for the environment, so tests need not mutate it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, links: Links) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut required = |name: &str| match lookup(name).filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(v),
            None => {
                problems.push(format!("{name} is required but not set"));
                None
            }
        };
        let table_name = required("TABLE_NAME");
        let sender = required("SENDER_EMAIL");
        let base_url = required("APP_BASE_URL");
        let link_secret_id = match links {
            Links::Signed => required("LINK_SIGNING_SECRET_ID"),
            Links::Unused => None,
        };

        let sender_email = sender.and_then(|raw| match Email::parse(&raw) {
            // The emails go out from the parsed (lowercased) address, and the
            // template's IAM condition (`ses:FromAddress`) compares it exactly
            // with the parameter: both must be the same string.
            Ok(_) if raw.trim().chars().any(|c| c.is_ascii_uppercase()) => {
                problems.push(format!(
                    "SENDER_EMAIL must be lowercase (the SES permission compares it exactly), got {raw:?}"
                ));
                None
            }
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(format!("SENDER_EMAIL is not a valid address: {e}"));
                None
            }
        });
        let app_base_url = base_url.and_then(|raw| {
            let raw = raw.trim().trim_end_matches('/').to_owned();
            if raw.starts_with("https://") || raw.starts_with("http://") {
                Some(raw)
            } else {
                problems.push("APP_BASE_URL must start with https:// or http://".into());
                None
            }
        });
        let mut bounded = |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match lookup(name)
        {
            None => Some(default),
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(v) if range.contains(&v) => Some(v),
                _ => {
                    problems.push(format!(
                        "{name} must be a whole number from {} to {}, got {raw:?}",
                        range.start(),
                        range.end()
                    ));
                    None
                }
            },
        };
        let expiry = bounded("INVITATION_EXPIRY_SECONDS", DEFAULT_EXPIRY_SECONDS, EXPIRY_SECONDS_RANGE);
        let retention = bounded("HISTORY_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, RETENTION_DAYS_RANGE);
        let cooldown = bounded(
            "RESEND_COOLDOWN_SECONDS",
            DEFAULT_RESEND_COOLDOWN_SECONDS,
            RESEND_COOLDOWN_SECONDS_RANGE,
        );
        let lead =
            bounded("REMINDER_LEAD_SECONDS", DEFAULT_REMINDER_LEAD_SECONDS, REMINDER_LEAD_SECONDS_RANGE);
        let max_open =
            bounded("MAX_OPEN_INVITATIONS", DEFAULT_MAX_OPEN_INVITATIONS, MAX_OPEN_INVITATIONS_RANGE);
        let per_hour = bounded("MAX_EMAILS_PER_HOUR", DEFAULT_MAX_EMAILS_PER_HOUR, MAX_EMAILS_PER_HOUR_RANGE);
        let per_recipient = bounded(
            "MAX_EMAILS_PER_RECIPIENT_PER_DAY",
            DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY,
            MAX_EMAILS_PER_RECIPIENT_PER_DAY_RANGE,
        );
        let lead = match lead {
            Some(lead) if lead > 0 && lead < MIN_REMINDER_LEAD_SECONDS => {
                problems.push(format!(
                    "REMINDER_LEAD_SECONDS must be 0 (no reminders) or at least {MIN_REMINDER_LEAD_SECONDS}, got {lead}"
                ));
                None
            }
            lead => lead,
        };
        let limits = match (max_open, per_hour) {
            (Some(o), Some(h)) => {
                Some(TeamLimits { max_open: o as u32, emails_per_hour: h as u32, seats: None })
            }
            _ => None,
        };
        let mut branding = Branding::default();
        if let Some(name) = lookup("PRODUCT_NAME").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            match name.chars().count() <= 60 && !name.chars().any(char::is_control) {
                true => branding.product = name,
                false => problems.push("PRODUCT_NAME must be at most 60 characters on one line".into()),
            }
        }
        if let Some(url) = lookup("LOGO_URL").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            let plain = url.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>'));
            match url.starts_with("https://") && plain && url.len() <= 500 {
                true => branding.logo_url = Some(url),
                false => problems.push("LOGO_URL must be an https:// URL".into()),
            }
        }
        if let Some(color) = lookup("ACCENT_COLOR").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            let hex = color.len() == 7
                && color.starts_with('#')
                && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
            match hex {
                true => branding.accent = color,
                false => problems.push(format!("ACCENT_COLOR must be a colour like #2563eb, got {color:?}")),
            }
        }
        let trust_unverified_email = match lookup("TRUST_UNVERIFIED_EMAIL").as_deref().map(str::trim) {
            None | Some("") | Some("false") => Some(false),
            Some("true") => Some(true),
            Some(other) => {
                problems.push(format!("TRUST_UNVERIFIED_EMAIL must be true or false, got {other:?}"));
                None
            }
        };
        let ses_configuration_set =
            lookup("SES_CONFIGURATION_SET").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(set) = &ses_configuration_set {
            let valid =
                set.len() <= 64 && set.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                problems.push(format!(
                    "SES_CONFIGURATION_SET must be at most 64 letters, digits, - or _, got {set:?}"
                ));
            }
        }
        let linkless_providers: Vec<String> = lookup("LINKLESS_ACCEPT_PROVIDERS")
            .unwrap_or_default()
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if let Some(bad) =
            linkless_providers.iter().find(|p| p.len() > 128 || p.chars().any(char::is_control))
        {
            problems.push(format!("LINKLESS_ACCEPT_PROVIDERS has a name that is no provider's: {bad:?}"));
        }
        let platform_principals =
            match PlatformPrincipals::parse(lookup("PLATFORM_ROLE_ARNS").as_deref().unwrap_or_default()) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("PLATFORM_ROLE_ARNS: {e}"));
                    PlatformPrincipals::default()
                }
            };
        #[cfg(feature = "dev")]
        let local_insecure_auth = lookup(LOCAL_INSECURE_AUTH).as_deref() == Some("1");

        match (
            table_name,
            sender_email,
            app_base_url,
            expiry,
            retention,
            cooldown,
            lead,
            trust_unverified_email,
            limits,
            per_recipient,
        ) {
            (
                Some(table_name),
                Some(sender_email),
                Some(app_base_url),
                Some(e),
                Some(r),
                Some(c),
                Some(lead),
                Some(trust_unverified_email),
                Some(limits),
                Some(per_recipient),
            ) if problems.is_empty() => Ok(Self {
                table_name,
                sender_email,
                app_base_url,
                link_secret_id,
                invitation_validity: TimeDelta::seconds(e),
                history_retention: TimeDelta::days(r),
                resend_cooldown: TimeDelta::seconds(c),
                reminder_lead: (lead > 0).then(|| TimeDelta::seconds(lead)),
                branding,
                trust_unverified_email,
                limits,
                emails_per_recipient_per_day: per_recipient as u32,
                platform_principals,
                linkless_providers,
                ses_configuration_set,
                #[cfg(feature = "dev")]
                local_insecure_auth,
            }),
            _ => Err(ConfigError(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned(), Links::Signed)
    }

    const GOOD: &[(&str, &str)] = &[
        ("TABLE_NAME", "invitations"),
        ("SENDER_EMAIL", " invites@example.com "),
        ("APP_BASE_URL", "https://app.example.com/"),
        ("LINK_SIGNING_SECRET_ID", "invitations/link-signing-secret"),
    ];

    #[test]
    fn defaults_apply_when_optional_variables_are_absent() {
        let c = config(GOOD).unwrap();
        assert_eq!(c.invitation_validity, TimeDelta::days(7));
        assert_eq!(c.history_retention, TimeDelta::days(90));
        assert_eq!(c.resend_cooldown, TimeDelta::seconds(60));
        assert_eq!(c.reminder_lead, Some(TimeDelta::hours(48)));
        assert_eq!(c.limits, TeamLimits { max_open: 500, emails_per_hour: 100, seats: None });
        assert_eq!(c.emails_per_recipient_per_day, 10);
        assert!(c.linkless_providers.is_empty(), "the pool's own accounts only");
        assert_eq!(c.branding, Branding::default());
        assert_eq!(c.app_base_url, "https://app.example.com");
        assert_eq!(c.sender_email.as_str(), "invites@example.com");
    }

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let err = config(&[]).unwrap_err().to_string();
        for name in ["TABLE_NAME", "SENDER_EMAIL", "APP_BASE_URL", "LINK_SIGNING_SECRET_ID"] {
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn only_functions_that_sign_or_verify_links_need_the_secret() {
        let without: Vec<(&str, &str)> =
            GOOD.iter().copied().filter(|(k, _)| *k != "LINK_SIGNING_SECRET_ID").collect();
        let map: HashMap<String, String> =
            without.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let c = Config::from_lookup(|k| map.get(k).cloned(), Links::Unused).unwrap();
        assert_eq!(c.link_secret_id, None);
        assert_eq!(config(GOOD).unwrap().link_secret_id.as_deref(), Some("invitations/link-signing-secret"));
    }

    #[test]
    fn settings_out_of_range_stop_the_start_up_instead_of_overflowing_a_date_later() {
        for (name, value) in [
            ("INVITATION_EXPIRY_SECONDS", "9000000000000"),
            ("INVITATION_EXPIRY_SECONDS", "59"),
            ("INVITATION_EXPIRY_SECONDS", "2592001"),
            ("HISTORY_RETENTION_DAYS", "0"),
            ("HISTORY_RETENTION_DAYS", "3651"),
            ("RESEND_COOLDOWN_SECONDS", "-1"),
            ("RESEND_COOLDOWN_SECONDS", "86401"),
            ("REMINDER_LEAD_SECONDS", "-1"),
            ("REMINDER_LEAD_SECONDS", "2505601"),
            ("REMINDER_LEAD_SECONDS", "3599"),
            ("PRODUCT_NAME", "two\nlines"),
            ("LOGO_URL", "http://cdn.example.com/logo.png"),
            ("LOGO_URL", "https://x\"onerror=\"alert(1)"),
            ("ACCENT_COLOR", "red;background:url(x)"),
            ("TRUST_UNVERIFIED_EMAIL", "yes"),
            ("MAX_OPEN_INVITATIONS", "0"),
            ("MAX_EMAILS_PER_HOUR", "1001"),
            ("SENDER_EMAIL", "Invites@Example.com"),
            ("PLATFORM_ROLE_ARNS", "arn:aws:iam::123456789012:role/p,platform"),
            ("MAX_EMAILS_PER_RECIPIENT_PER_DAY", "0"),
            ("MAX_EMAILS_PER_RECIPIENT_PER_DAY", "101"),
        ] {
            let mut vars = GOOD.to_vec();
            vars.push((name, value));
            let err = config(&vars).unwrap_err().to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
        let mut vars = GOOD.to_vec();
        vars.extend([("INVITATION_EXPIRY_SECONDS", "2592000"), ("HISTORY_RETENTION_DAYS", "3650")]);
        vars.push(("TRUST_UNVERIFIED_EMAIL", "true"));
        vars.extend([("MAX_OPEN_INVITATIONS", "100000"), ("MAX_EMAILS_PER_HOUR", "1")]);
        vars.push(("MAX_EMAILS_PER_RECIPIENT_PER_DAY", "100"));
        vars.push(("LINKLESS_ACCEPT_PROVIDERS", " Google, Corp SAML ,"));
        vars.extend([
            ("PRODUCT_NAME", " Acme Cloud "),
            ("LOGO_URL", "https://cdn.example.com/logo.png"),
            ("ACCENT_COLOR", "#FF6600"),
        ]);
        let c = config(&vars).unwrap();
        assert_eq!(
            c.branding,
            Branding {
                product: "Acme Cloud".into(),
                logo_url: Some("https://cdn.example.com/logo.png".into()),
                accent: "#FF6600".into()
            }
        );
        assert_eq!(
            (c.invitation_validity, c.history_retention),
            (TimeDelta::days(30), TimeDelta::days(3650))
        );
        assert!(c.trust_unverified_email);
        assert_eq!(c.limits, TeamLimits { max_open: 100_000, emails_per_hour: 1, seats: None });
        assert_eq!(c.emails_per_recipient_per_day, 100);
        assert_eq!(c.linkless_providers, ["Google", "Corp SAML"]);
        assert!(!config(GOOD).unwrap().trust_unverified_email, "off unless set");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let mut vars = GOOD.to_vec();
        vars.push(("INVITATION_EXPIRY_SECONDS", "-5"));
        vars[1] = ("SENDER_EMAIL", "not an address");
        let err = config(&vars).unwrap_err().to_string();
        assert!(err.contains("INVITATION_EXPIRY_SECONDS"), "{err}");
        assert!(err.contains("SENDER_EMAIL is not a valid address"), "{err}");
    }

    #[cfg(feature = "dev")]
    #[test]
    fn insecure_auth_is_off_unless_exactly_one() {
        assert!(!config(GOOD).unwrap().local_insecure_auth);
        let mut vars = GOOD.to_vec();
        vars.push(("LOCAL_INSECURE_AUTH", "true"));
        assert!(!config(&vars).unwrap().local_insecure_auth);
        vars.pop();
        vars.push(("LOCAL_INSECURE_AUTH", "1"));
        assert!(config(&vars).unwrap().local_insecure_auth);
    }
}
