//! Step 4: alert delivery. Up to `heal_alert_delivery_limit` alert events (openings, and
//! resolutions of alerts whose opening went out) not yet delivered to every configured
//! webhook are posted: the generic JSON body to `alert_webhook_url`, the Slack-compatible
//! `{"text": …}` to `alert_slack_webhook_url` (`tds_core::alerts`). Each event is
//! delivered in a short transaction that locks its alert (a concurrent run skips it) and
//! records each destination that answered 2xx (`deliveries`), then `notified_at` /
//! `resolution_notified_at` once all have it; a destination that failed is retried on a
//! later run, the others are not sent the event again.
//!
//! Each destination has a circuit breaker (`outbound:alert_webhook`,
//! `outbound:alert_slack_webhook`): a failed delivery (no answer within
//! `alert_webhook_timeout_ms`, a refusal, a non-2xx status) counts and ends that
//! destination's deliveries for the run; an open breaker skips the destination until its
//! cool-down is over, then one delivery probes it. With no webhook configured, alerts are
//! only stored.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tds_core::alerts::{generic_body, slack_body, Notice};
use tds_core::ids::AlertId;
use tds_guest::alerts::{self, AlertEvent, ListUndelivered, MarkDelivered};
use tds_guest::circuit::{CircuitBreaker, Gate};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;

use crate::outbound;
use crate::settings::{Destination, HealConfig};

/// One destination's standing in this run.
struct Channel<'a> {
    destination: &'a Destination,
    breaker: CircuitBreaker<'a>,
    /// Whether it may be sent to (admitted by its breaker and not failed this run).
    usable: bool,
    /// Whether a success must be recorded (a probe, or failures counted before).
    needs_success: bool,
}

#[derive(Default)]
struct Tally {
    delivered: u64,
    failed: u64,
    refused: u64,
}

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    let mut tally = Tally::default();
    if config.destinations.is_empty() {
        return Ok(json!({"destinations": 0, "delivered": 0, "failed": 0, "refused": 0}));
    }
    let notices: Vec<(Notice, BTreeMap<String, Value>)> = alerts::list_undelivered(
        db,
        &ListUndelivered {
            limit: config.delivery_limit,
        },
    )?
    .into_iter()
    .map(|pending| (pending.notice, deliveries(&pending.deliveries)))
    .collect();
    let mut channels = Vec::new();
    if !notices.is_empty() {
        for destination in &config.destinations {
            let breaker = CircuitBreaker::new(db, destination.breaker(), config.circuit);
            let gate = breaker.admit()?;
            if let Gate::Refused { retry_in_seconds } = gate {
                log.info(
                    "alert webhook circuit open: not sending",
                    json!({"destination": destination.name, "retry_in_seconds": retry_in_seconds}),
                );
            }
            channels.push(Channel {
                destination,
                breaker,
                usable: !matches!(gate, Gate::Refused { .. }),
                needs_success: matches!(gate, Gate::Probe | Gate::Pass { clean: false }),
            });
        }
    }
    for (notice, delivered_before) in &notices {
        deliver(
            db,
            config,
            &mut channels,
            notice,
            delivered_before,
            &mut tally,
            log,
        )
        .inspect_err(|_| {
            let _ = db.rollback();
        })?;
    }
    Ok(
        json!({"destinations": config.destinations.len(), "events": notices.len(),
              "delivered": tally.delivered, "failed": tally.failed, "refused": tally.refused}),
    )
}

/// Delivers one event to every destination that lacks it, in one transaction.
fn deliver(
    db: &Db,
    config: &HealConfig,
    channels: &mut [Channel<'_>],
    notice: &Notice,
    listed: &BTreeMap<String, Value>,
    tally: &mut Tally,
    log: &Logger,
) -> Result<(), DbError> {
    let event = notice.event.as_str();
    let alert = AlertEvent {
        id: AlertId(notice.alert_id),
        event: notice.event,
    };
    let key = |channel: &Channel<'_>| format!("{event}:{}", channel.destination.name);
    if channels.iter().all(|c| listed.contains_key(&key(c))) {
        // Delivered to every destination configured now (one that lacked it was removed).
        return alerts::mark_notified(db, &alert);
    }
    db.begin()?;
    tds_guest::queue::limit_waits(db, &config.waits())?;
    let Some(locked) = alerts::lock_for_delivery(db, &alert)? else {
        return db.rollback();
    };
    let mut delivered = deliveries(&locked);
    for channel in channels.iter_mut() {
        let delivery_key = key(channel);
        if delivered.contains_key(&delivery_key) {
            continue;
        }
        if !channel.usable {
            tally.refused += 1;
            continue;
        }
        let body = match channel.destination.name {
            "slack" => slack_body(notice),
            _ => generic_body(notice),
        };
        let fields = json!({"alert_id": notice.alert_id, "event": event, "destination": channel.destination.name});
        match outbound::post_json(&channel.destination.url, &body, config.delivery_timeout) {
            Ok(status) if (200..300).contains(&status) => {
                delivered.insert(delivery_key.clone(), Value::Bool(true));
                let complete = config
                    .destinations
                    .iter()
                    .all(|d| delivered.contains_key(&format!("{event}:{}", d.name)));
                alerts::mark_delivered(
                    db,
                    &MarkDelivered {
                        id: alert.id,
                        delivery_key: &delivery_key,
                        completed: complete.then_some(notice.event),
                    },
                )?;
                tally.delivered += 1;
                if channel.needs_success {
                    channel.breaker.record_success()?;
                    channel.needs_success = false;
                }
                log.info("alert delivered", fields);
            }
            answer => {
                let error = match answer {
                    Ok(status) => format!("answered HTTP {status}"),
                    Err(e) => e,
                };
                tally.failed += 1;
                channel.usable = false;
                let state = channel.breaker.record_failure(&error)?;
                log.warn(
                    "alert delivery failed; retried on a later run",
                    json!({"alert_id": notice.alert_id, "event": event, "destination": channel.destination.name,
                           "error": error, "breaker": channel.breaker.name(), "breaker_state": state.as_str()}),
                );
            }
        }
    }
    db.commit()
}

/// The `deliveries` object as a map (empty when it is not one).
fn deliveries(json: &str) -> BTreeMap<String, Value> {
    serde_json::from_str(json).unwrap_or_default()
}
