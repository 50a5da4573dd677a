//! Typed functions beside `tds_store::inbox`'s statements (see [`crate::queue`]).

use tds_core::ids::InboxEventId;
use tds_core::normalize::ContentHash;
use tds_store::inbox;

use crate::db::{param, Db, DbError};

/// The inbox events whose documents [`read_documents`] reads.
pub struct ReadDocuments<'a> {
    pub ids: &'a [InboxEventId],
}

/// An inbox event's document (JSON text) and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub id: InboxEventId,
    pub document: String,
    pub content_hash: ContentHash,
}

/// The documents of the events (`inbox::READ_DOCUMENTS`), for a claimed batch: an event
/// that does not exist has none.
pub fn read_documents(db: &Db, read: &ReadDocuments<'_>) -> Result<Vec<StoredDocument>, DbError> {
    let rows = db.query(
        inbox::READ_DOCUMENTS,
        &[param::int8_array(read.ids.iter().map(|id| id.0))],
    )?;
    rows.iter()
        .map(|row| {
            Ok(StoredDocument {
                id: InboxEventId(row.int8(0)?),
                document: row.text(1)?,
                content_hash: ContentHash::from_stored(row.text(2)?),
            })
        })
        .collect()
}
