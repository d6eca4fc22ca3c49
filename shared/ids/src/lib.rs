//! The platform's typed identifiers. Every row is keyed by a UUID, and a function that takes a
//! district's id, a family's and a user's as three `Uuid`s compiles with them in any order; as
//! `TenantId`, `FamilyId` and `UserId` it does not. An id is a UUID inside: it travels as the UUID's
//! text in JSON and paths, and as a `uuid` column (with the `diesel` feature).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Uuid))]
        pub struct $name(Uuid);

        impl $name {
            /// A new random id (v4), for a row about to be written.
            pub fn generate() -> Self {
                Self(Uuid::new_v4())
            }

            /// The id of a UUID read from elsewhere (a path, a file, another id's column).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::from_str(text).map(Self)
            }
        }

        #[cfg(feature = "diesel")]
        const _: () = {
            use diesel::backend::Backend;
            use diesel::deserialize::{self, FromSql};
            use diesel::serialize::{self, Output, ToSql};
            use diesel::sql_types;

            impl<DB: Backend> FromSql<sql_types::Uuid, DB> for $name
            where
                Uuid: FromSql<sql_types::Uuid, DB>,
            {
                fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                    Uuid::from_sql(bytes).map(Self)
                }
            }

            impl<DB: Backend> ToSql<sql_types::Uuid, DB> for $name
            where
                Uuid: ToSql<sql_types::Uuid, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    self.0.to_sql(out)
                }
            }
        };
    )+};
}

impl UserId {
    /// The platform itself as an actor (jobs, the command line, the demo's seed): the nil UUID, which
    /// no account has.
    pub const SYSTEM: UserId = UserId(Uuid::nil());
}

ids! {
    /// A district on the platform (`tenants.id`): the tenant every row belongs to and row-level
    /// security separates.
    TenantId;
    /// An account that signs in: a district's user (`users.id`), whose work the audit log and the
    /// assignments name; a platform operator's session carries its own row's id the same way.
    UserId;
    /// A unit of a district's organization (`org_units.id`): its office, a bureau, a street or
    /// town, a community or village, a social organization. A family's street and community, a
    /// user's unit and a street or community scope are each one.
    OrgUnitId;
    /// A registered family (`families.id`), the household the register keeps.
    FamilyId;
    /// One run of a benefit programme for one period (`benefit_cycles.id`): the entries it generated
    /// are verified, approved and paid as a whole.
    CycleId;
    /// A department's request for the register's data (`data_requests.id`), which the district's
    /// data steward approves or rejects.
    DataRequestId;
    /// The data an approved request released (`data_releases.id`): sealed records or counts, for
    /// one unit, until it expires or is revoked.
    DataReleaseId;
    /// A volunteer on the district's roster (`volunteers.id`), independent or of a social
    /// organization; an offer names the one it went to.
    VolunteerId;
    /// A service task for a household (`service_tasks.id`): a window, a place, the skills and
    /// the number of volunteers it needs.
    TaskId;
    /// One run of the matching (`matching_runs.id`): the offers it made and what it left unfilled.
    MatchingRunId;
    /// An offer of one task to one volunteer (`task_offers.id`), answered, assigned, checked in
    /// and reported on.
    OfferId;
    /// A holiday visiting campaign of one programme, year and festival (`visit_campaigns.id`): the
    /// families to visit, filled from the benefit cycle that pays their holiday money.
    CampaignId;
    /// One recorded visit of a campaign's family (`visits.id`), with what was handed over and
    /// what the family needs.
    VisitId;
    /// A neighbour mutual-aid pairing (`pairings.id`): one helper looking in on one elder daily.
    PairingId;
    /// A neighbour who looks in on an elder (`checkin_helpers.id`).
    HelperId;
    /// One rung of a missed check-in's escalation ladder raised for one recipient
    /// (`checkin_alerts.id`), open until someone acknowledges what they found.
    AlertId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_travels_as_its_uuid_text() {
        let uuid = Uuid::new_v4();
        let id = FamilyId::from_uuid(uuid);
        assert_eq!(
            serde_json::to_string(&id).ok(),
            serde_json::to_string(&uuid).ok()
        );
        assert_eq!(id.to_string(), uuid.to_string());
        assert_eq!(uuid.to_string().parse::<FamilyId>().ok(), Some(id));
        assert_eq!(
            serde_json::from_str::<FamilyId>(&format!("\"{uuid}\"")).ok(),
            Some(id)
        );
        assert!("not-a-uuid".parse::<FamilyId>().is_err());
        assert!(serde_json::from_str::<FamilyId>("42").is_err());
    }

    #[test]
    fn new_ids_differ() {
        assert_ne!(FamilyId::generate(), FamilyId::generate());
    }
}
