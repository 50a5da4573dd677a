//! A claimed queue row with its inbox event ([`Job`]): the claim (`queue::CLAIM_BATCH`)
//! decoded, then the documents read by a statement of their own (`inbox::READ_DOCUMENTS`).

use tds_guest::db::{param, Db, DbError};
use tds_store::{inbox, queue};

use crate::settings::Settings;

/// A claimed queue row with its inbox event.
pub struct Job {
    pub id: i64,
    pub module: String,
    pub entity_id: String,
    pub operation: String,
    pub inbox_event_id: i64,
    /// The event's source version as PostgreSQL text.
    pub version: String,
    pub attempt: i32,
    pub max_attempts: i32,
    pub correlation_id: String,
    /// `None` when the inbox event was not found.
    pub document: Option<String>,
    pub content_hash: Option<String>,
}

/// Claims a batch of the lane for `owner` (committed at once) and reads its documents.
pub fn claim(db: &Db, settings: &Settings, owner: &str) -> Result<Vec<Job>, DbError> {
    let rows = db.query(
        queue::CLAIM_BATCH,
        &[
            param::text(settings.lane.as_str()),
            param::text_array(settings.claimable.iter().map(|m| m.as_str())),
            param::int4(settings.batch_size),
            param::text(owner),
            param::int4(settings.lease_seconds),
        ],
    )?;
    let mut jobs = rows
        .iter()
        .map(|r| {
            Ok(Job {
                id: r.int8(0)?,
                module: r.text(1)?,
                entity_id: r.text(2)?,
                operation: r.text(3)?,
                inbox_event_id: r.int8(4)?,
                version: r.text(5)?,
                attempt: r.int4(6)?,
                max_attempts: r.int4(7)?,
                correlation_id: r.opt_text(8)?.unwrap_or_default(),
                document: None,
                content_hash: None,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    if !jobs.is_empty() {
        read_documents(db, &mut jobs)?;
    }
    Ok(jobs)
}

/// Fills in the documents of claimed jobs, in a statement after the claim (see
/// `queue::CLAIM_BATCH`). A job whose event is not found keeps `None`.
fn read_documents(db: &Db, jobs: &mut [Job]) -> Result<(), DbError> {
    let ids = jobs.iter().map(|job| job.inbox_event_id);
    let rows = db.query(inbox::READ_DOCUMENTS, &[param::int8_array(ids)])?;
    for row in rows.iter() {
        let id = row.int8(0)?;
        let (document, content_hash) = (row.text(1)?, row.text(2)?);
        for job in jobs.iter_mut().filter(|job| job.inbox_event_id == id) {
            job.document = Some(document.clone());
            job.content_hash = Some(content_hash.clone());
        }
    }
    Ok(())
}
