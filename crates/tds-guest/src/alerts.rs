//! Typed functions beside `tds_store::alerts`'s statements (see [`crate::queue`]): heal's
//! measuring, opening, resolving and delivering of alerts, and reconcile's own alerts.

use serde_json::Value;
use spin_sdk::pg4::ParameterValue;
use tds_core::alerts::{Event, Notice};
use tds_core::ids::AlertId;
use tds_store::alerts;

use crate::db::{param, Db, DbError, Row};

/// What [`measure`] measures over: the failure-rate window, and the age past which an
/// unresolved dead letter counts.
pub struct Measure {
    pub failure_rate_window_seconds: i32,
    pub dead_letter_age_seconds: f64,
}

/// The figures alerts are evaluated on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub queue_depth: i64,
    pub oldest_pending_seconds: f64,
    pub recent_attempts: i64,
    pub recent_failures: i64,
    pub aged_dead_letters: i64,
}

/// Measures the figures (`alerts::MEASURE`).
pub fn measure(db: &Db, measure: &Measure) -> Result<Measured, DbError> {
    let rows = db.query(
        alerts::MEASURE,
        &[
            param::int4(measure.failure_rate_window_seconds),
            param::float8(measure.dead_letter_age_seconds),
        ],
    )?;
    let row = rows.expect_row()?;
    Ok(Measured {
        queue_depth: row.int8(0)?,
        oldest_pending_seconds: row.float8(1)?,
        recent_attempts: row.int8(2)?,
        recent_failures: row.int8(3)?,
        aged_dead_letters: row.int8(4)?,
    })
}

/// A condition that holds, which [`open_or_touch`] opens an alert for (or touches the one
/// open for its dedup key).
pub struct OpenOrTouch<'a> {
    pub dedup_key: &'a str,
    pub kind: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub details: &'a Value,
}

/// The alert [`open_or_touch`] opened or touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub id: AlertId,
    /// A new alert, rather than another occurrence of the open one.
    pub opened: bool,
}

/// Opens or touches the condition's alert (`alerts::OPEN_OR_TOUCH`).
pub fn open_or_touch(db: &Db, open: &OpenOrTouch<'_>) -> Result<Touched, DbError> {
    let rows = db.query(alerts::OPEN_OR_TOUCH, &open_or_touch_params(open))?;
    let row = rows.expect_row()?;
    Ok(Touched {
        opened: row.boolean(1)?,
        id: AlertId(row.int8(0)?),
    })
}

/// Opens or touches the condition's alert (`alerts::OPEN_OR_TOUCH`), run as a plain
/// execute: its row is not read.
pub fn open_or_touch_unread(db: &Db, open: &OpenOrTouch<'_>) -> Result<(), DbError> {
    db.execute(alerts::OPEN_OR_TOUCH, &open_or_touch_params(open))
        .map(drop)
}

fn open_or_touch_params(open: &OpenOrTouch<'_>) -> [ParameterValue; 5] {
    [
        param::text(open.dedup_key),
        param::text(open.kind),
        param::text(open.severity),
        param::text(open.message),
        param::text(open.details.to_string()),
    ]
}

/// The alerts [`resolve_cleared`] resolves: those open of `kinds` whose dedup key is not
/// among `holding`.
pub struct ResolveCleared<'a> {
    pub kinds: &'a [&'a str],
    pub holding: &'a [&'a str],
}

/// An alert resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub id: AlertId,
    pub dedup_key: String,
}

/// Resolves the alerts whose condition cleared (`alerts::RESOLVE_CLEARED`).
pub fn resolve_cleared(db: &Db, resolve: &ResolveCleared<'_>) -> Result<Vec<Resolved>, DbError> {
    let rows = db.query(alerts::RESOLVE_CLEARED, &resolve_cleared_params(resolve))?;
    rows.iter()
        .map(|row| {
            Ok(Resolved {
                id: AlertId(row.int8(0)?),
                dedup_key: row.text(1)?,
            })
        })
        .collect()
}

