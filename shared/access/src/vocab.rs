//! The fixed vocabulary: roles, resources, actions and the row scope of each role.

use std::fmt;
use std::str::FromStr;

use crate::AccessError;

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order (`ALL[i].index() == i`).
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Number of values.
            pub const COUNT: usize = [$($text,)+].len();

            /// The exact string used in rules and in the API.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Dense index in `0..COUNT`.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl FromStr for $name {
            type Err = AccessError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(AccessError::Unknown { what: $what, value: other.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// A role a user holds inside one tenant (casbin subject `role:<name>`).
    Role, "role" {
        /// 区卫健局 / 区人口计生委: onboards the district, edits its policy, approves.
        DistrictAdmin => "district_admin",
        /// 民政局, 财政局, …: the bureau's duties.
        BureauStaff => "bureau_staff",
        /// 街道办事处 / 镇: keeps the register of its street.
        StreetStaff => "street_staff",
        /// 村/居委会, 网格员: daily follow-up in the community.
        CommunityWorker => "community_worker",
        /// 社会组织: assigned service tasks only.
        SocialOrgStaff => "social_org_staff",
        /// Volunteer / neighbour helper.
        Volunteer => "volunteer",
        /// Runs the service; manages tenants in domain `platform`; never reads family data.
        PlatformOperator => "platform_operator",
    }
}

vocabulary! {
    /// What is acted upon.
    Resource, "resource" {
        Tenant => "tenant",
        OrgUnit => "org_unit",
        User => "user",
        Family => "family",
        /// Unmasked resident ID numbers and phone numbers.
        FamilyPii => "family_pii",
        FamilyHistory => "family_history",
        FamilyImport => "family_import",
        FamilyExport => "family_export",
        AuditLog => "audit_log",
        Policy => "policy",
        Entitlement => "entitlement",
        BenefitCycle => "benefit_cycle",
        Mail => "mail",
        /// Neighbour helpers of the daily check-ins (name, phone, home location).
        CheckinHelper => "checkin_helper",
        /// Neighbour pairings: eligibility, candidates, consents, withdrawal, pauses, emergencies.
        Pairing => "pairing",
        /// A pairing's daily check-in.
        CheckIn => "check_in",
        /// Alerts of missed or worrying check-ins.
        CheckInAlert => "check_in_alert",
        /// A department's request for family data (issue 12): asked by bureaus, decided by the steward.
        DataRequest => "data_request",
        /// The records a request released: read by the requesting department, revoked by the steward.
        DataRelease => "data_release",
        /// A yes/no entitlement question by resident ID.
        Verification => "verification",
        /// Who received or looked up one family's data.
        FamilyAccessLog => "family_access_log",
        /// A family's consent to a department's use of its data.
        SharingConsent => "sharing_consent",
        /// Volunteers of social organizations and independent ones (and their hours).
        VolunteerRecord => "volunteer_record",
        /// Service tasks for households.
        ServiceTask => "service_task",
        /// A task's offer to an organization or independent volunteer, its assignment and report.
        TaskOffer => "task_offer",
        /// A run of the volunteer matching.
        MatchingRun => "matching_run",
        /// Holiday visit campaigns and their progress.
        VisitCampaign => "visit_campaign",
        /// Holiday visit records (with the condolence money handed over).
        Visit => "visit",
        /// Contact persons' daily contact log.
        ContactLog => "contact_log",
        /// The district's care dashboard for the target-responsibility assessment (aggregates only).
        Dashboard => "dashboard",
        /// 暖心家园 / 怡心家园 / 新希望家园 activities and signature projects (一镇一品).
        Activity => "activity",
    }
}

vocabulary! {
    /// What is done.
    Action, "action" {
        List => "list",
        Read => "read",
        Create => "create",
        Update => "update",
        Exit => "exit",
        Manage => "manage",
        Evaluate => "evaluate",
        Verify => "verify",
        Approve => "approve",
        Disburse => "disburse",
        Revoke => "revoke",
        /// Accept or decline an offer.
        Respond => "respond",
        /// Name the volunteer who goes.
        Assign => "assign",
        /// Check in and out with a report.
        Report => "report",
        /// Start a run.
        Run => "run",
    }
}

/// Which kind of rows of a tenant a role sees; [`crate::Scope`] is the scope of one caller, with the
/// ids of their street, community or assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// The whole district.
    District,
    /// The user's street (org unit) only.
    Street,
    /// The user's community only.
    Community,
    /// Only the households of tasks assigned to the user or their organization.
    Assigned,
    /// No tenant data: the `platform` domain (tenants themselves).
    Platform,
}

