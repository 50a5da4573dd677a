//! Typed functions beside `tds_store::alerts`'s statements (see [`crate::queue`]): heal's
//! measuring, opening, resolving and delivering of alerts, and reconcile's own alerts.
//!
//! What is measured follows `tds_core::alerts`' declarations: `MEASURE` is bound by its
//! parameters' names ([`measure_parameter`]) and its row read by the columns
//! [`FIGURES`] names, so a new figure or threshold needs no change here.

use serde_json::Value;
use tds_core::alerts::{
    measure_parameter, Event, Figure, Firing, Measurements, Notice, Reading, Thresholds, FIGURES,
};
use tds_core::ids::AlertId;
use tds_store::alerts;
use tds_store::named::Param;

use crate::bind;
use crate::circuit;
use crate::db::{param, Binding, Db, DbError, Row};

/// Measures the figures (`alerts::MEASURE`, with the thresholds in force) and lists the
/// breakers that are not closed (`circuit::list_not_closed`).
pub fn measure(db: &Db, thresholds: &Thresholds) -> Result<Measurements, DbError> {
    let bindings = measure_bindings(thresholds)
        .map_err(|e| DbError::local(e).of(alerts::MEASURE.name.into()))?;
    let rows = db.query(alerts::MEASURE, bindings)?;
    let row = rows.expect_row()?;
    let mut measured = FIGURES
        .into_iter()
        .try_fold(Measurements::default(), |m, figure| {
            let reading = match figure {
                Figure::Count(column) => Reading::Count(row.int8(column)?),
                Figure::Seconds(column) => Reading::Seconds(row.float8(column)?),
            };
            Ok::<_, DbError>(m.with(figure.column(), reading))
        })?;
    measured.open_circuits = circuit::list_not_closed(db)?;
    Ok(measured)
}

/// `MEASURE`'s parameters, each bound by its name to what `measure_parameter` gives it
/// under `thresholds`, in the type of its cast.
fn measure_bindings(thresholds: &Thresholds) -> Result<Vec<Binding>, String> {
    alerts::MEASURE
        .params
        .iter()
        .map(|p| {
            let value = measure_parameter(p.name, thresholds)
                .ok_or_else(|| format!("`{}` is no threshold key and not the window", p.name))?;
            Ok((p.name, typed(p, value)?))
        })
        .collect()
}

/// `value` as the type `p` is cast to; a whole number for an integer cast.
fn typed(p: &Param, value: f64) -> Result<spin_sdk::pg4::ParameterValue, String> {
    let whole = (value.fract() == 0.0).then_some(value);
    match p.cast {
        "float8" => Ok(param::float8(value)),
        "int4" => whole
            .filter(|v| v.abs() <= f64::from(i32::MAX))
            .map(|v| param::int4(v as i32))
            .ok_or_else(|| format!("`{}` is {value}, not an int4", p.name)),
        "bigint" | "int8" => whole
            .filter(|v| v.abs() < 9.0e15)
            .map(|v| param::int8(v as i64))
            .ok_or_else(|| format!("`{}` is {value}, not an int8", p.name)),
        other => Err(format!(
            "`{}` is cast to {other}, which a threshold cannot be",
            p.name
        )),
    }
}

/// The alert [`open_or_touch`] opened or touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub id: AlertId,
    /// A new alert, rather than another occurrence of the open one.
    pub opened: bool,
}

/// Opens the condition's alert, or touches the one open for its dedup key
/// (`alerts::OPEN_OR_TOUCH`).
pub fn open_or_touch(db: &Db, firing: &Firing) -> Result<Touched, DbError> {
    let rows = db.query(alerts::OPEN_OR_TOUCH, open_or_touch_bindings(firing))?;
    let row = rows.expect_row()?;
    Ok(Touched {
        opened: row.boolean("opened")?,
        id: AlertId(row.int8("id")?),
    })
}

/// Opens or touches the condition's alert (`alerts::OPEN_OR_TOUCH`), run as a plain
/// execute: its row is not read.
pub fn open_or_touch_unread(db: &Db, firing: &Firing) -> Result<(), DbError> {
    db.execute(alerts::OPEN_OR_TOUCH, open_or_touch_bindings(firing))
        .map(drop)
}

fn open_or_touch_bindings(firing: &Firing) -> [Binding; 5] {
    bind!(alerts::OPEN_OR_TOUCH {
        dedup_key: param::text(&firing.dedup_key),
        kind: param::text(firing.kind),
        severity: param::text(firing.severity.as_str()),
        message: param::text(&firing.message),
        details: param::text(firing.details.to_string()),
    })
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
    let rows = db.query(alerts::RESOLVE_CLEARED, resolve_cleared_bindings(resolve))?;
    rows.iter()
        .map(|row| {
            Ok(Resolved {
                id: AlertId(row.int8("id")?),
                dedup_key: row.text("dedup_key")?,
            })
        })
        .collect()
}

