//! Typed functions beside `tds_store::drains` (drain sessions and wakes; the protocol and
//! why no event is left behind are in that module's docs), and [`send_wake`], the request
//! that wakes a lane's processor.
//!
//! Behaviour and defaults:
//! - A burst wakes a lane once per [`WAKE_COALESCE_SECONDS`] at most while no session
//!   serves it, a wake that could not be sent included: while wakes fail (a refusing
//!   platform, a misconfiguration), intake tries once per window and per lane, and every
//!   other event costs it one read of the lane's row.
//! - A wake waits at most [`WAKE_TIMEOUT`] for the processor's `202` (it answers before it
//!   drains).

use std::time::Duration;

use serde_json::json;
use spin_sdk::http::{Method, Request, Response};
use tds_core::entity::{Lane, Module};
use tds_core::ids::LeaseOwner;
use tds_core::variables::{self, VariableError};
use tds_core::wake::WakeRoute;
use tds_store::drains;

use crate::bind;
use crate::db::{param, Db, DbError};
use crate::log::Logger;
use crate::outbound::send_within;
use crate::vars;

/// While no session serves a lane, intake sends it at most one wake in this many seconds:
/// the woken processor takes the lane within milliseconds, and a wake lost on its way is
/// sent again by the first event after this window (or the cron safety net drains).
pub const WAKE_COALESCE_SECONDS: f64 = 2.0;

/// The longest a wake waits for the woken processor's answer.
pub const WAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Takes the right to wake `lane` (`drains::CLAIM_WAKE`): `true` when this caller is to
/// send the wake.
pub fn claim_wake(db: &Db, lane: Lane) -> Result<bool, DbError> {
    let touched = db.execute(
        drains::CLAIM_WAKE,
        bind!(drains::CLAIM_WAKE {
            lane: param::text(lane.as_str()),
            coalesce_seconds: param::float8(WAKE_COALESCE_SECONDS),
        }),
    )?;
    Ok(touched > 0)
}

/// Starts or renews `owner`'s session of `lane` for `lease_seconds` (`drains::ACQUIRE`):
/// `false` when another session serves the lane.
pub fn acquire(
    db: &Db,
    lane: Lane,
    owner: &LeaseOwner,
    lease_seconds: u32,
) -> Result<bool, DbError> {
    let touched = db.execute(
        drains::ACQUIRE,
        bind!(drains::ACQUIRE {
            lane: param::text(lane.as_str()),
            drainer: param::text(owner.as_str()),
            lease_seconds: param::uint4(lease_seconds),
        }),
    )?;
    Ok(touched > 0)
}

/// Ends `owner`'s session of `lane` (`drains::RELEASE`).
pub fn release(db: &Db, lane: Lane, owner: &LeaseOwner) -> Result<(), DbError> {
    db.execute(
        drains::RELEASE,
        bind!(drains::RELEASE {
            lane: param::text(lane.as_str()),
            drainer: param::text(owner.as_str())
        }),
    )
    .map(drop)
}

/// Whether `lane` has a due unclaimed row of one of `modules` (`drains::LANE_HAS_WORK`).
pub fn lane_has_work(db: &Db, lane: Lane, modules: &[Module]) -> Result<bool, DbError> {
    let rows = db.query(
        drains::LANE_HAS_WORK,
        bind!(drains::LANE_HAS_WORK {
            lane: param::text(lane.as_str()),
            modules: param::text_array(modules.iter().map(|m| m.as_str())),
        }),
    )?;
    rows.expect_row()?.boolean("due")
}

/// How a component sends wakes: its variables `wake` and `app_origin` ([`WakeRoute`]), and
/// `stats_token`, the bearer of a self request.
pub struct Waking {
    pub route: WakeRoute,
    pub token: Option<String>,
}

impl Waking {
    /// Reads the variables through the registry; a bad `wake` or `app_origin`, or a self
    /// request without the origin or the `stats_token` the drain route asks for, is the
    /// error saying what to set.
    pub fn read() -> Result<Waking, VariableError> {
        let route = WakeRoute::new(
            vars::read(&variables::WAKE)?,
            vars::read(&variables::APP_ORIGIN)?,
        )?;
        let token = vars::text(&variables::STATS_TOKEN);
        if route.needs_token() && token.is_none() {
            return Err(variables::STATS_TOKEN.missing(
                "wake is \"self\", and the drain route refuses a wake without it: set it, \
                 or choose another wake",
            ));
        }
        Ok(Waking { route, token })
    }
}

/// Sends `lane`'s wake as `waking` says. `Ok(false)` when wakes are off. A refusal (the
/// host's, or an answer other than 202) is an error saying what went wrong and what to
/// check.
pub fn send_wake(waking: &Waking, lane: Lane) -> Result<bool, String> {
    let route = &waking.route;
    let Some(url) = route.url(lane) else {
        return Ok(false);
    };
    let mut request = Request::builder();
    request.method(Method::Post).uri(&url);
    if route.needs_token() {
        let token = waking.token.as_deref().ok_or(
            "wake is \"self\" but stats_token is not set: the drain route would refuse the wake",
        )?;
        request.header("authorization", format!("Bearer {token}"));
    }
    let answer: Option<Result<Response, _>> = send_within(request.build(), WAKE_TIMEOUT);
    match answer {
        None => Err(format!("the wake to {url} had no answer within {WAKE_TIMEOUT:?}")),
        Some(Err(e)) => Err(format!(
            "the wake to {url} was not sent: {e:?} (check the component's allowed_outbound_hosts, and that the platform allows {} wakes)",
            route.as_str()
        )),
        Some(Ok(response)) if *response.status() == 202 => Ok(true),
        Some(Ok(response)) => Err(format!(
            "the wake to {url} was answered {} instead of 202: {}",
            response.status(),
            String::from_utf8_lossy(response.body()).chars().take(200).collect::<String>()
        )),
    }
}

/// Wakes `lane` unless a session serves it or a wake is on its way: what intake does once
/// an event of the lane has committed and its answer has gone. Failures are logged, never
/// returned: the cron safety net drains what a wake did not.
pub fn wake_lane(db: &Db, waking: &Waking, lane: Lane, log: &Logger) {
    if waking.route == WakeRoute::Off {
        return;
    }
    match claim_wake(db, lane) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            log.warn(
                "could not decide whether to wake the lane",
                json!({"lane": lane.as_str(), "error": e.to_string()}),
            );
            return;
        }
    }
    if let Err(error) = send_wake(waking, lane) {
        log.warn(
            "could not wake the lane; the cron safety net will drain it",
            json!({"lane": lane.as_str(), "wake": waking.route.as_str(), "error": error}),
        );
    }
}

/// One lane's drain state (`drains::LIST`).
#[derive(Debug, Clone, PartialEq)]
pub struct LaneDrain {
    pub lane: String,
    /// A session serves the lane now.
    pub draining: bool,
    pub wakes_sent: i64,
    pub sessions: i64,
}

/// Every lane's drain state, by lane (`drains::LIST`).
pub fn list(db: &Db) -> Result<Vec<LaneDrain>, DbError> {
    let rows = db.query(drains::LIST, bind!(drains::LIST {}))?;
    rows.iter()
        .map(|row| {
            Ok(LaneDrain {
                lane: row.text("lane")?,
                draining: row.boolean("draining")?,
                wakes_sent: row.int8("wakes_sent")?,
                sessions: row.int8("sessions")?,
            })
        })
        .collect()
}
