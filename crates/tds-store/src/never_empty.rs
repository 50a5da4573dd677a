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
    let sql = sql.trim_end().trim_end_matches(';').trim_end();
    let (with_list, statement) = match final_statement_start(sql) {
        Some(at) => (format!("{} ,", sql[..at].trim_end()), &sql[at..]),
        None => ("WITH".to_string(), sql),
    };
    format!(
        "{with_list} tds_result AS MATERIALIZED ({statement}\n) \
         SELECT tds_rows.* FROM (VALUES (0)) AS tds_one (n) \
         LEFT JOIN (SELECT true AS {MARKER}, tds_result.* FROM tds_result) AS tds_rows ON true"
    )
}

/// Where the final statement of `sql` starts, when `sql` starts with a `WITH` list.
///
/// ```
/// use tds_store::never_empty::final_statement_start;
/// let sql = "WITH a AS (SELECT 1 AS x), b AS (SELECT 'select' AS y) SELECT * FROM a, b";
/// assert_eq!(&sql[final_statement_start(sql).unwrap()..], "SELECT * FROM a, b");
/// assert_eq!(final_statement_start("SELECT 1"), None);
/// let noted = "-- a note\nWITH x AS (VALUES (1)) TABLE x";
/// assert_eq!(&noted[final_statement_start(noted).unwrap()..], "TABLE x");
/// ```
pub fn final_statement_start(sql: &str) -> Option<usize> {
    let mut words = Words::new(sql);
    let (_, first) = words.next()?;
    if !first.eq_ignore_ascii_case("with") {
        return None;
    }
    words.find_map(|(at, word)| {
        STATEMENT_WORDS
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
            .then_some(at)
    })
}

/// The words of a statement outside parentheses, string literals, quoted identifiers,
/// dollar-quoted bodies and comments, with their byte offsets.
struct Words<'a> {
    sql: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> Words<'a> {
    fn new(sql: &'a str) -> Self {
        Words {
            sql,
            at: 0,
            depth: 0,
        }
    }

    fn rest(&self) -> &'a [u8] {
        &self.sql.as_bytes()[self.at..]
    }

    /// Moves past the quoted text starting at the cursor (closing `quote` doubled inside
    /// is an escaped one; `backslash` also escapes, as in `E'…'`).
    fn skip_quoted(&mut self, quote: u8, backslash: bool) {
        let bytes = self.sql.as_bytes();
        let mut i = self.at + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if backslash => i += 2,
                b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
                b if b == quote => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
        self.at = i.min(bytes.len());
    }

    /// Moves past a `$tag$…$tag$` body starting at the cursor; false (cursor unmoved) when
    /// the `$` starts a placeholder instead.
    fn skip_dollar_quoted(&mut self) -> bool {
        let rest = &self.sql[self.at + 1..];
        let tag_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let starts_with_digit = rest.bytes().next().is_some_and(|b| b.is_ascii_digit());
        if starts_with_digit || rest.as_bytes().get(tag_len) != Some(&b'$') {
            return false;
        }
        let tag = &self.sql[self.at..self.at + tag_len + 2];
        let body = self.at + tag.len();
        self.at = self.sql[body..]
            .find(tag)
            .map_or(self.sql.len(), |end| body + end + tag.len());
        true
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        while let Some(&byte) = self.rest().first() {
            let next = self.rest().get(1).copied();
            match byte {
                b'-' if next == Some(b'-') => {
                    self.at = self.sql[self.at..]
                        .find('\n')
                        .map_or(self.sql.len(), |end| self.at + end);
                }
                b'/' if next == Some(b'*') => {
                    self.at = self.sql[self.at + 2..]
                        .find("*/")
                        .map_or(self.sql.len(), |end| self.at + 2 + end + 2);
                }
                b'\'' => self.skip_quoted(b'\'', false),
                b'"' => self.skip_quoted(b'"', false),
                b'$' if self.skip_dollar_quoted() => {}
                b'(' => {
                    self.depth += 1;
                    self.at += 1;
                }
                b')' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.at += 1;
                }
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    let start = self.at;
                    let len = self
                        .rest()
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'$')
                        .count();
                    self.at += len;
                    let word = &self.sql[start..self.at];
                    let escaped_string =
                        (word == "E" || word == "e") && self.rest().first() == Some(&b'\'');
                    if escaped_string {
                        self.skip_quoted(b'\'', true);
                    } else if self.depth == 0 {
                        return Some((start, word));
                    }
                }
                _ => self.at += 1,
            }
        }
        None
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
    fn a_trailing_comment_cannot_swallow_the_closing_parenthesis() {
        assert!(wrap("SELECT 1 -- one").contains("SELECT 1 -- one\n)"));
    }

    #[test]
    fn every_statement_of_the_store_keeps_its_text_inside_the_wrapper() {
        for crate::Statement { name, sql } in crate::all_statements() {
            let wrapped = wrap(sql);
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
