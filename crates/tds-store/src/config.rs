//! Runtime configuration (`tds_config`): keys with JSON values, seeded by the migrations
//! with documented defaults.

/// The value of key `$1` as JSON text; no row when unset.
pub const READ_VALUE: &str = "SELECT value::text FROM tds_config WHERE key = $1::text";

/// Every named statement of this module.
pub const ALL: [(&str, &str); 1] = [("read_value", READ_VALUE)];
