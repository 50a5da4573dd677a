//! Every query a component sends answers with at least one row, because Spin 4.0.0, 4.0.1
//! and 4.0.2 never return from a `query` whose result has no rows (spinframework/spin#3671;
//! see docs/spin.md, "Outbound PostgreSQL"). `tds_guest::db::Db::query` sends each
//! statement through [`wrap`] and reads the answer back through [`MARKER`], so call sites
//! write and read their statements as they are.
//!
//! The wrapped statement answers the original rows, in their order, each behind one
//! leading boolean column, [`MARKER`], that is `true`; when the original statement has no
//! row it answers a single row whose every column is NULL. Its shape:
//!
//! ```text
//! WITH [the statement's own WITH list,] tds_result AS MATERIALIZED (<statement>)
//! SELECT tds_rows.* FROM (VALUES (0)) AS tds_one (n)
//! LEFT JOIN (SELECT true AS tds_found, tds_result.* FROM tds_result) AS tds_rows ON true
//! ```
//!
//! - The statement runs once, as the last common table expression: a statement that
//!   starts with a `WITH` list of its own keeps it at the top level and its final
//!   statement joins the list, since PostgreSQL allows data-modifying expressions
//!   (`UPDATE … RETURNING`) only in a top-level `WITH`.
//! - The expression is materialized, so its rows come out in the order the statement
//!   produced them (its `ORDER BY`), and the join against one row keeps that order.
//! - A statement that returns no rows at all (an `UPDATE` without `RETURNING`, `BEGIN`)
//!   cannot be wrapped, and PostgreSQL says so: send those with `execute`.

/// The wrapped statement's first column: `true` on every row of a result that has rows,
/// NULL on the single row standing for an empty one.
pub const MARKER: &str = "tds_found";

/// Words that start the final statement of a `WITH` query.
const STATEMENT_WORDS: [&str; 7] = [
    "select", "insert", "update", "delete", "values", "table", "merge",
];

/// `sql` rewritten to answer at least one row (see the module doc).
///
/// ```
/// use tds_store::never_empty::wrap;
/// assert_eq!(
///     wrap("SELECT id FROM t WHERE id = $1::int8;"),
///     "WITH tds_result AS MATERIALIZED (SELECT id FROM t WHERE id = $1::int8\n) \
///      SELECT tds_rows.* FROM (VALUES (0)) AS tds_one (n) \
///      LEFT JOIN (SELECT true AS tds_found, tds_result.* FROM tds_result) AS tds_rows ON true"
/// );
/// // A WITH list stays at the top level; its final statement becomes the last entry.
/// assert!(wrap("WITH moved AS (UPDATE t SET x = 1 RETURNING id) SELECT id FROM moved")
///     .starts_with("WITH moved AS (UPDATE t SET x = 1 RETURNING id) , \
///                   tds_result AS MATERIALIZED (SELECT id FROM moved\n)"));
/// ```
pub fn wrap(sql: &str) -> String {
    wrap_at(sql, final_statement_start(sql))
}

/// One of the store's statements rewritten as [`wrap`] does, with the start of its final
/// statement found when the crate was compiled ([`crate::Statement::final_start`]), so a
/// long `WITH` query is not scanned again at every call.
///
/// ```
/// use tds_store::never_empty::{wrap, wrap_statement};
/// let statement = tds_store::queue::CLAIM_BATCH;
/// assert_eq!(wrap_statement(&statement), wrap(statement.sql));
/// ```
pub fn wrap_statement(statement: &crate::Statement) -> String {
    wrap_at(statement.sql, statement.final_start)
}

