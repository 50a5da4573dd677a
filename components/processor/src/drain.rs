//! One invocation: drain the lane until it is empty or `time_budget_ms` is spent; asked to
//! keep going (`Settings::keep_going`), it waits for work when the lane is empty and stops
//! claiming only when its window closes (`Settings::claim_window`).
//!
//! Each round claims a batch (committed at once, so a crash leaves expired leases for heal
//! to reclaim), then applies it in ONE transaction: per event a SAVEPOINT, the ERP write,
//! an audit row for a real change, a sync-log row for every attempt, and the
//! acknowledgement `complete` (compare-and-set on the lease owner). A failed event is
//! rolled back to its savepoint and retried with backoff (transient) or dead-lettered
//! (permanent, or attempts exhausted); its neighbours are unaffected. An acknowledgement
//! that touches no row means the lease was lost: the whole batch rolls back, the rest of
//! it is given back to the queue, and the invocation stops. One COMMIT per batch.
//!
//! # The lane's circuit breaker
//! Before each claim the lane's breaker (`lane:<lane>` in `tds_circuit_breakers`, see
//! `tds_guest::circuit`) is asked: open, nothing is claimed and the invocation stops
//! (`circuit_open`); after its cool-down one invocation is admitted as the probe. A batch
//! that failed as a whole for a transient reason (rolled back for a database failure), or
//! in which no event succeeded and at least one failed transiently (every event retried,
//! e.g. lock waits that gave up), counts as a failure of the lane; any other committed
//! batch is a success and closes the breaker; so does a probe that finds nothing to claim.
//! Per-event permanent failures (dead letters) never count. `circuit_failure_threshold`
//! consecutive failures open it for `circuit_open_seconds` (tds_config). A breaker in
//! PostgreSQL cannot count the database itself being unreachable: such a run fails before
//! it can record anything.
//!
//! # Waits
//! The batch transaction starts with `queue::LIMIT_WAITS`: a lock wait (an ERP row another
//! transaction holds) gives up after `lock_timeout_ms` (tds_config, default 5 s) with
//! SQLSTATE 55P03, a transient failure of that one event, retried with backoff; and the
//! transaction may not sit idle longer than the lease, so a guest that dies mid-batch on a
//! pooled connection (real Spin does not roll back on recycle) loses its session, and
//! with it its locks, within one lease. A batch that fails for a database reason outside
//! any one event (the connection, the commit) is rolled back and its rows are given back
//! at once rather than left for heal.
//!
//! # Keeping the lease of a long batch
//! The claim commits `lease_expires_at = now() + lease_seconds`; heal returns rows whose
//! lease has expired to the queue, compare-and-set on the owner. A batch that runs longer
//! than the lease must keep its rows, and the way to do that is a row lock, not a new
//! expiry:
//! - An update made inside the batch transaction is invisible to heal until commit, so a
//!   new `lease_expires_at` written there cannot keep heal away. Committing it from a
//!   second connection instead would be visible, but could not be renewed while this
//!   connection waits inside one statement (a lock wait is exactly when batches get slow),
//!   and it would deadlock against this guest's own transaction on any row that
//!   transaction has already touched.
//! - What does work is the lock the update takes: a queue row updated by the batch
//!   transaction stays locked until it ends. Heal lists and reclaims expired leases
//!   `FOR UPDATE SKIP LOCKED`, so it passes over rows a live batch holds, and no one else
//!   can move them. Once the transaction ends the lock is gone and the rows are either
//!   acknowledged (commit) or back in the claim's committed state (rollback), where an
//!   expired lease is fair game again.
//! - So, before each event, when less than half of the lease is left (measured from just
//!   before the claim was sent, which is no later than the server's `now()`),
//!   `queue::EXTEND_LEASE` updates the batch's rows not yet processed (compare-and-set on
//!   the owner; the expiry it writes is the statement's clock plus the lease). From then
//!   on every row of the batch is locked by this transaction: acknowledged rows by their
//!   acknowledgement, the rest by the extension, so ownership cannot change until commit
//!   and one extension per batch suffices. A row the extension does not find (or cannot
//!   lock within the lock timeout) is no longer ours: lease lost, the batch rolls back.
//! - The extension runs outside the event savepoints, because rolling back a savepoint
//!   releases the locks taken under it.
//! - Before the extension, rows are protected only by the claim's committed expiry, which
//!   lasts at least half a lease past any event start that did not extend. That holds as
//!   long as one event takes less than half a lease, which `lock_timeout_ms` bounds for
//!   lock waits; if an event does overrun and heal reclaims its rows, the acknowledgement's
//!   compare-and-set notices and the batch rolls back, so the effect stays exactly-once.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tds_core::circuit::CircuitState;
use tds_core::failure::FailureClass;
use tds_guest::circuit::{CircuitBreaker, Gate};
use tds_guest::db::{param, Db, DbError, Rows};
use tds_guest::log::Logger;
use tds_guest::random;
use tds_store::{inbox, journal, queue};

