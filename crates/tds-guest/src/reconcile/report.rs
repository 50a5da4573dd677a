//! The run's report (`tds_reconcile_reports`): started, finished, recorded as not
//! configured, and read back.

use serde_json::Value;
use tds_core::ids::{ReportId, RunId};
use tds_store::reconcile;

use crate::bind;
use crate::db::{param, Binding, Db, DbError};

/// The report [`start`] starts, of run `run_id`; `trigger` `cron` or `http`.
pub struct StartReport<'a> {
    pub trigger: &'a str,
    pub run_id: RunId,
}

/// Starts the report (`reconcile::START_REPORT`); its id.
pub fn start(db: &Db, start: &StartReport<'_>) -> Result<ReportId, DbError> {
    let rows = db.query(
        reconcile::START_REPORT,
        bind!(reconcile::START_REPORT {
            trigger: param::text(start.trigger),
            run_id: param::int8(start.run_id.0),
        }),
    )?;
    Ok(ReportId(rows.expect_row()?.int8("id")?))
}

/// A run that did nothing because Zoho is not configured, and why.
pub struct NotConfigured<'a> {
    pub trigger: &'a str,
    pub why: &'a str,
}

/// Records the run as not configured (`reconcile::NOT_CONFIGURED_REPORT`); the report's id.
pub fn not_configured(db: &Db, record: &NotConfigured<'_>) -> Result<ReportId, DbError> {
    let rows = db.query(
        reconcile::NOT_CONFIGURED_REPORT,
        bind!(reconcile::NOT_CONFIGURED_REPORT {
            trigger: param::text(record.trigger),
            error: param::text(record.why),
        }),
    )?;
    Ok(ReportId(rows.expect_row()?.int8("id")?))
}

/// How [`finish`] finishes a report.
pub struct FinishReport<'a> {
    pub id: ReportId,
    pub status: &'a str,
    pub pull: &'a Value,
    pub drift: &'a Value,
    pub integrity: &'a Value,
    pub summary: &'a Value,
    pub fixes_enqueued: u32,
    pub api_requests: u32,
    pub error: Option<&'a str>,
}

/// Finishes the report (`reconcile::FINISH_REPORT`).
pub fn finish(db: &Db, finish: &FinishReport<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::FINISH_REPORT,
        bind!(reconcile::FINISH_REPORT {
            status: param::text(finish.status),
            pull: param::text(finish.pull.to_string()),
            drift: param::text(finish.drift.to_string()),
            integrity: param::text(finish.integrity.to_string()),
            summary: param::text(finish.summary.to_string()),
            fixes_enqueued: param::uint4(finish.fixes_enqueued),
            api_requests: param::uint4(finish.api_requests),
            error: param::opt_text(finish.error),
            report_id: param::int8(finish.id.0),
        }),
    )
    .map(drop)
}

/// The report [`by_id`] reads.
pub struct ReportById {
    pub id: ReportId,
}

/// The report as stored (`reconcile::REPORT_BY_ID`); fails when there is no such report
/// or it is not JSON.
pub fn by_id(db: &Db, read: &ReportById) -> Result<Value, DbError> {
    let rows = db.query(reconcile::REPORT_BY_ID, report_by_id(read))?;
    let row = rows.expect_row()?;
    serde_json::from_str(&row.text("report")?)
        .map_err(|e| row.invalid(format!("the report is not JSON: {e}")))
}

/// The newest report's JSON text, as stored (`reconcile::LATEST_REPORT`); `None` before
/// the first run. Left unparsed: the stats API answers it as it judges.
pub fn latest_text(db: &Db) -> Result<Option<String>, DbError> {
    let rows = db.query(reconcile::LATEST_REPORT, bind!(reconcile::LATEST_REPORT {}))?;
    rows.first().map(|row| row.text("report")).transpose()
}

/// The report's JSON text, as stored (`reconcile::REPORT_BY_ID`); `None` when there is no
/// such report. Left unparsed, as [`latest_text`].
pub fn text_by_id(db: &Db, read: &ReportById) -> Result<Option<String>, DbError> {
    let rows = db.query(reconcile::REPORT_BY_ID, report_by_id(read))?;
    rows.first().map(|row| row.text("report")).transpose()
}

fn report_by_id(read: &ReportById) -> [Binding; 1] {
    bind!(reconcile::REPORT_BY_ID {
        report_id: param::int8(read.id.0)
    })
}
