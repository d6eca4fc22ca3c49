//! What a violated constraint means for the caller: one table from constraint names to the field they
//! guard, so that a race the application's own checks cannot see (two registrations of one resident ID at
//! once) answers 409/422 naming the field instead of 500.

use diesel::result::{DatabaseErrorKind, Error};

/// How a write collided with the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// A unique key: the thing exists already (409).
    Unique,
    /// A check, foreign key or not-null constraint: the value is not allowed (422).
    Invalid,
}

/// A constraint violation, in the caller's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The API field the constraint guards.
    pub field: &'static str,
    pub code: &'static str,
    /// Chinese, for the client.
    pub message: &'static str,
}

/// Constraint name → (field, code, message). Constraints not listed map by kind to a generic answer.
const KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        "family_members_by_resident_id",
        "parents.resident_id",
        "already_registered",
        "此身份证号已登记",
    ),
    (
        "users_tenant_id_username_key",
        "username",
        "taken",
        "用户名已被使用",
    ),
    ("tenants_slug_key", "slug", "taken", "该区代码已被使用"),
    (
        "benefit_cycles_tenant_id_program_period_key",
        "period",
        "cycle_exists",
        "该项目本期已生成",
    ),
    (
        "data_releases_tenant_id_request_id_key",
        "id",
        "already_decided",
        "该申请已被处理",
    ),
    (
        "visits_money_once",
        "money_cny",
        "already_paid",
        "该户本次慰问金已发放，不能重复发放",
    ),
    (
        "visit_campaigns_once",
        "program",
        "campaign_exists",
        "该节日本年度的走访活动已生成",
    ),
    (
        "signature_projects_once",
        "street",
        "project_exists",
        "该街道（镇）本年度已有“一镇一品”项目",
    ),
    (
        "checkin_pairings_one_per_elder",
        "person",
        "already_paired",
        "该老人已有结对邻居（同一时间只能有一个结对）",
    ),
    (
        "checkin_helpers_by_user",
        "username",
        "already_helper",
        "该账号已登记为结对邻居",
    ),
];

/// The violation behind `e`, if `e` is one.
pub fn on_constraint(e: &Error) -> Option<Violation> {
    let Error::DatabaseError(kind, info) = e else {
        return None;
    };
    let kind = match kind {
        DatabaseErrorKind::UniqueViolation => ViolationKind::Unique,
        DatabaseErrorKind::ForeignKeyViolation
        | DatabaseErrorKind::CheckViolation
        | DatabaseErrorKind::NotNullViolation => ViolationKind::Invalid,
        _ => return None,
    };
    let name = info.constraint_name().unwrap_or_default();
    let known = KNOWN.iter().find(|(c, ..)| *c == name);
    Some(match (known, kind) {
        (Some(&(_, field, code, message)), kind) => Violation {
            kind,
            field,
            code,
            message,
        },
        (None, ViolationKind::Unique) => Violation {
            kind,
            field: info.column_name().map_or("body", column_field),
            code: "conflict",
            message: "与已有记录冲突",
        },
        (None, ViolationKind::Invalid) => Violation {
            kind,
            field: info.column_name().map_or("body", column_field),
            code: "invalid",
            message: "取值不被允许",
        },
    })
}

/// A column name as a field (only names this schema has: never a value).
fn column_field(column: &str) -> &'static str {
    // The error holds the name borrowed from the driver's message; give back a static name when known.
    const COLUMNS: &[&str] = &[
        "kind",
        "status",
        "amount_cny",
        "person",
        "exit_reason",
        "self_care",
        "care",
        "category",
        "role",
        "latitude",
        "longitude",
    ];
    COLUMNS
        .iter()
        .find(|c| **c == column)
        .copied()
        .unwrap_or("body")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Info(&'static str);
    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            "duplicate key value violates unique constraint"
        }
        fn details(&self) -> Option<&str> {
            Some("Key (tenant_id, resident_id_hash)=(…) already exists.")
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            Some(self.0)
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    #[test]
    fn a_known_unique_constraint_names_its_field() {
        let e = Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(Info("family_members_by_resident_id")),
        );
        let v = on_constraint(&e);
        assert_eq!(
            v.map(|v| (v.kind, v.field)),
            Some((ViolationKind::Unique, "parents.resident_id"))
        );
    }

    #[test]
    fn other_errors_are_not_violations() {
        assert_eq!(on_constraint(&Error::NotFound), None);
        let e = Error::DatabaseError(DatabaseErrorKind::SerializationFailure, Box::new(Info("x")));
        assert_eq!(on_constraint(&e), None);
    }
}