use crate::apply::{apply, Change, Effect, Failure};
use crate::settings::{Settings, Tuning, IDLE_WAIT};

/// What started the invocation.
#[derive(Clone, Copy)]
pub enum Trigger {
    Cron,
    Http,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Http => "http",
        }
    }
}

/// A claimed queue row with its inbox event.
pub struct Job {
    pub id: i64,
    pub module: String,
    pub entity_id: String,
    pub operation: String,
    pub inbox_event_id: i64,
    /// The event's source version as PostgreSQL text.
    pub version: String,
    pub attempt: i32,
    pub max_attempts: i32,
    pub correlation_id: String,
    /// `None` when the inbox event was not found.
    pub document: Option<String>,
    pub content_hash: Option<String>,
}

/// How one event ended.
#[derive(Clone, Copy)]
enum Outcome {
    Applied,
    Unchanged,
    Stale,
    Retried,
    /// Returned to the queue by merging into the entity's newer unclaimed row.
    Coalesced,
    Dead,
}

impl Outcome {
    /// The `tds_sync_log.outcome` of the attempt.
    fn log_outcome(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Stale => "stale",
            Outcome::Retried | Outcome::Coalesced => "retry",
            Outcome::Dead => "dead",
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    claimed: usize,
    applied: usize,
    unchanged: usize,
    stale: usize,
    retried: usize,
    coalesced: usize,
    dead: usize,
    batches: usize,
    /// Batches whose lease was extended.
    lease_extensions: usize,
    /// Rows of rolled-back batches given back to the queue.
    released: usize,
}

impl Counts {
    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Applied => self.applied += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Stale => self.stale += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Coalesced => self.coalesced += 1,
            Outcome::Dead => self.dead += 1,
        }
    }

    fn add(&mut self, other: Counts) {
        self.claimed += other.claimed;
        self.applied += other.applied;
        self.unchanged += other.unchanged;
        self.stale += other.stale;
        self.retried += other.retried;
        self.coalesced += other.coalesced;
        self.dead += other.dead;
        self.batches += other.batches;
        self.lease_extensions += other.lease_extensions;
        self.released += other.released;
    }

    /// Whether a committed batch counts as a failure of the lane: no event succeeded and at
    /// least one failed transiently.
    fn failed_transiently(&self) -> bool {
        self.applied + self.unchanged + self.stale == 0 && self.retried > 0
    }

    fn to_json(self) -> Value {
        json!({"claimed": self.claimed, "applied": self.applied, "unchanged": self.unchanged, "stale": self.stale,
               "retried": self.retried, "coalesced": self.coalesced, "dead": self.dead, "batches": self.batches,
               "lease_extensions": self.lease_extensions, "released": self.released})
    }
}

/// Why the invocation stopped.
#[derive(Clone, Copy)]
enum Stop {
    Empty,
    TimeBudget,
    LeaseLost,
    NothingClaimable,
    /// The lane's circuit breaker is open (or another invocation is probing).
    CircuitOpen,
}

impl Stop {
    fn as_str(self) -> &'static str {
        match self {
            Stop::Empty => "empty",
            Stop::TimeBudget => "time_budget",
            Stop::LeaseLost => "lease_lost",
            Stop::NothingClaimable => "nothing_claimable",
            Stop::CircuitOpen => "circuit_open",
        }
    }
}

