//! The diesel schema (`shared/db/src/schema.rs`, written by hand or by `diesel print-schema`) is what the
//! migrations build: every table and column, with its type and nullability.

use std::collections::BTreeSet;

use diesel_async::RunQueryDsl;

use crate::helpers::TestApp;

const SCHEMA_RS: &str = include_str!("../../shared/db/src/schema.rs");

/// (table, column, PostgreSQL type, nullable) as `schema.rs` declares them.
fn declared() -> BTreeSet<(String, String, String, bool)> {
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in SCHEMA_RS.lines().map(str::trim) {
        if let Some((name, _)) = line.split_once(" (").filter(|_| line.ends_with('{')) {
            table = Some(name.trim().to_owned());
            continue;
        }
        if line == "}" {
            table = None;
            continue;
        }
        let (Some(t), Some((column, ty))) = (&table, line.split_once(" -> ")) else {
            continue;
        };
        let ty = ty.trim_end_matches(',');
        let (nullable, inner) = match ty.strip_prefix("Nullable<") {
            Some(rest) => (true, rest.trim_end_matches('>')),
            None => (false, ty),
        };
        let pg = match inner {
            "Uuid" => "uuid",
            "Text" => "text",
            "Bool" => "bool",
            "Bytea" => "bytea",
            "Date" => "date",
            "Int2" => "int2",
            "Int4" => "int4",
            "Int8" => "int8",
            "Float8" => "float8",
            "Json" => "json",
            "Jsonb" => "jsonb",
            "Timestamptz" => "timestamptz",
            other => panic!("schema.rs type {other} not mapped in this test"),
        };
        out.insert((t.clone(), column.trim().to_owned(), pg.to_owned(), nullable));
    }
    out
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    udt_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

#[tokio::test]
async fn the_diesel_schema_matches_the_migrated_database() {
    let app = TestApp::spawn().await;
    let mut conn = app.admin().await;
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text, c.udt_name::text, c.is_nullable = 'YES' AS nullable \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let database: BTreeSet<_> = columns
        .into_iter()
        .map(|c| (c.table_name, c.column_name, c.udt_name, c.nullable))
        .collect();
    let declared = declared();
    let missing: Vec<_> = database.difference(&declared).collect();
    let extra: Vec<_> = declared.difference(&database).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "in the database, not in schema.rs: {missing:#?}\nin schema.rs, not in the database: {extra:#?}"
    );
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// JIT compiling took 100–175 ms a sweep page (more than the page's work): the service's role has it off.
#[tokio::test]
async fn the_services_role_plans_without_jit() {
    let app = TestApp::spawn().await;
    let mut conn = app.app_role().await;
    let jit: Setting = diesel::sql_query("SELECT current_setting('jit') AS value")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(jit.value, "off");
}

/// A status column reads back as its vocabulary (`text_enum!` with diesel): what is written comes back,
/// and a text outside the vocabulary is an error naming it — never a default status, which would let a
/// corrupted row pass for, say, a proposed entry.
#[tokio::test]
async fn a_status_column_reads_its_vocabulary_and_refuses_other_text() {
    use diesel::sql_types::{Nullable, Text};
    use diesel::IntoSql;
    use nuanxin_domain::benefit::EntryStatus;
    let app = TestApp::spawn().await;
    let mut conn = app.app_role().await;
    for status in EntryStatus::ALL {
        let back: EntryStatus = diesel::select(status.into_sql::<Text>())
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(back, status);
        let text: String = diesel::select(status.into_sql::<Text>())
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(text, status.as_str(), "written as its text");
    }
    let none: Option<EntryStatus> =
        diesel::select(None::<EntryStatus>.into_sql::<Nullable<Text>>())
            .get_result(&mut conn)
            .await
            .unwrap();
    assert_eq!(none, None);
    let err = diesel::select(diesel::dsl::sql::<Text>("'Approved'"))
        .get_result::<EntryStatus>(&mut conn)
        .await
        .expect_err("a text outside the vocabulary");
    // diesel wraps the vocabulary's error in the field's: the chain of causes names the vocabulary.
    let mut message = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(e) = cause {
        message = format!("{message}: {e}");
        cause = e.source();
    }
    assert!(message.contains("not a known EntryStatus"), "{message}");
    assert!(
        !message.contains("Approved"),
        "the value is not quoted: {message}"
    );
}