fn wrap_at(sql: &str, final_start: Option<usize>) -> String {
    let sql = sql.trim_end().trim_end_matches(';').trim_end();
    let (with_list, statement) = match final_start {
        Some(at) => (format!("{} ,", sql[..at].trim_end()), &sql[at..]),
        None => ("WITH".to_string(), sql),
    };
    format!(
        "{with_list} tds_result AS MATERIALIZED ({statement}\n) \
         SELECT tds_rows.* FROM (VALUES (0)) AS tds_one (n) \
         LEFT JOIN (SELECT true AS {MARKER}, tds_result.* FROM tds_result) AS tds_rows ON true"
    )
}

/// Where the final statement of `sql` starts, when `sql` starts with a `WITH` list: the
/// first word of [`STATEMENT_WORDS`] outside parentheses, string literals, quoted
/// identifiers, dollar-quoted bodies and comments. A `const fn`, so
/// [`crate::statement!`] finds it at compile time.
///
/// ```
/// use tds_store::never_empty::final_statement_start;
/// let sql = "WITH a AS (SELECT 1 AS x), b AS (SELECT 'select' AS y) SELECT * FROM a, b";
/// assert_eq!(&sql[final_statement_start(sql).unwrap()..], "SELECT * FROM a, b");
/// assert_eq!(final_statement_start("SELECT 1"), None);
/// let noted = "-- a note\nWITH x AS (VALUES (1)) TABLE x";
/// assert_eq!(&noted[final_statement_start(noted).unwrap()..], "TABLE x");
/// ```
pub const fn final_statement_start(sql: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let Some(first) = next_word(bytes, 0) else {
        return None;
    };
    if !word_is(bytes, first, b"with") {
        return None;
    }
    let mut word = first;
    while let Some(next) = next_word(bytes, word.end) {
        let mut i = 0;
        while i < STATEMENT_WORDS.len() {
            if word_is(bytes, next, STATEMENT_WORDS[i].as_bytes()) {
                return Some(next.start);
            }
            i += 1;
        }
        word = next;
    }
    None
}

/// The byte range of a word outside parentheses.
#[derive(Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
}

/// The next word outside parentheses from byte `at`, which is outside them too (the end
/// of such a word, or the start).
const fn next_word(bytes: &[u8], mut at: usize) -> Option<Word> {
    let mut depth = 0usize;
    while at < bytes.len() {
        let byte = bytes[at];
        let next = if at + 1 < bytes.len() { bytes[at + 1] } else { 0 };
        if byte == b'-' && next == b'-' {
            at = find(bytes, at, b"\n");
        } else if byte == b'/' && next == b'*' {
            at = past(bytes, find(bytes, at + 2, b"*/"), 2);
        } else if byte == b'\'' || byte == b'"' {
            at = skip_quoted(bytes, at, byte, false);
        } else if byte == b'$' {
            at = match dollar_tag_len(bytes, at) {
                0 => at + 1,
                tag_len => {
                    let (_, tag) = bytes.split_at(at);
                    let (tag, _) = tag.split_at(tag_len);
                    past(bytes, find(bytes, at + tag_len, tag), tag_len)
                }
            };
        } else if byte == b'(' {
            depth += 1;
            at += 1;
        } else if byte == b')' {
            depth = depth.saturating_sub(1);
            at += 1;
        } else if byte.is_ascii_alphabetic() || byte == b'_' {
            let start = at;
            while at < bytes.len()
                && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] == b'$')
            {
                at += 1;
            }
            let escaped_string = at == start + 1
                && (byte == b'E' || byte == b'e')
                && at < bytes.len()
                && bytes[at] == b'\'';
            if escaped_string {
                at = skip_quoted(bytes, at, b'\'', true);
            } else if depth == 0 {
                return Some(Word { start, end: at });
            }
        } else {
            at += 1;
        }
    }
    None
}

