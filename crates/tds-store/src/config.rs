//! Runtime configuration (`tds_config`): keys with JSON values, seeded by the migrations
//! with documented defaults.

use crate::{statement, Statement};

/// The keys of `$keys` that are set. Returns `key`, `value` (JSON text).
pub const READ_VALUES: Statement = statement!(
    "config::read_values",
    "SELECT key, value::text FROM tds_config WHERE key = ANY($keys::text[])",
);

/// Every stored key, by key. Returns `key`, `entry` (JSON text: `key`, `value`,
/// `description`, `updated_at`, `updated_by`).
pub const LIST_ENTRIES: Statement = statement!(
    "config::list_entries",
    "\
SELECT key, jsonb_build_object('key', key, 'value', value, 'description', description, 'updated_at', updated_at,
    'updated_by', updated_by)::text AS entry
FROM tds_config ORDER BY key",
);

/// Sets `$key` to `$value` (JSON text) on behalf of `$updated_by`, as an operator's value
/// (`set_by_operator`: no migration moving the key's default changes it,
/// `tds_core::config_values`); `$description` is stored only when the key was not stored
/// yet.
pub const SET_VALUE: Statement = statement!(
    "config::set_value",
    "\
INSERT INTO tds_config (key, value, description, updated_at, updated_by, set_by_operator)
VALUES ($key::text, $value::text::jsonb, $description::text, now(), $updated_by::text, true)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by,
    set_by_operator = true",
);

/// Every named statement of this module.
pub const ALL: [Statement; 3] = [READ_VALUES, LIST_ENTRIES, SET_VALUE];
