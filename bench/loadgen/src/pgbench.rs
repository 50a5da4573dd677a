//! The pgbench scripts of the ceilings, generated from the very statements the components
//! run (`tds_store::{inbox, queue, journal}`, `tds_erp::sql`), so they cannot drift apart.
//!
//! Each `$n` placeholder becomes a pgbench variable (`:n`, per-transaction values such as
//! the entity id) or a literal computed the way intake and the processor compute it from
//! Zoho's example item (document, content hash, version, mapped columns), and keeps its
//! cast. Literals are written `E'…'` with `:` as `\x3a`, so pgbench never mistakes part of
//! a document for a variable. Every statement runs with `-M prepared`, as the components'
//! statements do (the host keeps each connection's prepared statements).
//!
//! - `intake.sql`: one intake request for a new item: `inbox::STORE_AND_QUEUE` (as the
//!   components send a query: through `never_empty::wrap`), committed on its own, as intake
//!   sends it outside a transaction. The `ROLLBACK` intake sends first never reaches
//!   PostgreSQL: on a connection the host has reset, no transaction can be open, and the
//!   host answers it. The host holds a bare `BEGIN` back and sends it in one write with the
//!   next statement, so wherever a script has `BEGIN` the two are one pipeline
//!   (`\startpipeline` … `\endpipeline`).
//! - `drain.sql`: one processor batch on the catalog lane: `queue::CLAIM_BATCH` (its rows
//!   collected into arrays with `\gset`), `inbox::READ_DOCUMENTS` for the claimed events
//!   (their content hashes, in claim order), then `BEGIN` (the processor's `ROLLBACK`
//!   before it, after statements that cannot open a transaction, is answered by the
//!   host), `queue::LIMIT_WAITS`, and
//!   per claimed event `SAVEPOINT`, the ERP row's lock (`sql::lock_row`), `sql::upsert`,
//!   `journal::AUDIT_CHANGE`, `queue::COMPLETE` (which logs the attempt too, wrapped as
//!   `Db::query` sends it), `RELEASE`; `COMMIT`.
//!   Left out: once per invocation (up to `time_budget_ms`), reading the tuning and the
//!   run's start and finish rows; once per batch, the lane circuit breaker's read.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::Value;
use tds_core::credential::{CredentialRef, CredentialVariable};
use tds_core::entity::Module;
use tds_core::normalize::{normalize, Delivery};
use tds_core::payload::{self, BodyFormat};
use tds_core::redact::redact_headers;
use tds_erp::sql;
use tds_store::{inbox, journal, never_empty, queue, Statement};

use crate::webhook;

/// The module both ceilings use: its lane is the one `bench/run drain` drains.
const MODULE: Module = Module::Items;
const LEASE_SECONDS: &str = "60";
const LOCK_TIMEOUT_MS: &str = "5000";
const MAX_ATTEMPTS: &str = "8";

/// A SQL literal pgbench leaves alone.
fn literal(text: &str) -> String {
    let mut quoted = String::from("E'");
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("''"),
            ':' => quoted.push_str("\\x3a"),
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

fn opt_literal(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_string(), literal)
}

/// `sql` with `$n` replaced by `values[n - 1]`.
fn bind(sql: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let digits: String = sql[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if c != '$' || digits.is_empty() {
            out.push(c);
            continue;
        }
        let n: usize = digits.parse().expect("digits");
        out.push_str(&values[n - 1]);
        for _ in 0..digits.len() {
            chars.next();
        }
    }
    out
}

/// What intake stores for Zoho's example item, and what the processor writes for it.
struct Example {
    document: String,
    headers: String,
    operation: &'static str,
    shape: &'static str,
    version: Option<String>,
    version_source: &'static str,
    content_hash: String,
    mapped: Vec<Option<String>>,
    changed_fields: Vec<String>,
}

impl Example {
    fn new() -> Result<Example> {
        let body = webhook::body(MODULE, webhook::example(MODULE));
        let parsed = payload::parse(BodyFormat::Json, &body, Some(MODULE))?;
        let event = normalize(
            &parsed,
            &Delivery {
                method: "POST",
                query: &[],
                operation_header: None,
            },
        );
        let headers = redact_headers([
            ("content-type", "application/json"),
            ("x-zoho-webhook-signature", "0".repeat(64).as_str()),
            ("x-request-id", "bench-0-0"),
            ("user-agent", "Zoho-Webhooks"),
            ("content-length", body.len().to_string().as_str()),
        ]);
        let table = tds_erp::table_for(MODULE).context("items have an ERP table")?;
        let mapped = table.map(&parsed.document)?.row.0;
        let mut changed_fields: Vec<String> = [
            table.key,
            "source_modified_at",
            "content_hash",
            "created_at",
            "updated_at",
            "last_inbox_event_id",
        ]
        .into_iter()
        .chain(
            table
                .columns
                .iter()
                .zip(&mapped)
                .filter(|(_, v)| v.is_some())
                .map(|(c, _)| c.name),
        )
        .map(String::from)
        .collect();
        changed_fields.sort();
        Ok(Example {
            document: Value::Object(parsed.document.clone()).to_string(),
            headers: Value::Object(headers).to_string(),
            operation: event.operation.as_str(),
            shape: parsed.shape.as_str(),
            version: event.version.sql_text(),
            version_source: event.version.source.as_str(),
            content_hash: event.content_hash.as_str().to_string(),
            mapped,
            changed_fields,
        })
    }
}

