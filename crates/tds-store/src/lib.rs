//! Every SQL statement TDS components send, each a named [`Statement`] constant documenting
//! its parameters and result columns, grouped by table family: [`queue`] (the only statements
//! that move queue rows, with the state machine), [`inbox`] (intake), [`journal`] (runs,
//! attempt log, audit trail) and [`config`]; for the stats API [`stats`] (queue figures and
//! metrics), [`dead_letters`], [`replay`] (inbox events by time range), [`trace`] (event
//! trace, entity history) and [`operator`] (alerts, runs, circuit breakers); for heal
//! [`auto_retry`] (dead letters), [`alerts`], [`circuits`] (also the processor's), [`drains`] (drain sessions and wakes, intake's and the processor's),
//! [`metrics`] (rollups), [`retention`] and [`heal`] (whether a scheduled cycle is due). ERP-table statements are built from table
//! declarations in `tds-erp`.
//!
//! Rules every statement keeps, because real Spin refuses the rest: every placeholder has
//! an explicit cast (`$1::text`, `$2::bigint`, `$3::text::timestamptz`), no result column
//! is a `timestamptz` (times leave as text or epoch seconds), no LISTEN/NOTIFY, no
//! advisory locks.

pub mod alerts;
pub mod auto_retry;
pub mod circuits;
pub mod config;
pub mod dead_letters;
pub mod drains;
pub mod heal;
pub mod inbox;
pub mod journal;
pub mod metrics;
pub mod named;
pub mod never_empty;
pub mod operator;
pub mod queue;
pub mod reconcile;
pub mod replay;
pub mod retention;
pub mod stats;
pub mod trace;

/// One statement of the store: its SQL and the name that failures of it carry
/// (`queue::claim_batch`: the family's module, then the constant's name in lower case).
/// Declared with [`statement!`] from SQL with named placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    pub name: &'static str,
    /// The SQL sent, with positional placeholders.
    pub sql: &'static str,
    /// What `$1`, `$2`, … are, in order ([`named`]).
    pub params: &'static [named::Param],
    /// Where the final statement of a `WITH` query starts
    /// ([`never_empty::final_statement_start`]), found at compile time.
    pub final_start: Option<usize>,
}

impl Statement {
    /// A statement [`statement!`] derived from named SQL: `sql` positional, `params` in
    /// position order.
    pub const fn named(
        name: &'static str,
        sql: &'static str,
        params: &'static [named::Param],
    ) -> Statement {
        Statement {
            name,
            sql,
            params,
            final_start: never_empty::final_statement_start(sql),
        }
    }
}

/// The statement families, each module's name with its statements.
const FAMILIES: [(&str, &[Statement]); 17] = [
    ("queue", &queue::ALL),
    ("inbox", &inbox::ALL),
    ("journal", &journal::ALL),
    ("config", &config::ALL),
    ("stats", &stats::ALL),
    ("dead_letters", &dead_letters::ALL),
    ("replay", &replay::ALL),
    ("trace", &trace::ALL),
    ("operator", &operator::ALL),
    ("alerts", &alerts::ALL),
    ("auto_retry", &auto_retry::ALL),
    ("circuits", &circuits::ALL),
    ("metrics", &metrics::ALL),
    ("retention", &retention::ALL),
    ("reconcile", &reconcile::ALL),
    ("drains", &drains::ALL),
    ("heal", &heal::ALL),
];

/// Every named statement of the crate.
pub fn all_statements() -> impl Iterator<Item = Statement> {
    FAMILIES
        .into_iter()
        .flat_map(|(_, statements)| statements.iter().copied())
}

/// The placeholders of `sql` that are not followed by a `::` cast.
///
/// ```
/// assert_eq!(tds_store::uncast_placeholders("SELECT $1::text, $2"), ["$2"]);
/// ```
pub fn uncast_placeholders(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    sql.match_indices('$')
        .filter_map(|(i, _)| {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let cast = sql[i + 1 + digits..].starts_with("::");
            (digits > 0 && !cast).then(|| sql[i..i + 1 + digits].to_string())
        })
        .collect()
}

/// Whether the placeholders of `sql` are numbered `$1` to `$n` without a gap (each may
/// appear any number of times; a statement without any passes).
///
/// ```
/// assert!(tds_store::placeholders_without_gaps("SELECT $2::text, $1::int4, $2::text"));
/// assert!(!tds_store::placeholders_without_gaps("SELECT $1::text, $3::text"));
/// ```
pub fn placeholders_without_gaps(sql: &str) -> bool {
    let mut numbers: Vec<usize> = sql
        .match_indices('$')
        .filter_map(|(i, _)| {
            let digits = sql[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
            sql[i + 1..i + 1 + digits].parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.iter().copied().eq(1..=numbers.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_cast() {
        for Statement { name, sql, .. } in all_statements() {
            assert_eq!(uncast_placeholders(sql), Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn placeholders_are_numbered_without_gaps() {
        for Statement { name, sql, .. } in all_statements() {
            assert!(placeholders_without_gaps(sql), "{name}");
        }
    }

    #[test]
    fn no_forbidden_features() {
        for Statement { name, sql, .. } in all_statements() {
            let lower = sql.to_ascii_lowercase();
            for forbidden in ["listen ", "notify ", "pg_advisory", "returning *"] {
                assert!(!lower.contains(forbidden), "{name} uses {forbidden}");
            }
        }
    }

    #[test]
    fn names_are_their_family_and_unique() {
        for (family, statements) in FAMILIES {
            for statement in statements {
                let (prefix, name) = statement.name.split_once("::").unwrap_or_default();
                assert_eq!(prefix, family, "{}", statement.name);
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{}",
                    statement.name
                );
            }
        }
        let mut names: Vec<_> = all_statements().map(|s| s.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