impl Role {
    /// The role's title as the console and the mail name it, e.g. 街道工作人员.
    pub const fn title(self) -> &'static str {
        match self {
            Role::DistrictAdmin => "区级管理员",
            Role::BureauStaff => "部门工作人员",
            Role::StreetStaff => "街道工作人员",
            Role::CommunityWorker => "社区工作人员",
            Role::SocialOrgStaff => "社会组织工作人员",
            Role::Volunteer => "志愿者",
            Role::PlatformOperator => "平台运营人员",
        }
    }

    /// The row scope the application applies for this role.
    pub const fn scope(self) -> ScopeKind {
        match self {
            Role::DistrictAdmin | Role::BureauStaff => ScopeKind::District,
            Role::StreetStaff => ScopeKind::Street,
            Role::CommunityWorker => ScopeKind::Community,
            Role::SocialOrgStaff | Role::Volunteer => ScopeKind::Assigned,
            Role::PlatformOperator => ScopeKind::Platform,
        }
    }

    /// The casbin subject of the role: `role:<name>`.
    pub const fn subject(self) -> &'static str {
        match self {
            Role::DistrictAdmin => "role:district_admin",
            Role::BureauStaff => "role:bureau_staff",
            Role::StreetStaff => "role:street_staff",
            Role::CommunityWorker => "role:community_worker",
            Role::SocialOrgStaff => "role:social_org_staff",
            Role::Volunteer => "role:volunteer",
            Role::PlatformOperator => "role:platform_operator",
        }
    }

    /// Parses a casbin subject `role:<name>`.
    pub fn from_subject(subject: &str) -> Result<Role, AccessError> {
        match subject.strip_prefix(ROLE_PREFIX) {
            Some(name) => name.parse(),
            None => Err(AccessError::Unknown {
                what: "role subject",
                value: subject.to_owned(),
            }),
        }
    }
}

impl Resource {
    /// Resources that carry or reveal family data; the platform operator is refused
    /// all of them whatever the rules say.
    pub const fn is_family_data(self) -> bool {
        matches!(
            self,
            Resource::Family
                | Resource::FamilyPii
                | Resource::FamilyHistory
                | Resource::FamilyImport
                | Resource::FamilyExport
                | Resource::DataRelease
                | Resource::Verification
                | Resource::FamilyAccessLog
                | Resource::SharingConsent
                | Resource::VisitCampaign
                | Resource::Visit
                | Resource::ContactLog
                | Resource::Pairing
                | Resource::CheckIn
                | Resource::CheckInAlert
        )
    }
}

pub(crate) const ROLE_PREFIX: &str = "role:";
pub(crate) const USER_PREFIX: &str = "user:";

/// A set of roles as a bit mask (one bit per `Role::index()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RoleSet(u8);

impl RoleSet {
    pub(crate) fn insert(&mut self, role: Role) {
        self.0 |= 1 << role.index();
    }
    pub(crate) fn remove(&mut self, role: Role) {
        self.0 &= !(1 << role.index());
    }
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub(crate) fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL
            .iter()
            .copied()
            .filter(move |r| self.0 & (1 << r.index()) != 0)
    }
}

const _: () = assert!(Role::COUNT <= 8, "RoleSet is a u8");
