//! Roles are named sets of permissions held in a catalog. The built-in catalog has
//! `owner`, `administrator` and `member`; a team's custom roles would be more
//! entries in the same catalog, so nothing else changes when they arrive.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// Invite, withdraw invitations, revoke memberships.
    MembersManage,
    /// View memberships and invitations.
    MembersRead,
    /// Billing; the one permission an administrator lacks.
    BillingManage,
    /// Everyday use of the product.
    ProductUse,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Permission::MembersManage,
        Permission::MembersRead,
        Permission::BillingManage,
        Permission::ProductUse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::MembersManage => "members.manage",
            Permission::MembersRead => "members.read",
            Permission::BillingManage => "billing.manage",
            Permission::ProductUse => "product.use",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a role name is 1-64 characters of lowercase letters, digits, '-' or '_'")]
pub struct InvalidRoleName;

/// A role's name as stored on memberships and invitations: 1-64 characters of
/// lowercase letters, digits, '-' or '_'.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleName(String);

impl RoleName {
    pub const OWNER: &'static str = "owner";
    pub const ADMINISTRATOR: &'static str = "administrator";
    pub const MEMBER: &'static str = "member";

    pub fn parse(raw: &str) -> Result<Self, InvalidRoleName> {
        let ok = (1..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        ok.then(|| Self(raw.to_owned())).ok_or(InvalidRoleName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: RoleName,
    pub permissions: BTreeSet<Permission>,
    /// Whether an invitation may grant this role (never for `owner`).
    pub grantable_by_invitation: bool,
}

impl Role {
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("unknown role '{0}'")]
    Unknown(String),
    #[error("the role '{0}' cannot be granted by an invitation")]
    NotGrantable(String),
}

#[derive(Debug, Clone)]
pub struct RoleCatalog {
    roles: BTreeMap<RoleName, Role>,
}

impl RoleCatalog {
    pub fn builtin() -> Self {
        use Permission::*;
        let all: BTreeSet<Permission> = Permission::ALL.into_iter().collect();
        let admin: BTreeSet<Permission> = all.iter().copied().filter(|p| *p != BillingManage).collect();
        let member: BTreeSet<Permission> = [MembersRead, ProductUse].into_iter().collect();
        let roles = [
            (RoleName::OWNER, all, false),
            (RoleName::ADMINISTRATOR, admin, true),
            (RoleName::MEMBER, member, true),
        ]
        .into_iter()
        .map(|(name, permissions, grantable_by_invitation)| {
            let name = RoleName(name.to_owned());
            let role = Role { name: name.clone(), permissions, grantable_by_invitation };
            (name, role)
        })
        .collect();
        Self { roles }
    }

    /// Adds or replaces a role (a team's custom role).
    pub fn with_role(mut self, role: Role) -> Self {
        self.roles.insert(role.name.clone(), role);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Role> {
        RoleName::parse(name).ok().and_then(|n| self.roles.get(&n))
    }

    /// The role an invitation may carry, or why not.
    pub fn invitable(&self, name: &str) -> Result<&Role, RoleError> {
        let role = self.get(name).ok_or_else(|| RoleError::Unknown(name.chars().take(64).collect()))?;
        if role.grantable_by_invitation {
            Ok(role)
        } else {
            Err(RoleError::NotGrantable(role.name.to_string()))
        }
    }

    /// Whether a member holding `role` has `permission`. A role the catalog does
    /// not know grants nothing: fail closed.
    pub fn allows(&self, role: &RoleName, permission: Permission) -> bool {
        self.roles.get(role).is_some_and(|r| r.has(permission))
    }

    /// Whether a member holding `granter` may hand out `role`: only a role whose
    /// every permission the granter holds too, so no one grants more than they
    /// have. A granter role the catalog does not know may grant nothing.
    pub fn may_grant(&self, granter: &RoleName, role: &Role) -> bool {
        self.roles.get(granter).is_some_and(|g| role.permissions.is_subset(&g.permissions))
    }

    /// Every role that grants `permission`: what a write conditioned on the
    /// caller's role (rather than on an earlier read of it) accepts.
    pub fn holding(&self, permission: Permission) -> Vec<RoleName> {
        self.roles.values().filter(|r| r.has(permission)).map(|r| r.name.clone()).collect()
    }

    /// Every role, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// Whether a member holding `granter` may invite someone into `role`: the
    /// role is grantable by invitation, the granter manages members, and the role
    /// grants nothing the granter lacks.
    pub fn may_invite_as(&self, granter: &RoleName, role: &Role) -> bool {
        role.grantable_by_invitation
            && self.allows(granter, Permission::MembersManage)
            && self.may_grant(granter, role)
    }

    /// Whether a member holding `granter` may give `role` to a member, or take
    /// it from one, by a role change or a removal: a manager, within the
    /// subset rule (owner included, which no invitation grants).
    pub fn may_assign(&self, granter: &RoleName, role: &Role) -> bool {
        self.allows(granter, Permission::MembersManage) && self.may_grant(granter, role)
    }

    pub fn invitable_names(&self) -> Vec<&str> {
        self.roles.values().filter(|r| r.grantable_by_invitation).map(|r| r.name.as_str()).collect()
    }
}

impl Default for RoleCatalog {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    fn name(s: &str) -> RoleName {
        RoleName::parse(s).unwrap()
    }

    #[test]
    fn builtin_roles_have_the_documented_permissions() {
        let c = RoleCatalog::builtin();
        for p in Permission::ALL {
            assert!(c.allows(&name("owner"), p), "owner lacks {}", p.as_str());
        }
        assert!(c.allows(&name("administrator"), MembersManage));
        assert!(c.allows(&name("administrator"), MembersRead));
        assert!(!c.allows(&name("administrator"), BillingManage));
        assert!(c.allows(&name("member"), MembersRead));
        assert!(!c.allows(&name("member"), MembersManage));
    }

    #[test]
    fn owner_is_never_invitable_and_unknown_roles_are_refused() {
        let c = RoleCatalog::builtin();
        assert_eq!(c.invitable("owner"), Err(RoleError::NotGrantable("owner".into())));
        assert_eq!(c.invitable("wizard"), Err(RoleError::Unknown("wizard".into())));
        assert_eq!(c.invitable("Member"), Err(RoleError::Unknown("Member".into())));
        assert_eq!(c.invitable("member").unwrap().name.as_str(), "member");
        assert_eq!(c.invitable_names(), vec!["administrator", "member"]);
    }

    #[test]
    fn a_role_may_grant_only_roles_within_its_own_permissions() {
        // A custom manager role: may invite, but lacks billing and product use.
        let recruiter = Role {
            name: name("recruiter"),
            permissions: [MembersManage, MembersRead].into_iter().collect(),
            grantable_by_invitation: true,
        };
        let c = RoleCatalog::builtin().with_role(recruiter);
        let role = |n: &str| c.get(n).unwrap().clone();
        assert!(!c.may_grant(&name("recruiter"), &role("administrator")), "administrator has more");
        assert!(!c.may_grant(&name("recruiter"), &role("member")), "member has product.use");
        assert!(c.may_grant(&name("recruiter"), &role("recruiter")));
        assert!(c.may_grant(&name("administrator"), &role("administrator")));
        assert!(c.may_grant(&name("administrator"), &role("member")));
        assert!(c.may_grant(&name("owner"), &role("administrator")));
        assert!(!c.may_grant(&name("retired-role"), &role("member")), "unknown granters grant nothing");
    }

    #[test]
    fn unknown_stored_roles_grant_nothing() {
        let c = RoleCatalog::builtin();
        assert!(!c.allows(&name("retired-role"), MembersRead));
    }

    #[test]
    fn a_custom_role_fits_without_code_changes() {
        let billing = Role {
            name: name("billing-admin"),
            permissions: [BillingManage, MembersRead].into_iter().collect(),
            grantable_by_invitation: true,
        };
        let c = RoleCatalog::builtin().with_role(billing);
        assert!(c.invitable("billing-admin").is_ok());
        assert!(c.allows(&name("billing-admin"), MembersRead));
        assert!(!c.allows(&name("billing-admin"), MembersManage));
    }
}
