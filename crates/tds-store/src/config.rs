//! Runtime configuration (`tds_config`): keys with JSON values, seeded by the migrations
//! with documented defaults.

use crate::Statement;

/// The keys of `$1` (text[]) that are set. Returns `key`, `value` (JSON text).
pub const READ_VALUES: Statement = Statement::new(
    "config::read_values",
    "SELECT key, value::text FROM tds_config WHERE key = ANY($1::text[])",
);

/// Every stored key, by key. Returns `key`, `entry` (JSON text: `key`, `value`,
/// `description`, `updated_at`, `updated_by`).
pub const LIST_ENTRIES: Statement = Statement::new(
    "config::list_entries",
    "\
SELECT key, jsonb_build_object('key', key, 'value', value, 'description', description, 'updated_at', updated_at,
    'updated_by', updated_by)::text
FROM tds_config ORDER BY key",
);

/// Sets key `$1` to `$2` (JSON text) on behalf of `$4`; `$3` the description used when
/// the key was not stored yet.
pub const SET_VALUE: Statement = Statement::new(
    "config::set_value",
    "\
INSERT INTO tds_config (key, value, description, updated_at, updated_by)
VALUES ($1::text, $2::text::jsonb, $3::text, now(), $4::text)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by",
);

/// Every named statement of this module.
pub const ALL: [Statement; 3] = [READ_VALUES, LIST_ENTRIES, SET_VALUE];
