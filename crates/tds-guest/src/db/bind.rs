//! Values bound to a store statement's named parameters ([`tds_store::named`]).
//!
//! A binder names every value it passes ([`crate::bind!`]) in the statement's order. The
//! names are checked against the statement when the crate compiles, and each value again
//! before it is sent, by name and by the type of the parameter's cast. A binder that
//! passes a value under another name, misses one, adds one or swaps two therefore does not
//! build (or, for bindings assembled at run time, fails on its first call as a
//! [`super::DbError`] naming the statement and the position), whatever the values' types.

use spin_sdk::pg4::ParameterValue;
use tds_store::named::Param;
use tds_store::Statement;

/// One value and the name of the parameter it is for.
pub type Binding = (&'static str, ParameterValue);

/// `bindings` in `statement`'s parameter order, checked: the `k`-th binding must carry the
/// `k`-th parameter's name and a value its cast accepts (NULL fits any).
///
/// ```
/// use spin_sdk::pg4::ParameterValue;
/// use tds_guest::db::bind;
/// const S: tds_store::Statement =
///     tds_store::statement!("doc::example", "SELECT $module::text, $entity_id::text");
/// let module = ParameterValue::Str("items".into());
/// let entity = ParameterValue::Str("42".into());
/// assert!(bind(&S, [("module", module.clone()), ("entity_id", entity.clone())]).is_ok());
/// let swapped = bind(&S, [("entity_id", entity), ("module", module)]).unwrap_err();
/// assert!(swapped.starts_with("$1 is `module` but the binder passes `entity_id`"), "{swapped}");
/// ```
pub fn bind(
    statement: &Statement,
    bindings: impl IntoIterator<Item = Binding>,
) -> Result<Vec<ParameterValue>, String> {
    let mut values = Vec::with_capacity(statement.params.len());
    for (name, value) in bindings {
        let position = values.len() + 1;
        let Some(param) = statement.params.get(values.len()) else {
            return Err(format!(
                "the binder passes `{name}` as ${position}, but the statement has {} parameters",
                statement.params.len()
            ));
        };
        if param.name != name {
            return Err(format!(
                "${position} is `{}` but the binder passes `{name}` there (bind by the statement's names, in its order)",
                param.name
            ));
        }
        if !fits(param, &value) {
            return Err(format!(
                "${position} `{name}` is cast to {} but the binder passes {}",
                param.cast,
                kind(&value)
            ));
        }
        values.push(value);
    }
    match statement.params.get(values.len()) {
        Some(missing) => Err(format!(
            "the binder passes no value for ${} `{}`",
            values.len() + 1,
            missing.name
        )),
        None => Ok(values),
    }
}

/// Whether `value` is what a placeholder cast to `param.cast` takes.
fn fits(param: &Param, value: &ParameterValue) -> bool {
    matches!(
        (param.cast, value),
        (_, ParameterValue::DbNull)
            | ("text", ParameterValue::Str(_))
            | ("bigint" | "int8", ParameterValue::Int64(_))
            | ("int4", ParameterValue::Int32(_))
            | ("float8", ParameterValue::Floating64(_))
            | ("bytea", ParameterValue::Binary(_))
            | ("boolean", ParameterValue::Boolean(_))
            | ("bigint[]" | "int8[]", ParameterValue::ArrayInt64(_))
            | ("text[]", ParameterValue::ArrayStr(_))
    )
}

/// A value's type, for a message.
fn kind(value: &ParameterValue) -> &'static str {
    match value {
        ParameterValue::Str(_) => "text",
        ParameterValue::Int64(_) => "an int8",
        ParameterValue::Int32(_) => "an int4",
        ParameterValue::Floating64(_) => "a float8",
        ParameterValue::Binary(_) => "bytes",
        ParameterValue::Boolean(_) => "a boolean",
        ParameterValue::ArrayInt64(_) => "an int8 array",
        ParameterValue::ArrayStr(_) => "a text array",
        _ => "another type",
    }
}

