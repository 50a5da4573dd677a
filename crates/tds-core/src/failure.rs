//! Failure classes. A transient failure may pass by itself and is retried with backoff;
//! a permanent one will fail the same way again and is dead-lettered at once.
//!
//! Database failures are classified by SQLSTATE, never by message text. Permanent:
//! class 21 (cardinality), 22 (data exception), 23 (integrity constraint), 42 (syntax
//! error or access rule), 44 (check option violation), 54 (program limit exceeded), 0A
//! (feature not supported), P0 (raised by a trigger). Every other SQLSTATE, and every
//! failure without one (connection refused, I/O), is transient: connection loss (08),
//! deadlock and serialization (40), resources (53), lock timeouts ([`LOCK_NOT_AVAILABLE`]),
//! cancellation and shutdown (57), system errors (58, XX).

/// SQLSTATE of a lock wait that gave up (`lock_timeout`, `NOWAIT`): transient.
pub const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Whether a failure is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    Transient,
    Permanent,
}

impl FailureClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Transient => "transient",
            FailureClass::Permanent => "permanent",
        }
    }

    /// The class of a failure with `sqlstate`, or of one without (`None`: transient).
    ///
    /// ```
    /// use tds_core::failure::FailureClass;
    /// assert_eq!(FailureClass::of_sqlstate(Some("40P01")), FailureClass::Transient);
    /// assert_eq!(FailureClass::of_sqlstate(Some("23505")), FailureClass::Permanent);
    /// assert_eq!(FailureClass::of_sqlstate(Some("55P03")), FailureClass::Transient);
    /// assert_eq!(FailureClass::of_sqlstate(None), FailureClass::Transient);
    /// ```
    pub fn of_sqlstate(sqlstate: Option<&str>) -> FailureClass {
        const PERMANENT_CLASSES: [&str; 8] = ["21", "22", "23", "42", "44", "54", "0A", "P0"];
        match sqlstate.and_then(|s| s.get(..2)) {
            Some(class) if PERMANENT_CLASSES.contains(&class.to_ascii_uppercase().as_str()) => {
                FailureClass::Permanent
            }
            _ => FailureClass::Transient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates() {
        for code in [
            "08006", "08001", "40001", "40P01", "53300", "55P03", "57014", "57P01", "58030",
            "XX000",
        ] {
            assert_eq!(
                FailureClass::of_sqlstate(Some(code)),
                FailureClass::Transient,
                "{code}"
            );
        }
        for code in [
            "22P02", "22003", "23502", "23503", "23505", "23514", "42703", "42P01", "0A000",
            "P0001", "21000", "44000", "54001",
        ] {
            assert_eq!(
                FailureClass::of_sqlstate(Some(code)),
                FailureClass::Permanent,
                "{code}"
            );
        }
        assert_eq!(FailureClass::of_sqlstate(Some("")), FailureClass::Transient);
    }
}
