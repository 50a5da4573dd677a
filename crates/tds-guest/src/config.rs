//! Typed functions beside `tds_store::config`'s statements (see [`crate::queue`]): reading
//! the stored values of some keys (which `tds_core::config_values::Config` turns into the
//! values in force), listing every stored entry, and setting a key.

use tds_store::config;

use crate::bind;
use crate::db::{param, Db, DbError};

/// The keys whose stored values [`read_values`] reads.
pub struct ReadValues<'a> {
    pub keys: &'a [&'a str],
}

/// A key's stored value, as JSON text (not checked against the registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredValue {
    pub key: String,
    pub value: String,
}

/// The stored values of those keys that are set (`config::READ_VALUES`).
pub fn read_values(db: &Db, read: &ReadValues<'_>) -> Result<Vec<StoredValue>, DbError> {
    let rows = db.query(
        config::READ_VALUES,
        bind!(config::READ_VALUES {
            keys: param::text_array(read.keys.iter().copied())
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(StoredValue {
                key: row.text("key")?,
                value: row.text("value")?,
            })
        })
        .collect()
}

/// A stored key with its entry: JSON text of `key`, `value`, `description`, `updated_at`,
/// `updated_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub key: String,
    pub entry: String,
}

/// Every stored key, by key (`config::LIST_ENTRIES`).
pub fn list_entries(db: &Db) -> Result<Vec<StoredEntry>, DbError> {
    let rows = db.query(config::LIST_ENTRIES, bind!(config::LIST_ENTRIES {}))?;
    rows.iter()
        .map(|row| {
            Ok(StoredEntry {
                key: row.text("key")?,
                entry: row.text("entry")?,
            })
        })
        .collect()
}

/// A key [`set_value`] sets to `value` (JSON text) on behalf of `by`; `description` is
/// stored only when the key was not stored yet.
pub struct SetValue<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub description: &'a str,
    pub by: &'a str,
}

/// Stores the key's value (`config::SET_VALUE`).
pub fn set_value(db: &Db, set: &SetValue<'_>) -> Result<(), DbError> {
    db.execute(
        config::SET_VALUE,
        bind!(config::SET_VALUE {
            key: param::text(set.key),
            value: param::text(set.value),
            description: param::text(set.description),
            updated_by: param::text(set.by),
        }),
    )
    .map(drop)
}
