//! A refused request: nothing stored, its error answered, its outcome counted against the
//! module it concerns (docs/design.md, "Intake contract").

use tds_core::entity::Module;
use tds_guest::http::{HttpError, DATABASE_UNAVAILABLE};

/// A refused request: nothing stored. The error is the answer; the module it concerns,
/// when known, is what it is counted against.
pub struct Refusal {
    pub error: HttpError,
    pub module: Option<Module>,
}

impl Refusal {
    pub fn new(error: impl Into<HttpError>, module: Option<Module>) -> Refusal {
        Refusal {
            error: error.into(),
            module,
        }
    }

    /// The intake counter's outcome: `failed` when the database could not take the event,
    /// `rejected` otherwise.
    pub fn outcome(&self) -> &'static str {
        if self.error.code == DATABASE_UNAVAILABLE {
            "failed"
        } else {
            "rejected"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_count_as_failed_only_when_the_database_could_not_take_them() {
        let refused = |status, code, module| Refusal::new(HttpError::new(status, code, ""), module);
        assert_eq!(refused(503, DATABASE_UNAVAILABLE, None).outcome(), "failed");
        assert_eq!(refused(503, "not_configured", None).outcome(), "rejected");
        let refusal = refused(401, "invalid_key", Some(Module::Bills));
        assert_eq!(
            (refusal.outcome(), refusal.module),
            ("rejected", Some(Module::Bills))
        );
    }
}