/// Whether `word` is `expected` (lower case), ignoring ASCII case.
const fn word_is(bytes: &[u8], word: Word, expected: &[u8]) -> bool {
    if word.end - word.start != expected.len() {
        return false;
    }
    let mut i = 0;
    while i < expected.len() {
        if bytes[word.start + i].to_ascii_lowercase() != expected[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Where `needle` next starts at or after `from` (the end of `bytes` when it does not).
const fn find(bytes: &[u8], from: usize, needle: &[u8]) -> usize {
    let mut at = from;
    while at + needle.len() <= bytes.len() {
        let mut i = 0;
        while i < needle.len() && bytes[at + i] == needle[i] {
            i += 1;
        }
        if i == needle.len() {
            return at;
        }
        at += 1;
    }
    bytes.len()
}

/// Past a closing mark `len` bytes long found at `at` by [`find`] (the end of `bytes` when
/// none was found).
const fn past(bytes: &[u8], at: usize, len: usize) -> usize {
    if at < bytes.len() {
        at + len
    } else {
        bytes.len()
    }
}

/// Past the quoted text starting at `at` (closing `quote` doubled inside is an escaped
/// one; `backslash` also escapes, as in `E'…'`).
const fn skip_quoted(bytes: &[u8], at: usize, quote: u8, backslash: bool) -> usize {
    let mut i = at + 1;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'\\' && backslash)
            || (bytes[i] == quote && i + 1 < bytes.len() && bytes[i + 1] == quote);
        if escaped {
            i += 2;
        } else if bytes[i] == quote {
            i += 1;
            break;
        } else {
            i += 1;
        }
    }
    if i < bytes.len() {
        i
    } else {
        bytes.len()
    }
}

/// The length of the `$tag$` starting at `at`, 0 when the `$` starts a placeholder
/// (`$1`) or nothing.
const fn dollar_tag_len(bytes: &[u8], at: usize) -> usize {
    let mut end = at + 1;
    if end < bytes.len() && bytes[end].is_ascii_digit() {
        return 0;
    }
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
        end += 1;
    }
    if end < bytes.len() && bytes[end] == b'$' {
        end + 1 - at
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_inside_quotes_comments_and_parentheses_do_not_count() {
        let sql = "WITH \"select\" AS (SELECT 1), b AS (SELECT $$ update $$, E'\\' delete', 'x''values') \
                   /* insert */ -- table\n UPDATE t SET y = 1 RETURNING y";
        let at = final_statement_start(sql).unwrap();
        assert!(sql[at..].starts_with("UPDATE t SET"), "{}", &sql[at..]);
    }

    #[test]
    fn placeholders_are_not_dollar_quotes() {
        let sql = "WITH a AS (SELECT $1::int8 AS x) SELECT x FROM a WHERE x > $2::int8";
        assert_eq!(
            &sql[final_statement_start(sql).unwrap()..],
            "SELECT x FROM a WHERE x > $2::int8"
        );
    }

    #[test]
    fn unterminated_quotes_and_comments_end_the_scan() {
        for sql in [
            "WITH a AS (SELECT 1) /* open",
            "WITH a AS (SELECT 1) $body$ open",
            "WITH a AS (SELECT 1) 'open",
            "WITH a AS (SELECT E'\\",
            "WITH a AS (SELECT 1) --",
        ] {
            assert_eq!(final_statement_start(sql), None, "{sql}");
        }
    }

    #[test]
    fn a_trailing_comment_cannot_swallow_the_closing_parenthesis() {
        assert!(wrap("SELECT 1 -- one").contains("SELECT 1 -- one\n)"));
    }

    #[test]
    fn every_statement_of_the_store_keeps_its_text_inside_the_wrapper() {
        for statement in crate::all_statements() {
            let crate::Statement { name, sql, .. } = statement;
            let wrapped = wrap(sql);
            assert_eq!(wrap_statement(&statement), wrapped, "{name}");
            let at = final_statement_start(sql).unwrap_or(0);
            assert!(wrapped.contains(sql[..at].trim_end()), "{name}");
            assert!(wrapped.contains(sql[at..].trim_end()), "{name}");
            assert_eq!(
                wrapped.matches("tds_result AS MATERIALIZED").count(),
                1,
                "{name}"
            );
        }
    }
}
