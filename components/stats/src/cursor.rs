//! Opaque cursors for keyset pagination. Listings are ordered by id, newest first; a page
//! ends with a cursor naming the last id it held, and the next page starts below it. A
//! cursor is bound to its listing and filters (its *scope*), so one taken from another
//! listing or from a query with other filters is refused rather than silently misread.

/// A cursor that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor is not one this API issued")]
    Malformed,
    #[error("the cursor belongs to another listing or to other filters")]
    WrongScope,
}

/// A position in a listing: the next page holds ids below `before_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub before_id: i64,
    pub scope: u32,
}

const PREFIX: &str = "c1";

impl Cursor {
    /// The cursor's text: `c1` and hex digits.
    ///
    /// ```ignore
    /// use crate::cursor::{scope, Cursor};
    /// let s = scope(&["dead-letters", "status=open"]);
    /// let text = Cursor { before_id: 42, scope: s }.encode();
    /// assert_eq!(Cursor::decode(&text, s), Ok(Cursor { before_id: 42, scope: s }));
    /// assert!(Cursor::decode(&text, scope(&["dead-letters", "status=all"])).is_err());
    /// assert!(Cursor::decode("not-a-cursor", s).is_err());
    /// ```
    pub fn encode(&self) -> String {
        format!(
            "{PREFIX}{}",
            hex::encode(format!("{}.{:08x}", self.before_id, self.scope))
        )
    }

    /// Reads a cursor issued for `expected_scope`.
    pub fn decode(text: &str, expected_scope: u32) -> Result<Cursor, CursorError> {
        let body = text.strip_prefix(PREFIX).ok_or(CursorError::Malformed)?;
        if body.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(CursorError::Malformed);
        }
        let bytes = hex::decode(body).map_err(|_| CursorError::Malformed)?;
        let plain = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
        let (id, scope) = plain.split_once('.').ok_or(CursorError::Malformed)?;
        // Exactly what `encode` writes (and `/openapi.json`'s pattern says): 1 to 18
        // digits without a leading zero or sign, then 8 lower-case hex digits.
        let canonical_id = !id.starts_with('0')
            && (1..=18).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_digit());
        let canonical_scope = scope.len() == 8
            && scope
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !canonical_id || !canonical_scope {
            return Err(CursorError::Malformed);
        }
        let before_id = id.parse::<i64>().map_err(|_| CursorError::Malformed)?;
        let scope = u32::from_str_radix(scope, 16).map_err(|_| CursorError::Malformed)?;
        if before_id <= 0 {
            return Err(CursorError::Malformed);
        }
        if scope != expected_scope {
            return Err(CursorError::WrongScope);
        }
        Ok(Cursor { before_id, scope })
    }
}

/// The scope of a listing: a 32-bit FNV-1a hash of its name and its filters, in a fixed
/// order (absent filters included as empty, so positions never shift).
///
/// ```ignore
/// use crate::cursor::scope;
/// assert_eq!(scope(&["runs", ""]), scope(&["runs", ""]));
/// assert_ne!(scope(&["runs", "a", ""]), scope(&["runs", "", "a"]));
/// ```
pub fn scope(parts: &[&str]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for part in parts {
        for byte in part.bytes().chain([0x1f]) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

/// Splits one page off a listing fetched with `limit + 1` rows, newest first: the rows to
/// show and, when more remain, the cursor for the next page.
///
/// ```ignore
/// use crate::cursor::{page, Cursor};
/// let (rows, next) = page(vec![(9, "a"), (7, "b"), (4, "c")], 2, 5, |r| r.0);
/// assert_eq!(rows, [(9, "a"), (7, "b")]);
/// assert_eq!(next, Some(Cursor { before_id: 7, scope: 5 }));
/// let (rows, next) = page(vec![(9, "a")], 2, 5, |r| r.0);
/// assert_eq!((rows.len(), next), (1, None));
/// ```
pub fn page<T>(
    mut rows: Vec<T>,
    limit: usize,
    scope: u32,
    id_of: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<Cursor>) {
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|last| Cursor {
        before_id: id_of(last),
        scope,
    });
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The doc examples (a cdylib runs no doc tests).
    #[test]
    fn example_of_encode() {
        use crate::cursor::{scope, Cursor};
        let s = scope(&["dead-letters", "status=open"]);
        let text = Cursor {
            before_id: 42,
            scope: s,
        }
        .encode();
        assert_eq!(
            Cursor::decode(&text, s),
            Ok(Cursor {
                before_id: 42,
                scope: s
            })
        );
        assert!(Cursor::decode(&text, scope(&["dead-letters", "status=all"])).is_err());
        assert!(Cursor::decode("not-a-cursor", s).is_err());
    }

    #[test]
    fn example_of_scope() {
        use crate::cursor::scope;
        assert_eq!(scope(&["runs", ""]), scope(&["runs", ""]));
        assert_ne!(scope(&["runs", "a", ""]), scope(&["runs", "", "a"]));
    }

    #[test]
    fn example_of_page() {
        use crate::cursor::{page, Cursor};
        let (rows, next) = page(vec![(9, "a"), (7, "b"), (4, "c")], 2, 5, |r| r.0);
        assert_eq!(rows, [(9, "a"), (7, "b")]);
        assert_eq!(
            next,
            Some(Cursor {
                before_id: 7,
                scope: 5
            })
        );
        let (rows, next) = page(vec![(9, "a")], 2, 5, |r| r.0);
        assert_eq!((rows.len(), next), (1, None));
    }

    #[test]
    fn refuses_tampered_cursors() {
        let s = scope(&["alerts"]);
        for text in [
            "",
            "c1",
            "c1zz",
            "c1",
            &format!("c1{}", hex::encode("-3.00000000")),
            &format!("c1{}", hex::encode("x.1")),
            &format!("c1{}", hex::encode("+5.00000000")),
            &format!("c1{}", hex::encode("05.00000000")),
            &format!("c1{}", hex::encode("5.0000000A")),
            &format!("C1{}", hex::encode("5.00000000")),
            &format!("c1{}", hex::encode("5.00000000"))
                .to_uppercase()
                .replacen("C1", "c1", 1),
        ] {
            assert_eq!(
                Cursor::decode(text, s),
                Err(CursorError::Malformed),
                "{text:?}"
            );
        }
        let other = Cursor {
            before_id: 3,
            scope: s.wrapping_add(1),
        }
        .encode();
        assert_eq!(Cursor::decode(&other, s), Err(CursorError::WrongScope));
    }
}
