//! What a guest's statement is, read from its text without copying it (this runs for
//! every statement a guest sends): its first word, whether it is a bare `BEGIN` or
//! `ROLLBACK` the host may answer itself, whether it deallocates prepared statements.

/// The first word of `sql`, as written.
pub(super) fn first_word(sql: &str) -> &str {
    sql.split_whitespace().next().unwrap_or_default()
}

/// Whether `sql` contains `word` (lowercase ASCII) in any case, without copying it: this
/// runs for every statement a guest sends.
pub(super) fn mentions(sql: &str, word: &str) -> bool {
    sql.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// Whether `sql`, without a trailing `;` and in any case, is exactly one of `forms`
/// (written in lowercase, words separated by single spaces).
fn is_bare(sql: &str, forms: &[&str]) -> bool {
    let written = sql.trim().trim_end_matches(';');
    forms.iter().any(|form| {
        let mut words = written.split_whitespace();
        form.split(' ').all(|expected| {
            words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(expected))
        }) && words.next().is_none()
    })
}

/// Whether `sql` is `ROLLBACK` or `ABORT` alone, or with `WORK` or `TRANSACTION` (any
/// case, an optional `;`).
pub(super) fn is_bare_rollback(sql: &str) -> bool {
    is_bare(
        sql,
        &[
            "rollback",
            "rollback work",
            "rollback transaction",
            "abort",
            "abort work",
            "abort transaction",
        ],
    )
}

/// Whether `sql` starts a transaction with no options: `BEGIN`, `BEGIN TRANSACTION`,
/// `BEGIN WORK` or `START TRANSACTION` (any case, an optional `;`).
pub(super) fn is_bare_begin(sql: &str) -> bool {
    is_bare(
        sql,
        &[
            "begin",
            "begin transaction",
            "begin work",
            "start transaction",
        ],
    )
}

/// Whether `sql` deallocates prepared statements (`DEALLOCATE …`, `DISCARD …`).
pub(super) fn deallocates(sql: &str) -> bool {
    let first = first_word(sql);
    first.eq_ignore_ascii_case("DEALLOCATE") || first.eq_ignore_ascii_case("DISCARD")
}

#[cfg(test)]
mod tests {
    use super::{deallocates, is_bare_begin, is_bare_rollback};

    #[test]
    fn only_a_bare_begin_is_held_back() {
        for bare in [
            "BEGIN",
            "begin;",
            " Begin Work ; ",
            "START TRANSACTION",
            "begin transaction",
        ] {
            assert!(is_bare_begin(bare), "{bare}");
        }
        for not in [
            "BEGIN ISOLATION LEVEL SERIALIZABLE",
            "START TRANSACTION READ ONLY",
            "BEGIN; SELECT 1",
            "/* c */ BEGIN",
            "START",
            "",
        ] {
            assert!(!is_bare_begin(not), "{not}");
        }
    }

    #[test]
    fn only_a_bare_rollback_can_be_answered_by_the_host() {
        for bare in [
            "ROLLBACK",
            "rollback;",
            " Abort ; ",
            "ABORT",
            "rollback work",
            "ABORT TRANSACTION",
        ] {
            assert!(is_bare_rollback(bare), "{bare}");
        }
        for not in [
            "ROLLBACK TO SAVEPOINT a",
            "ROLLBACK AND CHAIN",
            "ROLLBACK PREPARED 'x'",
            "COMMIT",
            "",
        ] {
            assert!(!is_bare_rollback(not), "{not}");
        }
    }

    #[test]
    fn deallocating_statements_are_recognised_by_their_first_word() {
        assert!(deallocates("  discard all"));
        assert!(deallocates("DEALLOCATE s1"));
        assert!(!deallocates("SELECT 'DISCARD'"));
        assert!(!deallocates(""));
    }
}
