//! Named placeholders, turned into PostgreSQL's positional ones when the crate compiles.
//!
//! A statement is written once, with each value named where it is used
//! (`WHERE id = $queue_id::bigint`), through [`crate::statement!`]. The macro derives what
//! is sent and what the binder must supply, as `const` items:
//!
//! - the SQL sent, each distinct name replaced by `$1`, `$2`, … in the order the names first
//!   appear (a name used twice is one parameter);
//! - the parameters, in that order, each with its name and the type of its first cast
//!   ([`Param`]), which the guest's binder checks its values against by name and type.
//!
//! Every mistake this module can see stops the build: a placeholder without a cast, a
//! positional `$1` mixed in, a name cast to two different types.

/// A statement parameter: its name and the type its first cast gives it (`text`,
/// `bigint`, `bigint[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub cast: &'static str,
}

const fn is_name_start(b: u8) -> bool {
    b.is_ascii_lowercase() || b == b'_'
}

const fn is_name_byte(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit()
}

const fn is_type_byte(b: u8) -> bool {
    is_name_byte(b) || b == b'[' || b == b']'
}

/// The bytes `start..end` of `bytes`.
const fn slice(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.split_at(end).0.split_at(start).1
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The end of the run of name bytes (`name`) or type bytes from `start`.
const fn run_end(bytes: &[u8], start: usize, name: bool) -> usize {
    let mut end = start;
    while end < bytes.len()
        && (if name {
            is_name_byte(bytes[end])
        } else {
            is_type_byte(bytes[end])
        })
    {
        end += 1;
    }
    end
}

/// The placeholder starting at `i`, if any: where its name and its first cast's type
/// start and end. Stops the build on a positional or uncast placeholder.
const fn placeholder_at(bytes: &[u8], i: usize) -> Option<(usize, usize, usize, usize)> {
    if bytes[i] != b'$' || i + 1 >= bytes.len() {
        return None;
    }
    if bytes[i + 1].is_ascii_digit() {
        panic!("a named statement uses a positional placeholder ($1): name it ($queue_id::bigint)");
    }
    if !is_name_start(bytes[i + 1]) {
        return None;
    }
    let name_end = run_end(bytes, i + 1, true);
    if name_end + 1 >= bytes.len() || bytes[name_end] != b':' || bytes[name_end + 1] != b':' {
        panic!("every placeholder needs an explicit cast, as real Spin requires ($name::text)");
    }
    let cast_end = run_end(bytes, name_end + 2, false);
    if cast_end == name_end + 2 {
        panic!("a placeholder's cast names no type ($name::text)");
    }
    Some((i + 1, name_end, name_end + 2, cast_end))
}

/// The number of distinct parameter names in `sql`.
///
/// ```
/// assert_eq!(tds_store::named::count("SELECT $a::text, $b::int4, $a::text"), 2);
/// ```
pub const fn count(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some((start, end, _, _)) = placeholder_at(bytes, i) {
            if first_use(bytes, start, end) == i {
                n += 1;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    n
}

/// Where the placeholder named by `bytes[start..end]` first appears (its `$`).
const fn first_use(bytes: &[u8], start: usize, end: usize) -> usize {
    let name = slice(bytes, start, end);
    let mut i = 0;
    while i < bytes.len() {
        if let Some((s, e, _, _)) = placeholder_at(bytes, i) {
            if same(slice(bytes, s, e), name) {
                return i;
            }
            i = e;
        } else {
            i += 1;
        }
    }
    panic!("unreachable: the name was found in the statement")
}

const fn text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("statement text is not UTF-8"),
    }
}

/// `sql`'s parameters in the order their names first appear; `K` is [`count`]`(sql)`.
/// Stops the build when one name is cast to two different types.
///
/// ```
/// use tds_store::named::{params, Param};
/// const P: [Param; 2] = params("WHERE a = $id::bigint AND b = $names::text[]");
/// assert_eq!(P, [Param { name: "id", cast: "bigint" }, Param { name: "names", cast: "text[]" }]);
/// ```
pub const fn params<const K: usize>(sql: &'static str) -> [Param; K] {
    let bytes = sql.as_bytes();
    let mut out = [Param { name: "", cast: "" }; K];
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some((start, end, cast_start, cast_end)) = placeholder_at(bytes, i) {
            let name = slice(bytes, start, end);
            let cast = slice(bytes, cast_start, cast_end);
            let first = first_use(bytes, start, end);
            if first == i {
                out[n] = Param {
                    name: text(name),
                    cast: text(cast),
                };
                n += 1;
            } else if let Some((_, _, first_cast_start, first_cast_end)) =
                placeholder_at(bytes, first)
            {
                if !same(slice(bytes, first_cast_start, first_cast_end), cast) {
                    panic!("a named parameter is cast to two different types");
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// An upper bound of the positional text's length: a name of one letter may become a
/// number of up to three digits.
pub const fn positional_len(sql: &str) -> usize {
    sql.len() * 2
}

/// `sql` with each name replaced by its position in `params` (`$1` …): the bytes and how
/// many of them are used; read it with [`as_text`].
pub const fn positional<const L: usize>(sql: &str, params: &[Param]) -> ([u8; L], usize) {
    let bytes = sql.as_bytes();
    let mut out = [0u8; L];
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some((start, end, _, _)) = placeholder_at(bytes, i) {
            let name = slice(bytes, start, end);
            let mut k = 0;
            while !same(params[k].name.as_bytes(), name) {
                k += 1;
            }
            let position = k + 1;
            out[len] = b'$';
            len += 1;
            if position >= 100 {
                out[len] = b'0' + (position / 100) as u8;
                len += 1;
            }
            if position >= 10 {
                out[len] = b'0' + (position / 10 % 10) as u8;
                len += 1;
            }
            out[len] = b'0' + (position % 10) as u8;
            len += 1;
            i = end;
        } else {
            out[len] = bytes[i];
            len += 1;
            i += 1;
        }
    }
    (out, len)
}

/// The first `len` bytes of a [`positional`] result as text.
pub const fn as_text(bytes: &'static [u8], len: usize) -> &'static str {
    text(bytes.split_at(len).0)
}

/// Stops the build unless `names` are `statement`'s parameters, in order: what the
/// guest's `bind!` asks of every binder it expands.
///
/// ```
/// const S: tds_store::Statement = tds_store::statement!("doc::s", "SELECT $a::text, $b::text");
/// const _: () = tds_store::named::expect_names(&S, &["a", "b"]);
/// ```
///
/// ```compile_fail
/// const S: tds_store::Statement = tds_store::statement!("doc::s", "SELECT $a::text, $b::text");
/// const _: () = tds_store::named::expect_names(&S, &["b", "a"]);
/// ```
pub const fn expect_names(statement: &crate::Statement, names: &[&str]) {
    if statement.params.len() != names.len() {
        panic!("the binder passes another number of values than the statement has parameters");
    }
    let mut i = 0;
    while i < names.len() {
        if !same(statement.params[i].name.as_bytes(), names[i].as_bytes()) {
            panic!(
                "the binder's names are not the statement's parameters in the statement's order"
            );
        }
        i += 1;
    }
}

/// Declares a [`crate::Statement`] from its name and its SQL with named placeholders
/// (module docs): `statement!("queue::complete", "UPDATE … WHERE id = $queue_id::bigint")`.
/// The SQL may be built with `concat!`.
#[macro_export]
macro_rules! statement {
    ($name:expr, $sql:expr $(,)?) => {{
        const NAMED: &str = $sql;
        const PARAMS: [$crate::named::Param; $crate::named::count(NAMED)] =
            $crate::named::params(NAMED);
        const POSITIONAL: ([u8; $crate::named::positional_len(NAMED)], usize) =
            $crate::named::positional(NAMED, &PARAMS);
        $crate::Statement::named(
            $name,
            $crate::named::as_text(&POSITIONAL.0, POSITIONAL.1),
            &PARAMS,
        )
    }};
}

#[cfg(test)]
mod tests {
    use crate::named::Param;

    const EXAMPLE: crate::Statement = statement!(
        "example::upsert",
        "UPDATE t SET a = $alpha::text, b = coalesce($when::text::timestamptz, now()) WHERE id = $id::bigint AND a <> $alpha::text"
    );

    #[test]
    fn names_become_positions_in_order_of_first_use() {
        assert_eq!(
            EXAMPLE.sql,
            "UPDATE t SET a = $1::text, b = coalesce($2::text::timestamptz, now()) WHERE id = $3::bigint AND a <> $1::text"
        );
        assert_eq!(
            EXAMPLE.params,
            [
                Param {
                    name: "alpha",
                    cast: "text"
                },
                Param {
                    name: "when",
                    cast: "text"
                },
                Param {
                    name: "id",
                    cast: "bigint"
                },
            ]
        );
    }

    #[test]
    fn ten_or_more_parameters_get_two_digits() {
        const MANY: crate::Statement = statement!(
            "example::many",
            "SELECT $a::int4, $b::int4, $c::int4, $d::int4, $e::int4, $f::int4, $g::int4, $h::int4, $i::int4, $j::int4, $k::int4, $j::int4"
        );
        assert!(
            MANY.sql
                .ends_with("$9::int4, $10::int4, $11::int4, $10::int4"),
            "{}",
            MANY.sql
        );
        assert_eq!(MANY.params.len(), 11);
    }

    #[test]
    fn dollar_signs_that_are_no_placeholder_stay() {
        const PLAIN: crate::Statement =
            statement!("example::plain", "SELECT '$ 5' AS price, $n::int4 AS n");
        assert_eq!(PLAIN.sql, "SELECT '$ 5' AS price, $1::int4 AS n");
    }
}
