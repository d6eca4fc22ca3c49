//! Dated policy parameter values a district's administrator entered (`policy_parameter_values`),
//! applied on top of the district's policy file when it loads. Append-only; the latest entry for a
//! parameter and date wins.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::{TenantId, UserId};

use crate::schema::policy_parameter_values;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = policy_parameter_values)]
pub struct NewParameterValue {
    pub tenant_id: TenantId,
    pub parameter: String,
    pub effective_from: NaiveDate,
    pub value: Option<i64>,
    pub basis: String,
    pub entered_by: UserId,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = policy_parameter_values)]
pub struct ParameterValue {
    pub id: i64,
    pub parameter: String,
    pub effective_from: NaiveDate,
    pub value: Option<i64>,
    pub basis: String,
    pub entered_by: UserId,
    pub entered_at: DateTime<Utc>,
}

impl NewParameterValue {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<ParameterValue> {
        diesel::insert_into(policy_parameter_values::table)
            .values(self)
            .returning(ParameterValue::as_returning())
            .get_result(conn)
            .await
    }
}

impl ParameterValue {
    /// The district's values in force: for each parameter and date the latest entry, by parameter and
    /// date (in the caller's tenant transaction).
    pub async fn current(conn: &mut AsyncPgConnection) -> QueryResult<Vec<ParameterValue>> {
        let mut all: Vec<ParameterValue> = policy_parameter_values::table
            .select(ParameterValue::as_select())
            .order((
                policy_parameter_values::parameter,
                policy_parameter_values::effective_from,
                policy_parameter_values::id.desc(),
            ))
            .load(conn)
            .await?;
        all.dedup_by(|later, kept| {
            later.parameter == kept.parameter && later.effective_from == kept.effective_from
        });
        Ok(all)
    }
}