/// Resolves the alerts whose condition cleared (`alerts::RESOLVE_CLEARED`), run as a plain
/// execute: its rows are not read.
pub fn resolve_cleared_unread(db: &Db, resolve: &ResolveCleared<'_>) -> Result<(), DbError> {
    db.execute(alerts::RESOLVE_CLEARED, &resolve_cleared_params(resolve))
        .map(drop)
}

fn resolve_cleared_params(resolve: &ResolveCleared<'_>) -> [ParameterValue; 2] {
    [
        param::text_array(resolve.kinds.iter().copied()),
        param::text_array(resolve.holding.iter().copied()),
    ]
}

/// How many events [`list_undelivered`] lists at most.
pub struct ListUndelivered {
    pub limit: i32,
}

/// An alert event not yet delivered everywhere, with the deliveries made (JSON text).
#[derive(Debug, Clone, PartialEq)]
pub struct Undelivered {
    pub notice: Notice,
    pub deliveries: String,
}

/// The alert events not yet delivered everywhere, oldest alert first
/// (`alerts::LIST_UNDELIVERED`); details that are not JSON read as null.
pub fn list_undelivered(db: &Db, list: &ListUndelivered) -> Result<Vec<Undelivered>, DbError> {
    let rows = db.query(alerts::LIST_UNDELIVERED, &[param::int4(list.limit)])?;
    rows.iter().map(|row| undelivered(&row)).collect()
}

fn undelivered(row: &Row<'_>) -> Result<Undelivered, DbError> {
    let event_name = row.text(1)?;
    let event = Event::from_name(&event_name)
        .ok_or_else(|| row.invalid(format!("unknown alert event {event_name:?}")))?;
    let details = serde_json::from_str(&row.text(7)?).unwrap_or(Value::Null);
    Ok(Undelivered {
        notice: Notice {
            event,
            alert_id: row.int8(0)?,
            dedup_key: row.text(2)?,
            kind: row.text(3)?,
            severity: row.text(4)?,
            status: row.text(5)?,
            message: row.text(6)?,
            details,
            occurrences: row.int4(8)?.into(),
            opened_at: row.text(9)?,
            resolved_at: row.opt_text(10)?,
        },
        deliveries: row.text(11)?,
    })
}

/// The alert event [`lock_for_delivery`] locks, or [`mark_notified`] marks.
pub struct AlertEvent {
    pub id: AlertId,
    pub event: Event,
}

/// Locks the alert for delivering the event while it is still undelivered
/// (`alerts::LOCK_FOR_DELIVERY`); the deliveries made (JSON text), `None` when it is
/// delivered or another run holds it.
pub fn lock_for_delivery(db: &Db, lock: &AlertEvent) -> Result<Option<String>, DbError> {
    let rows = db.query(
        alerts::LOCK_FOR_DELIVERY,
        &[param::int8(lock.id.0), param::text(lock.event.as_str())],
    )?;
    rows.first().map(|row| row.text(0)).transpose()
}

/// A delivery [`mark_delivered`] records: `delivery_key` `<event>:<destination>`;
/// `completed` the event when every configured destination now has it.
pub struct MarkDelivered<'a> {
    pub id: AlertId,
    pub delivery_key: &'a str,
    pub completed: Option<Event>,
}

/// Records the delivery (`alerts::MARK_DELIVERED`).
pub fn mark_delivered(db: &Db, mark: &MarkDelivered<'_>) -> Result<(), DbError> {
    db.execute(
        alerts::MARK_DELIVERED,
        &[
            param::int8(mark.id.0),
            param::text(mark.delivery_key),
            param::opt_text(mark.completed.map(Event::as_str)),
        ],
    )
    .map(drop)
}

/// Records that every configured destination has the event, without a new delivery
/// (`alerts::MARK_NOTIFIED`).
pub fn mark_notified(db: &Db, mark: &AlertEvent) -> Result<(), DbError> {
    db.execute(
        alerts::MARK_NOTIFIED,
        &[param::int8(mark.id.0), param::text(mark.event.as_str())],
    )
    .map(drop)
}
