//! Who may run the platform's routes: API Gateway's IAM authorizer lets in any
//! principal of the account whose policy allows `execute-api:Invoke`, so the
//! platform function also checks the caller against a list of its own
//! (`PLATFORM_ROLE_ARNS`). A role ARN admits every session of that role (the
//! caller then appears as `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`,
//! without the role's path); an IAM user's ARN admits that user.

use std::fmt;

/// The principals the platform's routes answer, parsed from their ARNs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformPrincipals(Vec<Allowed>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    /// Any session of this role.
    Role { partition: String, account: String, name: String },
    /// Exactly this principal (an IAM user).
    User(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not the ARN of an IAM role or user (arn:aws:iam::123456789012:role/NAME)")]
pub struct InvalidPrincipal(pub String);

/// (partition, service, account, resource) of an ARN.
fn parts(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let mut it = arn.splitn(6, ':');
    let (prefix, partition, service, _region, account, resource) =
        (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    let valid = prefix == "arn"
        && !partition.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit());
    valid.then_some((partition, service, account, resource))
}

impl PlatformPrincipals {
    /// From a comma-separated list of role or user ARNs; empty admits no one.
    pub fn parse(list: &str) -> Result<Self, InvalidPrincipal> {
        let mut allowed = Vec::new();
        for arn in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let invalid = || InvalidPrincipal(arn.to_owned());
            let (partition, service, account, resource) = parts(arn).ok_or_else(invalid)?;
            let name = resource.rsplit('/').next().filter(|n| !n.is_empty()).ok_or_else(invalid)?;
            allowed.push(match (service, resource.split('/').next()) {
                ("iam", Some("role")) => {
                    Allowed::Role { partition: partition.into(), account: account.into(), name: name.into() }
                }
                ("iam", Some("user")) => Allowed::User(arn.to_owned()),
                _ => return Err(invalid()),
            });
        }
        Ok(Self(allowed))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the caller API Gateway names (`userArn`) may run the routes.
    pub fn admit(&self, caller: &str) -> bool {
        let session = parts(caller).and_then(|(partition, service, account, resource)| {
            let mut path = resource.split('/');
            match (service, path.next(), path.next(), path.next()) {
                ("sts", Some("assumed-role"), Some(role), Some(_session)) => Some((partition, account, role)),
                _ => None,
            }
        });
        self.0.iter().any(|allowed| match (allowed, session) {
            (Allowed::Role { partition, account, name }, Some((p, a, r))) => {
                (partition.as_str(), account.as_str(), name.as_str()) == (p, a, r)
            }
            (Allowed::User(arn), _) => arn == caller,
            (Allowed::Role { .. }, None) => false,
        })
    }
}

impl fmt::Display for PlatformPrincipals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .0
            .iter()
            .map(|a| match a {
                Allowed::Role { partition, account, name } => {
                    format!("arn:{partition}:iam::{account}:role/{name}")
                }
                Allowed::User(arn) => arn.clone(),
            })
            .collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_admits_its_sessions_and_nothing_else() {
        let allowed = PlatformPrincipals::parse("arn:aws:iam::123456789012:role/service/platform").unwrap();
        assert!(allowed.admit("arn:aws:sts::123456789012:assumed-role/platform/run-1"));
        for other in [
            "arn:aws:sts::123456789012:assumed-role/platform-admin/run-1",
            "arn:aws:sts::210987654321:assumed-role/platform/run-1",
            "arn:aws-cn:sts::123456789012:assumed-role/platform/run-1",
            "arn:aws:iam::123456789012:user/platform",
            "arn:aws:iam::123456789012:role/service/platform",
            "arn:aws:sts::123456789012:assumed-role/platform",
            "AROAEXAMPLE:platform",
            "",
        ] {
            assert!(!allowed.admit(other), "{other}");
        }
    }

    #[test]
    fn a_user_admits_that_user_only() {
        let allowed = PlatformPrincipals::parse(
            " arn:aws:iam::123456789012:user/platform , arn:aws:iam::123456789012:role/ops",
        )
        .unwrap();
        assert!(allowed.admit("arn:aws:iam::123456789012:user/platform"));
        assert!(allowed.admit("arn:aws:sts::123456789012:assumed-role/ops/x"));
        assert!(!allowed.admit("arn:aws:iam::123456789012:user/intruder"));
    }

    #[test]
    fn an_empty_list_admits_no_one_and_a_non_iam_arn_is_refused() {
        let none = PlatformPrincipals::parse(" , ").unwrap();
        assert!(none.is_empty() && !none.admit("arn:aws:sts::123456789012:assumed-role/platform/x"));
        for bad in [
            "arn:aws:sts::123456789012:assumed-role/platform/x",
            "arn:aws:iam::123:role/platform",
            "arn:aws:iam::123456789012:group/platform",
            "arn:aws:iam::123456789012:role/",
            "platform",
        ] {
            assert!(PlatformPrincipals::parse(bad).is_err(), "{bad}");
        }
    }
}
