//! Typed functions beside `tds_store::operator`'s statements (see [`crate::queue`]): the
//! stats API's reading of alerts, runs and circuit breakers, and the operator's decisions
//! on them (acknowledge an alert, reset a breaker). Each leaves as the JSON text PostgreSQL
//! builds. Alert and run ids are [`AlertId`]s and [`RunId`]s, the store's `bigint`s.

use tds_core::ids::{AlertId, RunId};
use tds_store::operator;

use crate::bind;
use crate::db::{param, Db, DbError, Rows};

/// The alerts [`list_alerts`] lists, newest first: those in `status` (`active`, `open`,
/// `acknowledged`, `resolved` or `all`) of `severity` and `kind` when given, below `before`
/// (from the top when `None`), at most `limit`.
pub struct ListAlerts<'a> {
    pub status: &'a str,
    pub severity: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub before: Option<AlertId>,
    pub limit: u32,
}

/// A listed alert or run (`Id` an [`AlertId`] or a [`RunId`]): its id, and the row as
/// JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<Id> {
    pub id: Id,
    pub json: String,
}

/// The matching alerts (`operator::LIST_ALERTS`).
pub fn list_alerts(db: &Db, list: &ListAlerts<'_>) -> Result<Vec<Listed<AlertId>>, DbError> {
    let rows = db.query(
        operator::LIST_ALERTS,
        bind!(operator::LIST_ALERTS {
            status: param::text(list.status),
            severity: param::opt_text(list.severity),
            kind: param::opt_text(list.kind),
            before: param::opt_int8(list.before.map(|id| id.0)),
            limit: param::uint4(list.limit),
        }),
    )?;
    listed(&rows, AlertId, "alert")
}

/// The alert [`show_alert`] shows.
pub struct ShowAlert {
    pub id: AlertId,
}

/// An alert's status, and the alert as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownAlert {
    pub status: String,
    pub alert: String,
}

/// The alert (`operator::SHOW_ALERT`); `None` when unknown.
pub fn show_alert(db: &Db, show: &ShowAlert) -> Result<Option<ShownAlert>, DbError> {
    let rows = db.query(
        operator::SHOW_ALERT,
        bind!(operator::SHOW_ALERT {
            id: param::int8(show.id.0)
        }),
    )?;
    rows.first()
        .map(|row| {
            Ok(ShownAlert {
                status: row.text("status")?,
                alert: row.text("alert")?,
            })
        })
        .transpose()
}

/// The open alert [`acknowledge_alert`] acknowledges on behalf of `by`.
pub struct AcknowledgeAlert<'a> {
    pub id: AlertId,
    pub by: &'a str,
}

/// Acknowledges the alert (`operator::ACKNOWLEDGE_ALERT`); the alert as JSON text, `None`
/// when it is unknown or not open.
pub fn acknowledge_alert(
    db: &Db,
    acknowledge: &AcknowledgeAlert<'_>,
) -> Result<Option<String>, DbError> {
    let rows = db.query(
        operator::ACKNOWLEDGE_ALERT,
        bind!(operator::ACKNOWLEDGE_ALERT {
            acknowledged_by: param::text(acknowledge.by),
            id: param::int8(acknowledge.id.0),
        }),
    )?;
    first_json(&rows, "alert")
}

/// The runs [`list_runs`] lists, newest first: those of `component`, `lane` and `status`
/// when given, below `before` (from the top when `None`), at most `limit`.
pub struct ListRuns<'a> {
    pub component: Option<&'a str>,
    pub lane: Option<&'a str>,
    pub status: Option<&'a str>,
    pub before: Option<RunId>,
    pub limit: u32,
}

/// The matching runs (`operator::LIST_RUNS`).
pub fn list_runs(db: &Db, list: &ListRuns<'_>) -> Result<Vec<Listed<RunId>>, DbError> {
    let rows = db.query(
        operator::LIST_RUNS,
        bind!(operator::LIST_RUNS {
            component: param::opt_text(list.component),
            lane: param::opt_text(list.lane),
            status: param::opt_text(list.status),
            before: param::opt_int8(list.before.map(|id| id.0)),
            limit: param::uint4(list.limit),
        }),
    )?;
    listed(&rows, RunId, "run")
}

/// The run [`show_run`] shows.
pub struct ShowRun {
    pub id: RunId,
}

/// The run as JSON text, with its logged attempts per outcome (`operator::SHOW_RUN`);
/// `None` when unknown.
pub fn show_run(db: &Db, show: &ShowRun) -> Result<Option<String>, DbError> {
    let rows = db.query(
        operator::SHOW_RUN,
        bind!(operator::SHOW_RUN {
            id: param::int8(show.id.0)
        }),
    )?;
    first_json(&rows, "run")
}

/// Every circuit breaker as JSON text, by name (`operator::LIST_CIRCUITS`).
pub fn list_circuits(db: &Db) -> Result<Vec<String>, DbError> {
    let rows = db.query(operator::LIST_CIRCUITS, bind!(operator::LIST_CIRCUITS {}))?;
    rows.iter().map(|row| row.text("circuit")).collect()
}

/// The circuit breaker [`reset_circuit`] closes.
pub struct ResetCircuit<'a> {
    pub name: &'a str,
}

/// Closes the breaker and clears its failure count (`operator::RESET_CIRCUIT`); the
/// breaker as JSON text, `None` when unknown.
pub fn reset_circuit(db: &Db, reset: &ResetCircuit<'_>) -> Result<Option<String>, DbError> {
    let rows = db.query(
        operator::RESET_CIRCUIT,
        bind!(operator::RESET_CIRCUIT {
            name: param::text(reset.name)
        }),
    )?;
    first_json(&rows, "circuit")
}

/// Rows of `id` and the JSON text in column `json`.
fn listed<Id>(rows: &Rows, id: fn(i64) -> Id, json: &str) -> Result<Vec<Listed<Id>>, DbError> {
    rows.iter()
        .map(|row| {
            Ok(Listed {
                id: id(row.int8("id")?),
                json: row.text(json)?,
            })
        })
        .collect()
}

/// The JSON text in column `json` of the first row, if any.
fn first_json(rows: &Rows, json: &str) -> Result<Option<String>, DbError> {
    rows.first().map(|row| row.text(json)).transpose()
}
