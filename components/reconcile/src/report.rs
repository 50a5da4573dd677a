//! The run's report (`tds_reconcile_reports`) and its alerts: drift and integrity findings
//! open (or touch) one alert each in `tds_alerts` with a dedup key, status open — heal
//! delivers them — and a later run that finds nothing resolves them.

use serde_json::{json, Map, Value};
use tds_core::alerts::{Firing, Severity};
use tds_core::ids::ReportId;
use tds_guest::alerts::{self, ResolveCleared};
use tds_guest::db::{Db, DbError};
use tds_guest::reconcile::report::{self, FinishReport, ReportById};
use tds_zoho::integrity::{counts, Finding};

const DRIFT_KIND: &str = "reconcile_drift";
const INTEGRITY_KIND: &str = "reconcile_integrity";
const DRIFT_KEY: &str = "reconcile:drift";
const INTEGRITY_KEY: &str = "reconcile:integrity";

/// Drift totals over the modules checked.
#[derive(Debug, Default, Clone, Copy)]
pub struct DriftTotals {
    pub missing: usize,
    pub extra: usize,
    pub stale: usize,
    pub in_flight: usize,
    /// Listed, not yet read by the pull: not drift.
    pub pending: usize,
}

impl DriftTotals {
    pub fn differences(&self) -> usize {
        self.missing + self.extra + self.stale
    }

    pub fn to_json(self) -> Value {
        json!({"missing": self.missing, "extra": self.extra, "stale": self.stale,
               "in_flight": self.in_flight, "pending": self.pending})
    }
}

/// Opens, touches or resolves the alerts. `drift_checked`: every module was compared (a
/// partial comparison neither opens nor resolves on absence of drift).
pub fn raise_alerts(
    db: &Db,
    report_id: ReportId,
    drift: &DriftTotals,
    drift_by_module: &Map<String, Value>,
    drift_checked: bool,
    findings: &[Finding],
) -> Result<Vec<&'static str>, DbError> {
    let mut holding = Vec::new();
    let mut evaluated = vec![INTEGRITY_KIND];
    if drift.differences() > 0 {
        let message = format!(
            "Zoho and the ERP differ: {} missing, {} extra, {} stale",
            drift.missing, drift.extra, drift.stale
        );
        open(
            db,
            DRIFT_KEY,
            DRIFT_KIND,
            message,
            json!({"report_id": report_id.0, "totals": drift.to_json(), "modules": drift_by_module}),
        )?;
        holding.push(DRIFT_KEY);
    }
    if drift_checked {
        evaluated.push(DRIFT_KIND);
    }
    if !findings.is_empty() {
        let by_check = counts(findings);
        let list: Vec<String> = by_check.iter().map(|(c, n)| format!("{n} {c}")).collect();
        let message = format!("ERP integrity findings: {}", list.join(", "));
        open(
            db,
            INTEGRITY_KEY,
            INTEGRITY_KIND,
            message,
            json!({"report_id": report_id.0, "counts": by_check}),
        )?;
        holding.push(INTEGRITY_KEY);
    }
    alerts::resolve_cleared_unread(
        db,
        &ResolveCleared {
            kinds: &evaluated,
            holding: &holding,
        },
    )?;
    Ok(holding)
}

fn open(
    db: &Db,
    key: &str,
    kind: &'static str,
    message: String,
    details: Value,
) -> Result<(), DbError> {
    alerts::open_or_touch_unread(
        db,
        &Firing {
            dedup_key: key.to_string(),
            kind,
            severity: Severity::Warning,
            message,
            details,
        },
    )
}

/// What a finished report holds.
pub struct Finished<'a> {
    pub status: &'a str,
    pub pull: Value,
    pub drift: Value,
    pub integrity: Value,
    pub summary: Value,
    pub fixes_enqueued: u32,
    pub api_requests: u32,
    pub error: Option<String>,
}

pub fn finish(db: &Db, report_id: ReportId, finished: Finished<'_>) -> Result<(), DbError> {
    report::finish(
        db,
        &FinishReport {
            id: report_id,
            status: finished.status,
            pull: &finished.pull,
            drift: &finished.drift,
            integrity: &finished.integrity,
            summary: &finished.summary,
            fixes_enqueued: finished.fixes_enqueued,
            api_requests: finished.api_requests,
            error: finished.error.as_deref(),
        },
    )
}

/// Report `id` as stored (JSON), as the stats API will serve it.
pub fn read(db: &Db, id: ReportId) -> Result<Value, DbError> {
    report::by_id(db, &ReportById { id })
}