fn text_array(items: &[String]) -> String {
    literal(&format!("{{{}}}", items.join(",")))
}

/// `sql` (`statement`'s text, or its text wrapped) with each parameter replaced by the value
/// named for it; `values` name `statement`'s parameters in its order, as the guests' `bind!`
/// requires.
fn bind_named(sql: &str, statement: &Statement, values: &[(&str, String)]) -> String {
    let names: Vec<&str> = values.iter().map(|(name, _)| *name).collect();
    let expected: Vec<&str> = statement.params.iter().map(|p| p.name).collect();
    assert_eq!(
        names, expected,
        "{}: bind its parameters by name, in order",
        statement.name
    );
    let ordered: Vec<String> = values.iter().map(|(_, value)| value.clone()).collect();
    bind(sql, &ordered)
}

/// The credential the load generator's webhooks are proved by: `zoho_webhook_secret`'s one
/// value.
const SIGNED_WITH: CredentialRef = CredentialRef {
    variable: CredentialVariable::ZohoWebhookSecret,
    position: 1,
};

fn intake_script(example: &Example) -> String {
    let spec = MODULE.spec();
    let store = bind_named(
        &never_empty::wrap(inbox::STORE_AND_QUEUE.sql),
        &inbox::STORE_AND_QUEUE,
        &[
            ("module", literal(spec.name)),
            ("entity_id", ":n".into()),
            ("correlation_id", ":n".into()),
            ("operation", literal(example.operation)),
            ("http_method", literal("POST")),
            ("content_type", literal("application/json")),
            ("payload_shape", literal(example.shape)),
            ("document", literal(&example.document)),
            ("headers", literal(&example.headers)),
            (
                "source_modified_at",
                opt_literal(example.version.as_deref()),
            ),
            ("version_source", literal(example.version_source)),
            ("content_hash", literal(&example.content_hash)),
            ("idempotency_key", ":n".into()),
            ("status", literal("accepted")),
            ("invalid_reasons", text_array(&[])),
            ("lane", literal(spec.lane.as_str())),
            ("priority", literal(&spec.priority.to_string())),
            ("max_attempts", literal(MAX_ATTEMPTS)),
            ("credential", literal(&SIGNED_WITH.label())),
        ],
    );
    format!(
        "-- intake's SQL for one signed webhook of a new item (generated by `tds-loadgen pgbench-scripts`)\n\
         \\set n random(1, 9000000000000000000)\n\
         {store};\n"
    )
}