/// The invocation's result, as answered on the HTTP route.
pub struct Report {
    run_id: i64,
    owner: String,
    trigger: Trigger,
    stop: Stop,
    counts: Counts,
    details: Value,
    duration_ms: f64,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({"run_id": self.run_id, "run_owner": self.owner, "trigger": self.trigger.as_str(),
               "stopped": self.stop.as_str(), "counts": self.counts.to_json(), "details": self.details,
               "duration_ms": self.duration_ms})
    }
}

/// What one batch needs besides its jobs.
struct Context<'a> {
    db: &'a Db,
    settings: &'a Settings,
    owner: &'a str,
    run_id: i64,
    tuning: Tuning,
    log: &'a Logger,
}

/// Runs one invocation and records it in `tds_sync_runs`.
pub fn run(settings: &Settings, trigger: Trigger, log: &Logger) -> Result<Report, DbError> {
    let started = Instant::now();
    let component = settings.component();
    let owner = random::lease_owner(&component);
    let log = log.for_correlation(&owner);
    let db = Db::open(&settings.database_url)
        .inspect_err(|e| log.error("cannot reach the database", json!({"error": e.message})))?;
    let tuning = Tuning::read(&db)?;
    let details = json!({
        "lane": settings.lane.as_str(),
        "claimable": settings.claimable.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "unsupported_left_in_queue": settings.unsupported.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "ignored_entity_types": settings.ignored,
        "lease_seconds": settings.lease_seconds,
        "batch_size": settings.batch_size,
        "time_budget_ms": settings.time_budget.as_millis() as u64,
        "keep_going_ms": settings.keep_going.map(|d| d.as_millis() as u64),
        "lock_timeout_ms": tuning.lock_timeout_ms,
    });
    let started_run = db.query(
        journal::START_RUN,
        &[
            param::text(&component),
            param::text(settings.lane.as_str()),
            param::text(&owner),
            param::text(trigger.as_str()),
            param::text(details.to_string()),
        ],
    )?;
    let run_id = started_run.expect_row()?.int8(0)?;
    let context = Context {
        db: &db,
        settings,
        owner: &owner,
        run_id,
        tuning,
        log: &log,
    };
    let mut counts = Counts::default();
    let result = drain(&context, started, &mut counts);
    let (status, stop, error) = match &result {
        Ok(stop) => ("completed", Some(stop.as_str()), None),
        Err(e) => ("failed", None, Some(e.message.clone())),
    };
    let finished = db.execute(
        journal::FINISH_RUN,
        &[
            param::int8(run_id),
            param::text(status),
            param::text(counts.to_json().to_string()),
            param::text(json!({"stopped": stop}).to_string()),
            param::opt_text(error.clone()),
        ],
    );
    if let Err(e) = finished {
        log.warn(
            "could not record the end of the run",
            json!({"run_id": run_id, "error": e.message}),
        );
    }
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let fields = json!({"run_id": run_id, "status": status, "stopped": stop, "counts": counts.to_json(), "error": error, "duration_ms": duration_ms});
    match &result {
        Ok(_) if counts.claimed == 0 => {}
        Ok(_) => log.info("run finished", fields),
        Err(_) => log.error("run failed", fields),
    }
    let stop = result?;
    Ok(Report {
        run_id,
        owner,
        trigger,
        stop,
        counts,
        details,
        duration_ms,
    })
}

