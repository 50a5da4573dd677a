//! Runtime configuration (`tds_config`): keys with JSON values, seeded by the migrations
//! with documented defaults.

/// The keys of `$1` (text[]) that are set. Returns `key`, `value` (JSON text).
pub const READ_VALUES: &str = "SELECT key, value::text FROM tds_config WHERE key = ANY($1::text[])";

/// Every named statement of this module.
pub const ALL: [(&str, &str); 1] = [("read_values", READ_VALUES)];
