//! Applying one claimed event to its ERP table, inside the caller's savepoint: lock the
//! stored row, plan (version guard, content-hash no-op, soft delete; see
//! `tds_erp::apply`), write, and describe the change for the audit trail.
//!
//! A write (insert or update) also replaces the header's child rows (lines, allocations,
//! price-list items) with the document's, each child table in one statement, in the same
//! savepoint; a document without a child array leaves those rows alone. A soft delete keeps
//! the child rows. The row images carry the child rows, so a changed line shows in the
//! audit trail's `changed_fields` under the array's name (`line_items`).

use serde_json::{Map, Value};
use tds_core::failure::FailureClass;
use tds_core::normalize::EntityId;
use tds_erp::apply::{audit_action, changed_fields, plan, Plan, StoredRow};
use tds_erp::{sql, ErpTable, MappedRow, MappingError};
use tds_guest::db::{param, Db, DbError};
use tds_guest::inbox::StoredDocument;
use tds_guest::queue::ClaimedJob;

use crate::job::Job;

/// Why an event could not be applied.
pub struct Failure {
    pub class: FailureClass,
    pub code: String,
    pub message: String,
}

impl Failure {
    fn permanent(code: &str, message: String) -> Failure {
        Failure::of_class(FailureClass::Permanent, code, message)
    }

    fn transient(code: &str, message: String) -> Failure {
        Failure::of_class(FailureClass::Transient, code, message)
    }

    fn of_class(class: FailureClass, code: &str, message: String) -> Failure {
        Failure {
            class,
            code: code.to_string(),
            message,
        }
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Failure {
        Failure {
            class: e.class(),
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<MappingError> for Failure {
    fn from(e: MappingError) -> Failure {
        Failure::permanent("mapping_failed", e.to_string())
    }
}

/// What applying did.
pub enum Effect {
    /// The row changed: insert, update or (soft) delete.
    Changed(Change),
    /// The stored row already has this content (its version moved forward if older).
    Unchanged,
    /// The stored row is newer than the event.
    Stale,
}

/// A real change, for the audit trail.
pub struct Change {
    pub table: &'static ErpTable,
    pub action: &'static str,
    pub before: Option<String>,
    pub after: String,
    pub changed_fields: Vec<String>,
}

pub fn apply(db: &Db, job: &Job) -> Result<Effect, Failure> {
    let claim = &job.claim;
    let module = claim.module;
    let table = tds_erp::table_for(module)
        .ok_or_else(|| Failure::permanent("no_mapper", format!("module {module} has no mapper")))?;
    // Retention never deletes an event a waiting row needs, so a missing one is TDS's own
    // bookkeeping at fault: retried (and counted against the attempts), never dead at once.
    let Some(event) = &job.event else {
        let message = format!("inbox event {} was not found", claim.inbox_event_id.0);
        return Err(Failure::transient("inbox_event_missing", message));
    };
    let key = [
        param::text(claim.entity_id.as_str()),
        param::text(claim.source_modified_at.as_str()),
        param::text(event.content_hash.as_str()),
    ];
    let locked = db.query_built(named(table.name, "lock_row"), &sql::lock_row(table), &key)?;
    let stored = match locked.first() {
        Some(row) => Some(StoredRow {
            image: parse_image(&row.text("image")?)?,
            newer_than_event: row.boolean("newer_than_event")?,
            same_content: row.boolean("same_content")?,
            deleted: row.boolean("deleted")?,
        }),
        None => None,
    };
    let plan = plan(claim.operation, stored.as_ref());
    let written = match plan {
        Plan::Stale => return Ok(Effect::Stale),
        Plan::Unchanged => {
            db.execute_built(
                named(table.name, "advance_version"),
                &sql::advance_version(table),
                &key[..2],
            )?;
            return Ok(Effect::Unchanged);
        }
        Plan::Write => {
            let fields: Map<String, Value> =
                serde_json::from_str(&event.document).map_err(|e| {
                    Failure::permanent(
                        "invalid_document",
                        format!("stored document is not an object: {e}"),
                    )
                })?;
            let mapped = table.map(&fields)?;
            let mut params = bookkeeping(claim, event).to_vec();
            params.extend(mapped.row.0.into_iter().map(param::opt_text));
            // A table with child tables answers `written`, and its image is read once
            // its lines are written (`sql::upsert`).
            let written =
                db.query_built(named(table.name, "upsert"), &sql::upsert(table), &params)?;
            if written.is_empty() || table.children.is_empty() {
                written
            } else {
                write_children(db, table, &claim.entity_id, &mapped.children)?;
                db.query_built(
                    named(table.name, "image_of"),
                    &sql::image_of(table),
                    &[param::text(claim.entity_id.as_str())],
                )?
            }
        }
        Plan::SoftDelete => db.query_built(
            named(table.name, "soft_delete"),
            &sql::soft_delete(table),
            &bookkeeping(claim, event),
        )?,
    };
    let Some(after) = written.first() else {
        return Ok(Effect::Stale);
    };
    let after = after.text("image")?;
    let before = stored.map(|s| s.image);
    let changed_fields = changed_fields(before.as_ref(), &parse_image(&after)?);
    Ok(Effect::Changed(Change {
        table,
        action: audit_action(plan, before.is_some()),
        before: before.map(|b| b.to_string()),
        after,
        changed_fields,
    }))
}

/// Replaces the child rows of the header `id` by the document's, for each child array the
/// document carries.
fn write_children(
    db: &Db,
    table: &ErpTable,
    id: &EntityId,
    children: &[Option<Vec<MappedRow>>],
) -> Result<(), Failure> {
    for (child, rows) in table.children.iter().zip(children) {
        let Some(rows) = rows else { continue };
        db.execute_built(
            named(child.name, "delete_lines"),
            &sql::delete_lines(table, child),
            &[param::text(id.as_str())],
        )?;
        if !rows.is_empty() {
            db.execute_built(
                named(child.name, "insert_lines"),
                &sql::insert_lines(table, child),
                &[
                    param::text(id.as_str()),
                    param::text(sql::lines_param(child, rows)),
                ],
            )?;
        }
    }
    Ok(())
}

/// `$1..$4` of every ERP write (the source document is copied from the inbox event in
/// SQL, never sent back).
fn bookkeeping(claim: &ClaimedJob, event: &StoredDocument) -> [spin_sdk::pg4::ParameterValue; 4] {
    [
        param::text(claim.entity_id.as_str()),
        param::text(claim.source_modified_at.as_str()),
        param::text(event.content_hash.as_str()),
        param::int8(claim.inbox_event_id.0),
    ]
}

/// The name failures of the ERP statement `what` on `table` carry (`erp_invoices::upsert`).
fn named(table: &str, what: &str) -> String {
    format!("{table}::{what}")
}

fn parse_image(text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::permanent("invalid_row_image", e.to_string()))
}
