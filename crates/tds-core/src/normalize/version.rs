//! The source version: the first of the document's version fields holding a Zoho
//! timestamp, else the receipt time.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::time::{parse_zoho_timestamp, sql_text};

/// Where an event's source version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSource {
    LastModifiedTime,
    UpdatedTime,
    /// No usable time in the document: the receipt time, so ordering is by arrival.
    ReceivedAt,
}

/// Document fields that carry a version, in order of preference. They are left out of the
/// content hash.
pub(super) const VERSION_FIELDS: [(&str, VersionSource); 2] = [
    ("last_modified_time", VersionSource::LastModifiedTime),
    ("updated_time", VersionSource::UpdatedTime),
];

impl VersionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionSource::LastModifiedTime => "last_modified_time",
            VersionSource::UpdatedTime => "updated_time",
            VersionSource::ReceivedAt => "received_at",
        }
    }
}

/// An event's version: when the source last changed the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceVersion {
    pub source: VersionSource,
    /// `None` for [`VersionSource::ReceivedAt`]: the database's receipt time stands in.
    pub at: Option<DateTime<Utc>>,
}

impl SourceVersion {
    /// The first version field of `document` that holds a Zoho timestamp.
    pub fn of_document(document: &Map<String, Value>) -> SourceVersion {
        VERSION_FIELDS
            .iter()
            .find_map(|(field, source)| {
                let at = document
                    .get(*field)?
                    .as_str()
                    .and_then(parse_zoho_timestamp)?;
                Some(SourceVersion {
                    source: *source,
                    at: Some(at),
                })
            })
            .unwrap_or(SourceVersion {
                source: VersionSource::ReceivedAt,
                at: None,
            })
    }

    /// The version as text for `$n::text::timestamptz`; `None` means "the receipt time".
    pub fn sql_text(&self) -> Option<String> {
        self.at.as_ref().map(sql_text)
    }
}

/// An event's version as the store holds it (`source_modified_at`, a `timestamptz`, as
/// PostgreSQL writes it as text): read from one statement and handed to the next
/// (`$n::text::timestamptz`) unchanged, never parsed, so it compares equal to itself in the
/// version guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion(String);

impl StoredVersion {
    pub fn from_stored(text: String) -> StoredVersion {
        StoredVersion(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