/// Bindings for a store statement, each value under its parameter's name, in the
/// statement's order: `bind!(queue::COMPLETE { queue_id: param::int8(id.0), lease_owner:
/// param::text(owner) })`. The names are checked against the statement when the crate
/// compiles ([`tds_store::named::expect_names`]): a binder that misses, adds, misnames or
/// swaps a parameter does not build.
///
/// ```
/// use tds_guest::{bind, db::param};
/// const S: tds_store::Statement =
///     tds_store::statement!("doc::s", "SELECT $module::text, $entity_id::text");
/// let _ = bind!(S { module: param::text("items"), entity_id: param::text("42") });
/// ```
///
/// The same binder with its two text parameters swapped does not build:
///
/// ```compile_fail
/// use tds_guest::{bind, db::param};
/// const S: tds_store::Statement =
///     tds_store::statement!("doc::s", "SELECT $module::text, $entity_id::text");
/// let _ = bind!(S { entity_id: param::text("42"), module: param::text("items") });
/// ```
#[macro_export]
macro_rules! bind {
    ($statement:path { $($name:ident : $value:expr),* $(,)? }) => {{
        const _: () = tds_store::named::expect_names(&$statement, &[$(stringify!($name)),*]);
        [$((stringify!($name), $value)),*] as [$crate::db::Binding; { 0 $(+ $crate::bind!(@one $name))* }]
    }};
    (@one $name:ident) => {
        1
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::param;

    const STORE: Statement = tds_store::statement!(
        "test::store",
        "INSERT INTO t (module, entity_id, attempts) VALUES ($module::text, $entity_id::text, $attempts::int4)"
    );

    #[test]
    fn values_arrive_in_the_statements_order() {
        let values = bind(
            &STORE,
            [
                ("module", param::text("items")),
                ("entity_id", param::text("42")),
                ("attempts", param::int4(3)),
            ],
        )
        .unwrap();
        assert_eq!(
            format!("{values:?}"),
            format!(
                "{:?}",
                [param::text("items"), param::text("42"), param::int4(3)]
            )
        );
    }

    #[test]
    fn swapping_two_same_typed_parameters_fails() {
        let error = bind(
            &STORE,
            [
                ("entity_id", param::text("42")),
                ("module", param::text("items")),
                ("attempts", param::int4(3)),
            ],
        )
        .unwrap_err();
        assert_eq!(
            error,
            "$1 is `module` but the binder passes `entity_id` there (bind by the statement's names, in its order)"
        );
    }

    #[test]
    fn a_missing_an_extra_or_a_mistyped_value_fails() {
        let missing = bind(
            &STORE,
            [
                ("module", param::text("items")),
                ("entity_id", param::text("42")),
            ],
        );
        assert_eq!(
            missing.unwrap_err(),
            "the binder passes no value for $3 `attempts`"
        );
        let extra = bind(
            &STORE,
            [
                ("module", param::text("i")),
                ("entity_id", param::text("4")),
                ("attempts", param::int4(3)),
                ("more", param::int4(1)),
            ],
        );
        assert_eq!(
            extra.unwrap_err(),
            "the binder passes `more` as $4, but the statement has 3 parameters"
        );
        let mistyped = bind(
            &STORE,
            [
                ("module", param::text("items")),
                ("entity_id", param::int8(42)),
                ("attempts", param::int4(3)),
            ],
        );
        assert_eq!(
            mistyped.unwrap_err(),
            "$2 `entity_id` is cast to text but the binder passes an int8"
        );
        let null = bind(
            &STORE,
            [
                ("module", param::text("items")),
                ("entity_id", param::opt_text(None::<&str>)),
                ("attempts", param::int4(3)),
            ],
        );
        assert!(null.is_ok());
    }

    #[test]
    fn bind_names_the_statements_parameters_in_order() {
        let values = crate::bind!(STORE {
            module: param::text("items"),
            entity_id: param::text("42"),
            attempts: param::int4(3),
        });
        assert!(bind(&STORE, values).is_ok());
    }
}
