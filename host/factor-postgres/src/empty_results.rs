//! What `query` does with a result that has no rows.
//!
//! Spin 4.0.0, 4.0.1 and 4.0.2 never return from such a query (spinframework/spin#3671,
//! fixed after 4.0.2 by PR #3673; docs/spin.md): the guest blocks inside the host call
//! for good, holding its pooled connection. Hanging a test helps nobody, so by default
//! ([`EmptyQueryResults::Refuse`]) the host fails the call loudly instead, naming the
//! defect and the statement, and logs it at error level: a component that passes here
//! never waits on an empty result under Spin. [`EmptyQueryResults::Return`] answers the
//! empty result, as Spin releases carrying the fix do.

use crate::postgres::Error;

/// How `query` answers a result without rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmptyQueryResults {
    /// Fail the call, as the closest bearable picture of Spin 4.0.0–4.0.2 hanging
    /// (the default).
    #[default]
    Refuse,
    /// Answer no rows and no columns, as Spin does once spinframework/spin#3671 is fixed.
    Return,
}

/// The words of a statement shown in the refusal, at most.
const SHOWN_WORDS: usize = 12;

/// The refusal for `statement`, logged at error level.
pub(crate) fn refusal(statement: &str) -> Error {
    let shown = first_words(statement);
    tracing::error!(
        statement = %shown,
        "a guest query returned no rows: Spin 4.0.0-4.0.2 would hang here (spinframework/spin#3671)"
    );
    Error::Other(format!(
        "the query returned no rows, and Spin 4.0.0, 4.0.1 and 4.0.2 never answer such a \
         query (spinframework/spin#3671): the guest would hang there for good. Shape the \
         statement to return at least one row, or send it with execute when its rows are not \
         read. Statement: {shown}"
    ))
}

/// The first [`SHOWN_WORDS`] words of `statement`, on one line.
fn first_words(statement: &str) -> String {
    let mut words = statement.split_whitespace();
    let mut shown: Vec<&str> = words.by_ref().take(SHOWN_WORDS).collect();
    if words.next().is_some() {
        shown.push("…");
    }
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::first_words;

    #[test]
    fn long_statements_are_cut_after_twelve_words() {
        assert_eq!(first_words("SELECT id\n   FROM t"), "SELECT id FROM t");
        let long = "SELECT a, b, c, d, e, f, g, h, i, j FROM t WHERE x";
        assert_eq!(
            first_words(long),
            "SELECT a, b, c, d, e, f, g, h, i, j FROM …"
        );
    }
}
