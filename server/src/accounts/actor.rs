//! The acting user of a console request and the authorisation matrix: role **and** constituency,
//! decided here and nowhere else.

use std::fmt;

/// A console role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The Commission's administrator: every election and constituency; manages accounts.
    Admin,
    /// A Returning Officer: reviews, settles, releases and signs for their constituencies.
    ReturningOfficer,
    /// A data-entry operator, created by an RO for that RO's constituencies: keys figures only.
    Operator,
    /// Read-only: a candidate's agent or an accredited observer, for their constituencies.
    Observer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::ReturningOfficer,
        Role::Operator,
        Role::Observer,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReturningOfficer => "ro",
            Role::Operator => "operator",
            Role::Observer => "observer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One constituency of one election (codes repeat across elections).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConstituencyRef {
    pub election: String,
    pub code: String,
}

impl ConstituencyRef {
    pub fn new(election: impl Into<String>, code: impl Into<String>) -> Self {
        ConstituencyRef {
            election: election.into(),
            code: code.into(),
        }
    }
}

/// Where an actor may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every election and constituency (the Commission's administrator, a national observer).
    All,
    /// These constituencies only.
    Constituencies(Vec<ConstituencyRef>),
}

impl Scope {
    pub fn covers(&self, c: &ConstituencyRef) -> bool {
        match self {
            Scope::All => true,
            Scope::Constituencies(list) => list.contains(c),
        }
    }
}

/// The user a request acts for, as the session established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A stable opaque id (`u-` and hex): what events and log leaves name; never the login name.
    pub user_id: String,
    pub role: Role,
    pub scope: Scope,
}

/// What a console request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The arrival board, the station list, a capture's image and verification (read).
    ViewBoard,
    /// Accept, reject or ask for a new capture.
    ReviewCapture,
    /// Key a blind entry of a Form-45/46's figures.
    EnterFigures,
    /// See both entries side by side and settle disagreements.
    SettleCorrections,
    /// Release a quarantined station with a reason.
    ReleaseQuarantine,
    /// Compile, sign and supersede Forms 47, 48 and 49 (and enter postal ballots).
    SignForms,
    /// Read confirmed figures, forms and exports.
    ViewResults,
    /// Create and disable operator accounts of the constituency.
    ManageOperators,
    /// Create, disable and reset any account (the Commission's administrator).
    ManageUsers,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::ViewBoard,
        Permission::ReviewCapture,
        Permission::EnterFigures,
        Permission::SettleCorrections,
        Permission::ReleaseQuarantine,
        Permission::SignForms,
        Permission::ViewResults,
        Permission::ManageOperators,
        Permission::ManageUsers,
    ];
}

/// Whether `role` may do `permission` at all (the matrix's role half).
pub fn role_allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        // The administrator manages accounts and reads everything; decisions on a count are the
        // RO's alone (Elections Act 2017 s.13), so the administrator does not review or sign.
        Role::Admin => matches!(
            permission,
            ViewBoard | ViewResults | ManageOperators | ManageUsers
        ),
        Role::ReturningOfficer => !matches!(permission, EnterFigures | ManageUsers),
        Role::Operator => matches!(permission, ViewBoard | EnterFigures),
        Role::Observer => matches!(permission, ViewBoard | ViewResults),
    }
}

/// The one authorisation decision of the console: role **and** constituency. `constituency` is
/// `None` for a request about no single constituency (the national view, account lists): then
/// the role alone decides, and the caller shows only what [`Scope::covers`] allows.
pub fn authorize(
    actor: &Actor,
    permission: Permission,
    constituency: Option<&ConstituencyRef>,
) -> bool {
    role_allows(actor.role, permission)
        && match constituency {
            Some(c) => actor.scope.covers(c),
            None => true,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor {
            user_id: "u-01".into(),
            role,
            scope,
        }
    }

    #[test]
    fn role_and_constituency_both_decide() {
        let own = ConstituencyRef::new("pk-2024-ge", "NA-46");
        let other = ConstituencyRef::new("pk-2024-ge", "NA-47");
        let ro = actor(
            Role::ReturningOfficer,
            Scope::Constituencies(vec![own.clone()]),
        );
        assert!(authorize(&ro, Permission::SignForms, Some(&own)));
        assert!(!authorize(&ro, Permission::SignForms, Some(&other)));
        assert!(!authorize(&ro, Permission::EnterFigures, Some(&own)));
        let op = actor(Role::Operator, Scope::Constituencies(vec![own.clone()]));
        assert!(authorize(&op, Permission::EnterFigures, Some(&own)));
        assert!(!authorize(&op, Permission::SettleCorrections, Some(&own)));
        let admin = actor(Role::Admin, Scope::All);
        assert!(authorize(&admin, Permission::ViewBoard, Some(&other)));
        assert!(!authorize(&admin, Permission::SignForms, Some(&other)));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