fn drain(context: &Context<'_>, started: Instant, counts: &mut Counts) -> Result<Stop, DbError> {
    let settings = context.settings;
    if settings.claimable.is_empty() {
        return Ok(Stop::NothingClaimable);
    }
    let breaker = CircuitBreaker::new(
        context.db,
        format!("lane:{}", settings.lane),
        context.tuning.circuit,
    );
    loop {
        if started.elapsed() >= settings.claim_window() {
            return Ok(Stop::TimeBudget);
        }
        // A probe ends with a verdict either way; a closed breaker with failures counted is
        // reset by the next successful batch (an empty claim proves nothing).
        let (probing, needs_success) = match breaker.admit()? {
            Gate::Refused { retry_in_seconds } => {
                context.log.info(
                    "lane circuit open: nothing claimed",
                    json!({"breaker": breaker.name(), "retry_in_seconds": retry_in_seconds}),
                );
                return Ok(Stop::CircuitOpen);
            }
            Gate::Probe => {
                context.log.info(
                    "lane circuit half-open: probing",
                    json!({"breaker": breaker.name()}),
                );
                (true, true)
            }
            Gate::Pass { clean } => (false, !clean),
        };
        let lease = Lease::starting(settings.lease_seconds);
        let jobs = claim(context)?;
        if jobs.is_empty() {
            if probing {
                record_lane_success(context, &breaker);
            }
            if settings.waits_when_empty(started.elapsed()) {
                std::thread::sleep(IDLE_WAIT);
                continue;
            }
            return Ok(Stop::Empty);
        }
        counts.claimed += jobs.len();
        counts.batches += 1;
        let (batch, end) = apply_batch(context, &jobs, lease);
        counts.add(batch);
        match end {
            Ok(BatchEnd::Committed) if batch.failed_transiently() => {
                let error = format!(
                    "no event of a batch of {} succeeded; {} were retried",
                    jobs.len(),
                    batch.retried
                );
                if record_lane_failure(context, &breaker, &error) != CircuitState::Closed {
                    return Ok(Stop::CircuitOpen);
                }
            }
            Ok(BatchEnd::Committed) if needs_success => record_lane_success(context, &breaker),
            Ok(BatchEnd::Committed) => {}
            Ok(BatchEnd::LeaseLost) => return Ok(Stop::LeaseLost),
            Err(e) => {
                if e.class() == FailureClass::Transient {
                    record_lane_failure(context, &breaker, &e.message);
                }
                return Err(e);
            }
        }
    }
}

/// Records a failure of the lane; the breaker's state after it (closed when it could not
/// be recorded, which is logged).
fn record_lane_failure(
    context: &Context<'_>,
    breaker: &CircuitBreaker<'_>,
    error: &str,
) -> CircuitState {
    match breaker.record_failure(error) {
        Ok(state) => {
            context.log.warn(
                "lane failure counted by its circuit breaker",
                json!({"breaker": breaker.name(), "state": state.as_str(), "error": error}),
            );
            state
        }
        Err(e) => {
            context.log.warn(
                "could not record a lane failure",
                json!({"breaker": breaker.name(), "error": e.message}),
            );
            CircuitState::Closed
        }
    }
}

/// Records a success of the lane (closing its breaker); a failure to record is logged.
fn record_lane_success(context: &Context<'_>, breaker: &CircuitBreaker<'_>) {
    if let Err(e) = breaker.record_success() {
        context.log.warn(
            "could not record a lane success",
            json!({"breaker": breaker.name(), "error": e.message}),
        );
    }
}

