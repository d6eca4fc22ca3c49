//! The rows one caller reaches inside their district.

use nuanxin_ids::{OrgUnitId, UserId};

use crate::vocab::{Role, ScopeKind};

/// Which families of one district a caller reaches, with the ids that bound it. Built once per request
/// from the caller's roles and org unit; every query applies it through one predicate builder
/// (`nuanxin_db::scope`), and a family already in memory is checked with [`Scope::admits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole district.
    District,
    /// One street (or town).
    Street(OrgUnitId),
    /// One community (or village).
    Community(OrgUnitId),
    /// The households given to this user, or to their organization, by a task, a pairing, a data
    /// release or a contact duty that is in force (the `family_assignments` table).
    Assigned {
        user: UserId,
        org_unit: Option<OrgUnitId>,
    },
    /// No family at all.
    Nothing,
}

impl Scope {
    /// The widest scope among `roles` for a user of `org_unit`.
    pub fn of(roles: &[Role], user: UserId, org_unit: Option<OrgUnitId>) -> Scope {
        let has = |kind| roles.iter().any(|r| r.scope() == kind);
        match org_unit {
            _ if has(ScopeKind::District) => Scope::District,
            Some(unit) if has(ScopeKind::Street) => Scope::Street(unit),
            Some(unit) if has(ScopeKind::Community) => Scope::Community(unit),
            // A volunteer reaches what is given to them in person, never their organization's
            // households (those are its staff's to see).
            _ if has(ScopeKind::Assigned) => Scope::Assigned {
                user,
                org_unit: org_unit.filter(|_| roles.contains(&Role::SocialOrgStaff)),
            },
            _ => Scope::Nothing,
        }
    }

    /// Whether a family of `street` and `community` is inside this scope, where that is decidable
    /// from the family alone (`None` for [`Scope::Assigned`]: ask the database).
    pub fn admits(self, street: OrgUnitId, community: OrgUnitId) -> Option<bool> {
        match self {
            Scope::District => Some(true),
            Scope::Street(s) => Some(s == street),
            Scope::Community(c) => Some(c == community),
            Scope::Assigned { .. } => None,
            Scope::Nothing => Some(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_widest_role_decides_and_assignments_need_no_unit() {
        let user = UserId::from_uuid(Uuid::from_u128(1));
        let unit = OrgUnitId::from_uuid(Uuid::from_u128(2));
        assert_eq!(
            Scope::of(&[Role::StreetStaff, Role::DistrictAdmin], user, Some(unit)),
            Scope::District
        );
        assert_eq!(
            Scope::of(&[Role::CommunityWorker], user, Some(unit)),
            Scope::Community(unit)
        );
        assert_eq!(
            Scope::of(&[Role::Volunteer], user, None),
            Scope::Assigned {
                user,
                org_unit: None
            }
        );
        assert_eq!(
            Scope::of(&[Role::Volunteer], user, Some(unit)),
            Scope::Assigned {
                user,
                org_unit: None
            },
            "a volunteer does not reach their organization's households"
        );
        assert_eq!(
            Scope::of(&[Role::SocialOrgStaff], user, Some(unit)),
            Scope::Assigned {
                user,
                org_unit: Some(unit)
            }
        );
        assert_eq!(Scope::of(&[Role::StreetStaff], user, None), Scope::Nothing);
        assert_eq!(
            Scope::of(&[Role::PlatformOperator], user, None),
            Scope::Nothing
        );
    }
}