/// Resolves the alerts whose condition cleared (`alerts::RESOLVE_CLEARED`), run as a plain
/// execute: its rows are not read.
pub fn resolve_cleared_unread(db: &Db, resolve: &ResolveCleared<'_>) -> Result<(), DbError> {
    db.execute(alerts::RESOLVE_CLEARED, resolve_cleared_bindings(resolve))
        .map(drop)
}

fn resolve_cleared_bindings(resolve: &ResolveCleared<'_>) -> [Binding; 2] {
    bind!(alerts::RESOLVE_CLEARED {
        kinds: param::text_array(resolve.kinds.iter().copied()),
        holding: param::text_array(resolve.holding.iter().copied()),
    })
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
    let rows = db.query(
        alerts::LIST_UNDELIVERED,
        bind!(alerts::LIST_UNDELIVERED {
            limit: param::int4(list.limit)
        }),
    )?;
    rows.iter().map(|row| undelivered(&row)).collect()
}

fn undelivered(row: &Row<'_>) -> Result<Undelivered, DbError> {
    let event_name = row.text("event")?;
    let event = Event::from_name(&event_name)
        .ok_or_else(|| row.invalid(format!("unknown alert event {event_name:?}")))?;
    let details = serde_json::from_str(&row.text("details")?).unwrap_or(Value::Null);
    Ok(Undelivered {
        notice: Notice {
            event,
            alert_id: row.int8("id")?,
            dedup_key: row.text("dedup_key")?,
            kind: row.text("kind")?,
            severity: row.text("severity")?,
            status: row.text("status")?,
            message: row.text("message")?,
            details,
            occurrences: row.int4("occurrences")?.into(),
            opened_at: row.text("opened_at")?,
            resolved_at: row.opt_text("resolved_at")?,
        },
        deliveries: row.text("deliveries")?,
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
        bind!(alerts::LOCK_FOR_DELIVERY {
            id: param::int8(lock.id.0),
            event: param::text(lock.event.as_str()),
        }),
    )?;
    rows.first().map(|row| row.text("deliveries")).transpose()
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
        bind!(alerts::MARK_DELIVERED {
            delivery_key: param::text(mark.delivery_key),
            completed: param::opt_text(mark.completed.map(Event::as_str)),
            id: param::int8(mark.id.0),
        }),
    )
    .map(drop)
}

/// Records that every configured destination has the event, without a new delivery
/// (`alerts::MARK_NOTIFIED`).
pub fn mark_notified(db: &Db, mark: &AlertEvent) -> Result<(), DbError> {
    db.execute(
        alerts::MARK_NOTIFIED,
        bind!(alerts::MARK_NOTIFIED {
            event: param::text(mark.event.as_str()),
            id: param::int8(mark.id.0),
        }),
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::bind;

    #[test]
    fn measure_is_bound_by_name_from_the_thresholds_in_force() {
        let thresholds = Thresholds::from_rows([("alert_dead_letter_age_hours", "48")]);
        let bindings = measure_bindings(&thresholds).unwrap();
        let bound = |name: &str| {
            let value = bindings.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
            format!("{value:?}")
        };
        assert_eq!(
            bound("failure_rate_window_seconds"),
            format!("{:?}", Some(param::int4(300)))
        );
        assert_eq!(
            bound("alert_dead_letter_age_hours"),
            format!("{:?}", Some(param::float8(48.0)))
        );
        assert!(bind(&alerts::MEASURE, bindings).is_ok());
    }

    #[test]
    fn a_parameter_of_no_threshold_or_of_a_fraction_cast_to_an_integer_is_refused() {
        let unknown = Param {
            name: "colour",
            cast: "text",
        };
        assert!(typed(&unknown, 1.0).is_err());
        let whole = Param {
            name: "n",
            cast: "int4",
        };
        assert_eq!(
            format!("{:?}", typed(&whole, 3.0)),
            format!("{:?}", Ok::<_, String>(param::int4(3)))
        );
        assert_eq!(typed(&whole, 0.2).unwrap_err(), "`n` is 0.2, not an int4");
    }

    /// Every figure is a column `MEASURE` names: its row is read by these names.
    #[test]
    fn every_figure_is_a_column_of_measure() {
        for figure in FIGURES {
            assert!(
                alerts::MEASURE
                    .sql
                    .contains(&format!(" AS {}", figure.column())),
                "{figure:?}: MEASURE has no column of that name"
            );
        }
    }
}