fn claim(context: &Context<'_>) -> Result<Vec<Job>, DbError> {
    let settings = context.settings;
    let rows: Rows = context.db.query(
        queue::CLAIM_BATCH,
        &[
            param::text(settings.lane.as_str()),
            param::text_array(settings.claimable.iter().map(|m| m.as_str())),
            param::int4(settings.batch_size),
            param::text(context.owner),
            param::int4(settings.lease_seconds),
        ],
    )?;
    let mut jobs = rows
        .iter()
        .map(|r| {
            Ok(Job {
                id: r.int8(0)?,
                module: r.text(1)?,
                entity_id: r.text(2)?,
                operation: r.text(3)?,
                inbox_event_id: r.int8(4)?,
                version: r.text(5)?,
                attempt: r.int4(6)?,
                max_attempts: r.int4(7)?,
                correlation_id: r.opt_text(8)?.unwrap_or_default(),
                document: None,
                content_hash: None,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    if !jobs.is_empty() {
        read_documents(context.db, &mut jobs)?;
    }
    Ok(jobs)
}

/// Fills in the documents of claimed jobs, in a statement after the claim (see
/// `queue::CLAIM_BATCH`). A job whose event is not found keeps `None`.
fn read_documents(db: &Db, jobs: &mut [Job]) -> Result<(), DbError> {
    let ids = jobs.iter().map(|job| job.inbox_event_id);
    let rows = db.query(inbox::READ_DOCUMENTS, &[param::int8_array(ids)])?;
    for row in rows.iter() {
        let id = row.int8(0)?;
        let (document, content_hash) = (row.text(1)?, row.text(2)?);
        for job in jobs.iter_mut().filter(|job| job.inbox_event_id == id) {
            job.document = Some(document.clone());
            job.content_hash = Some(content_hash.clone());
        }
    }
    Ok(())
}

/// Why a batch stops early.
enum Abort {
    LeaseLost,
    Db(DbError),
}

impl From<DbError> for Abort {
    fn from(e: DbError) -> Abort {
        Abort::Db(e)
    }
}

impl Abort {
    /// A failed statement that touches only rows this invocation leases: a lock wait that
    /// gave up means another transaction (heal) is moving them, so the lease is lost.
    fn on_own_rows(e: DbError) -> Abort {
        if e.is_lock_not_available() {
            Abort::LeaseLost
        } else {
            Abort::Db(e)
        }
    }
}

/// How a batch ended.
enum BatchEnd {
    Committed,
    /// Rolled back; the rows still held were given back.
    LeaseLost,
}

/// The lease of one batch, as far as the guest can tell: when it runs out and whether the
/// batch transaction already holds its rows (see the module doc).
struct Lease {
    seconds: i32,
    /// Taken just before the claim is sent, so never later than the server's expiry.
    expires: Instant,
    held: bool,
}

impl Lease {
    fn starting(seconds: i32) -> Lease {
        Lease {
            seconds,
            expires: Instant::now() + Duration::from_secs(seconds.unsigned_abs().into()),
            held: false,
        }
    }

    /// Whether to extend before the next event: not yet held and less than half left.
    fn wants_extension(&self) -> bool {
        let half = Duration::from_secs(self.seconds.unsigned_abs().into()) / 2;
        !self.held && self.expires.saturating_duration_since(Instant::now()) < half
    }
}

/// Applies a batch in one transaction. Returns the batch's counts (whatever the end) and
/// how it ended; a lease lost or a database failure rolls the batch back and gives its
/// rows back to the queue.
fn apply_batch(
    context: &Context<'_>,
    jobs: &[Job],
    mut lease: Lease,
) -> (Counts, Result<BatchEnd, DbError>) {
    let db = context.db;
    let mut counts = Counts::default();
    let result = (|| {
        db.begin()?;
        let lock_timeout_ms = context.tuning.lock_timeout_ms.to_string();
        let idle_ms = (i64::from(lease.seconds) * 1000).to_string();
        db.execute(
            queue::LIMIT_WAITS,
            &[param::text(lock_timeout_ms), param::text(idle_ms)],
        )?;
        for (i, job) in jobs.iter().enumerate() {
            if lease.wants_extension() {
                extend_lease(context, &jobs[i..])?;
                lease.held = true;
                counts.lease_extensions += 1;
            }
            counts.record(process(context, job)?);
        }
        db.commit()?;
        Ok(())
    })();
    let abort = match result {
        Ok(()) => return (counts, Ok(BatchEnd::Committed)),
        Err(abort) => abort,
    };
    // Nothing of the batch is committed: give its rows back now rather than leave them to
    // heal, when the connection still works.
    let mut counts = Counts {
        lease_extensions: counts.lease_extensions,
        ..Counts::default()
    };
    let rolled_back = db.rollback();
    if rolled_back.is_ok() {
        counts.released = give_back(context, jobs);
    }
    let (end, message, error) = match (abort, rolled_back) {
        (Abort::LeaseLost, Ok(())) => (
            Ok(BatchEnd::LeaseLost),
            "lease lost: batch rolled back",
            None,
        ),
        (Abort::LeaseLost, Err(e)) | (Abort::Db(e), _) => {
            let message = e.message.clone();
            (Err(e), "batch failed and was rolled back", Some(message))
        }
    };
    context.log.warn(
        message,
        json!({"batch": jobs.len(), "first_queue_id": jobs.first().map(|j| j.id), "released": counts.released, "error": error}),
    );
    (counts, end)
}

/// Extends the lease of `remaining` (the batch's rows not yet processed), locking them
/// for the rest of the batch transaction; lease lost when one is no longer ours.
fn extend_lease(context: &Context<'_>, remaining: &[Job]) -> Result<(), Abort> {
    let extended = context
        .db
        .query(
            queue::EXTEND_LEASE,
            &[
                param::int8_array(remaining.iter().map(|job| job.id)),
                param::text(context.owner),
                param::int4(context.settings.lease_seconds),
            ],
        )
        .map_err(Abort::on_own_rows)?;
    let count = extended.iter().count();
    if count < remaining.len() {
        context.log.warn(
            "lease extension found rows no longer ours",
            json!({"remaining": remaining.len(), "extended": count}),
        );
        return Err(Abort::LeaseLost);
    }
    context.log.info(
        "lease extended",
        json!({"rows": count, "lease_seconds": context.settings.lease_seconds}),
    );
    Ok(())
}

/// Returns the rows of a rolled-back batch to the queue, due now (the claim's attempt
/// stays counted). Rows whose lease this invocation no longer holds are left alone.
/// Returns how many went back.
fn give_back(context: &Context<'_>, jobs: &[Job]) -> usize {
    let mut released = 0;
    for job in jobs {
        let result = context.db.query(
            queue::SCHEDULE_RETRY,
            &[
                param::int8(job.id),
                param::text(context.owner),
                param::int8(0),
                param::opt_text(None::<String>),
                param::text("released"),
            ],
        );
        match result {
            Ok(rows) if !rows.is_empty() => released += 1,
            Ok(_) => {}
            Err(e) => context.log.warn(
                "could not give a row back; heal will reclaim it",
                json!({"queue_id": job.id, "error": e.message}),
            ),
        }
    }
    released
}

const EVENT_SAVEPOINT: &str = "tds_event";
const RACE_SAVEPOINT: &str = "tds_race";

fn process(context: &Context<'_>, job: &Job) -> Result<Outcome, Abort> {
    let db = context.db;
    let started = Instant::now();
    let log = context.log.for_correlation(&job.correlation_id);
    db.savepoint(EVENT_SAVEPOINT)?;
    let outcome = if job.attempt > job.max_attempts {
        let message = format!(
            "claimed {} times without finishing (the invocations died or lost their leases)",
            job.attempt - 1
        );
        let failure = Failure {
            class: FailureClass::Transient,
            code: "attempts_exhausted".into(),
            message,
        };
        fail(context, job, &failure, started)?
    } else {
        let applied = apply(db, job).and_then(|effect| {
            record_success(context, job, effect, started).map_err(Failure::from)
        });
        match applied {
            Ok(outcome) => {
                let acknowledged = db
                    .execute(
                        queue::COMPLETE,
                        &[param::int8(job.id), param::text(context.owner)],
                    )
                    .map_err(Abort::on_own_rows)?;
                if acknowledged == 0 {
                    return Err(Abort::LeaseLost);
                }
                outcome
            }
            Err(failure) => {
                db.rollback_to(EVENT_SAVEPOINT)?;
                fail(context, job, &failure, started)?
            }
        }
    };
    db.release(EVENT_SAVEPOINT)?;
    let fields = json!({"queue_id": job.id, "module": job.module, "entity_id": job.entity_id, "attempt": job.attempt, "outcome": outcome.log_outcome()});
    match outcome {
        Outcome::Dead => log.warn("event dead-lettered", fields),
        Outcome::Retried | Outcome::Coalesced => log.warn("event will be retried", fields),
        _ => log.info("event processed", fields),
    }
    Ok(outcome)
}

/// Records a successful attempt: the audit row of a real change and the sync-log row.
fn record_success(
    context: &Context<'_>,
    job: &Job,
    effect: Effect,
    started: Instant,
) -> Result<Outcome, DbError> {
    let (outcome, message) = match effect {
        Effect::Changed(change) => {
            audit(context, job, &change)?;
            (
                Outcome::Applied,
                format!("{} {}", change.action, change.table.name),
            )
        }
        Effect::Unchanged => (Outcome::Unchanged, "content unchanged".to_string()),
        Effect::Stale => (
            Outcome::Stale,
            "the stored row is newer; event skipped".to_string(),
        ),
    };
    log_attempt(context, job, outcome, Some(&message), None, started)?;
    Ok(outcome)
}

/// A failed attempt: dead letter when permanent or out of attempts, else a retry after
/// backoff.
fn fail(
    context: &Context<'_>,
    job: &Job,
    failure: &Failure,
    started: Instant,
) -> Result<Outcome, Abort> {
    let db = context.db;
    let exhausted = job.attempt >= job.max_attempts;
    if failure.class == FailureClass::Permanent || exhausted {
        log_attempt(
            context,
            job,
            Outcome::Dead,
            Some(&failure.message),
            Some(&failure.code),
            started,
        )?;
        let reason = match failure.class {
            FailureClass::Permanent => failure.message.clone(),
            FailureClass::Transient => format!(
                "attempts exhausted ({} of {}): {}",
                job.attempt, job.max_attempts, failure.message
            ),
        };
        let filed = db
            .query(
                queue::DEAD_LETTER,
                &[
                    param::int8(job.id),
                    param::text(context.owner),
                    param::text(reason),
                    param::text(&failure.code),
                    param::text(failure.class.as_str()),
                ],
            )
            .map_err(Abort::on_own_rows)?;
        return if filed.is_empty() {
            Err(Abort::LeaseLost)
        } else {
            Ok(Outcome::Dead)
        };
    }
    let delay_ms = context
        .tuning
        .backoff
        .delay_ms(job.attempt.unsigned_abs(), random::jitter());
    let schedule = || -> Result<Rows, DbError> {
        log_attempt(
            context,
            job,
            Outcome::Retried,
            Some(&failure.message),
            Some(&failure.code),
            started,
        )?;
        db.query(
            queue::SCHEDULE_RETRY,
            &[
                param::int8(job.id),
                param::text(context.owner),
                param::int8(i64::try_from(delay_ms).unwrap_or(i64::MAX)),
                param::text(&failure.message),
                param::text(&failure.code),
            ],
        )
    };
    let scheduled = once_more_on_unique_violation(db, schedule)?;
    match scheduled.first() {
        None => Err(Abort::LeaseLost),
        Some(row) if row.text(0)? == "completed" => Ok(Outcome::Coalesced),
        Some(_) => Ok(Outcome::Retried),
    }
}

/// Runs `f` under a savepoint and once more if it hit a unique violation: returning a row
/// to the queue races with intake creating the entity's unclaimed row, and the second
/// run sees that row and merges into it.
fn once_more_on_unique_violation<T>(
    db: &Db,
    f: impl Fn() -> Result<T, DbError>,
) -> Result<T, DbError> {
    db.savepoint(RACE_SAVEPOINT)?;
    let result = match f() {
        Err(e) if e.is_unique_violation() => {
            db.rollback_to(RACE_SAVEPOINT)?;
            f()
        }
        other => other,
    }?;
    db.release(RACE_SAVEPOINT)?;
    Ok(result)
}

fn audit(context: &Context<'_>, job: &Job, change: &Change) -> Result<(), DbError> {
    context
        .db
        .execute(
            journal::AUDIT_CHANGE,
            &[
                param::text(change.table.name),
                param::text(&job.entity_id),
                param::text(&job.module),
                param::text(change.action),
                param::opt_text(change.before.as_deref()),
                param::text(&change.after),
                param::text_array(change.changed_fields.iter().cloned()),
                param::text(&job.version),
                param::int8(job.inbox_event_id),
                param::int8(job.id),
                param::int8(context.run_id),
                param::text(&job.correlation_id),
            ],
        )
        .map(drop)
}

fn log_attempt(
    context: &Context<'_>,
    job: &Job,
    outcome: Outcome,
    message: Option<&str>,
    error_code: Option<&str>,
    started: Instant,
) -> Result<(), DbError> {
    context
        .db
        .execute(
            journal::LOG_ATTEMPT,
            &[
                param::int8(context.run_id),
                param::int8(job.id),
                param::int8(job.inbox_event_id),
                param::text(&job.module),
                param::text(&job.entity_id),
                param::text(context.settings.lane.as_str()),
                param::text(&job.operation),
                param::int4(job.attempt),
                param::text(outcome.log_outcome()),
                param::opt_text(message),
                param::opt_text(error_code),
                param::float8(started.elapsed().as_secs_f64() * 1000.0),
                param::text(&job.correlation_id),
            ],
        )
        .map(drop)
}