fn drain_script(example: &Example, batch: usize) -> Result<String> {
    let spec = MODULE.spec();
    let table = tds_erp::table_for(MODULE).context("items have an ERP table")?;
    let modules: Vec<String> = spec
        .lane
        .modules()
        .map(|m| m.as_str().to_string())
        .collect();
    let claim = bind_named(
        queue::CLAIM_BATCH.sql,
        &queue::CLAIM_BATCH,
        &[
            ("lane", literal(spec.lane.as_str())),
            ("modules", text_array(&modules)),
            ("limit", literal(&batch.to_string())),
            ("lease_owner", ":owner".into()),
            ("lease_seconds", literal(LEASE_SECONDS)),
        ],
    );
    // The claim's rows, collected into arrays for `\gset`: its final SELECT becomes one more
    // CTE (a data-modifying WITH must stay at the top level).
    let split = claim
        .rfind("\nSELECT ")
        .context("CLAIM_BATCH ends with a SELECT")?;
    let (ctes, rows) = claim.split_at(split);
    let mut script = format!(
        "-- one processor batch of up to {batch} items on lane {lane} (generated by `tds-loadgen pgbench-scripts`)\n\
         \\set owner random(1, 9000000000000000000)\n\
         {ctes}, batch AS ({rows}\n)\n\
         SELECT count(*) AS n, coalesce(array_agg(id)::text, '{{}}') AS ids, coalesce(array_agg(entity_id)::text, '{{}}') AS entities,\n\
         \x20   coalesce(array_agg(source_modified_at)::text, '{{}}') AS versions,\n\
         \x20   coalesce(array_agg(inbox_event_id)::text, '{{}}') AS events, coalesce(array_agg(correlation_id)::text, '{{}}') AS correlations\n\
         FROM batch \\gset\n\
         \\if :n > 0\n\
         SELECT coalesce(array_agg(d.content_hash ORDER BY o.i)::text, '{{}}') AS hashes\n\
         FROM unnest(:events::bigint[]) WITH ORDINALITY AS o(id, i) JOIN ({documents}) d ON d.id = o.id \\gset\n\
         \\startpipeline\nBEGIN;\n{limit};\n\\endpipeline\n\\endif\n",
        lane = spec.lane.as_str(),
        documents = bind_named(inbox::READ_DOCUMENTS.sql, &inbox::READ_DOCUMENTS, &[("ids", ":events::bigint[]".into())]),
        limit = bind_named(
            queue::LIMIT_WAITS.sql,
            &queue::LIMIT_WAITS,
            &[
                ("lock_timeout_ms", literal(LOCK_TIMEOUT_MS)),
                ("idle_ms", literal(&(LEASE_SECONDS.parse::<i64>()? * 1000).to_string())),
            ],
        ),
    );
    let lock = sql::lock_row(table);
    let upsert = sql::upsert(table);
    for k in 1..=batch {
        let at = |array: &str, ty: &str| format!("(:{array}::{ty}[])[{k}]");
        let (id, entity, version, hash, event, correlation) = (
            at("ids", "bigint"),
            at("entities", "text"),
            at("versions", "text"),
            at("hashes", "text"),
            at("events", "bigint"),
            at("correlations", "text"),
        );
        let mut upsert_values = vec![entity.clone(), version.clone(), hash.clone(), event.clone()];
        upsert_values.extend(example.mapped.iter().map(|v| opt_literal(v.as_deref())));
        let audit = bind_named(
            journal::AUDIT_CHANGE.sql,
            &journal::AUDIT_CHANGE,
            &[
                ("erp_table", literal(table.name)),
                ("entity_id", entity.clone()),
                ("module", literal(spec.name)),
                ("action", literal("insert")),
                ("before", "NULL".into()),
                ("after", ":up_image".into()),
                ("changed_fields", text_array(&example.changed_fields)),
                ("source_modified_at", version.clone()),
                ("inbox_event_id", event.clone()),
                ("queue_id", id.clone()),
                ("run_id", literal("0")),
                ("correlation_id", correlation.clone()),
            ],
        );
        let complete = bind_named(
            &never_empty::wrap(queue::COMPLETE.sql),
            &queue::COMPLETE,
            &[
                ("queue_id", id.clone()),
                ("lease_owner", ":owner".into()),
                ("run_id", literal("0")),
                ("inbox_event_id", event.clone()),
                ("module", literal(spec.name)),
                ("entity_id", entity.clone()),
                ("lane", literal(spec.lane.as_str())),
                ("operation", literal(example.operation)),
                ("attempt", literal("1")),
                ("outcome", literal("applied")),
                ("message", literal(&format!("insert {}", table.name))),
                ("error_code", "NULL".into()),
                ("duration_ms", literal("1.0")),
                ("correlation_id", correlation.clone()),
            ],
        );
        write!(
            script,
            "\\if :n >= {k}\nSAVEPOINT tds_event;\n{};\n{} \\gset up_\n{audit};\n{complete};\nRELEASE SAVEPOINT tds_event;\n\\endif\n",
            bind(&lock, &[entity.clone(), version.clone(), hash.clone()]),
            bind(&upsert, &upsert_values),
        )?;
    }
    script.push_str("\\if :n > 0\nCOMMIT;\n\\endif\n");
    Ok(script)
}

/// Writes `intake.sql` and `drain.sql` into `out`.
pub fn write_scripts(out: &Path, batch: usize) -> Result<()> {
    let example = Example::new()?;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("intake.sql"), intake_script(&example))?;
    std::fs::write(out.join("drain.sql"), drain_script(&example, batch)?)?;
    eprintln!("wrote {0}/intake.sql and {0}/drain.sql", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn binds_every_placeholder_once() {
        let values: Vec<String> = (1..=12).map(|i| format!("v{i}")).collect();
        assert_eq!(
            bind("$1::text, $10::int4, $12", &values),
            "v1::text, v10::int4, v12"
        );
    }

    #[test]
    fn literals_hide_colons_from_pgbench() {
        assert_eq!(
            literal(r#"{"t":"it's \ok"}"#),
            r#"E'{"t"\x3a"it''s \\ok"}'"#
        );
    }

    #[test]
    fn scripts_leave_no_placeholder() {
        let example = Example::new().unwrap();
        for script in [intake_script(&example), drain_script(&example, 3).unwrap()] {
            assert!(!script.contains('$'), "{script}");
        }
    }

    #[test]
    fn mapped_columns_match_the_upsert() {
        let example = Example::new().unwrap();
        assert_eq!(
            example.mapped.len(),
            tds_erp::table_for(MODULE).unwrap().columns.len()
        );
        let _: Map<String, Value> = serde_json::from_str(&example.document).unwrap();
    }
}
