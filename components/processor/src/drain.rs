//! One invocation: drain the lane until it is empty or `time_budget_ms` is spent.
//!
//! Each round claims a batch (committed at once, so a crash leaves expired leases for heal
//! to reclaim), then applies it in ONE transaction: per event a SAVEPOINT, the ERP write,
//! an audit row for a real change, a sync-log row for every attempt, and the
//! acknowledgement `complete` (compare-and-set on the lease owner). A failed event is
//! rolled back to its savepoint and retried with backoff (transient) or dead-lettered
//! (permanent, or attempts exhausted); its neighbours are unaffected. An acknowledgement
//! that touches no row means the lease was lost: the whole batch rolls back, the rest of
//! it is given back to the queue, and the invocation stops. One COMMIT per batch.

use std::time::Instant;

use serde_json::{json, Value};
use tds_core::backoff::Backoff;
use tds_core::failure::FailureClass;
use tds_guest::db::{param, Db, DbError, Rows};
use tds_guest::log::Logger;
use tds_guest::random;
use tds_store::{config, journal, queue};

use crate::apply::{apply, Change, Effect, Failure};
use crate::settings::Settings;

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
    /// NULL when the inbox event is gone.
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
    }

    fn to_json(self) -> Value {
        json!({"claimed": self.claimed, "applied": self.applied, "unchanged": self.unchanged, "stale": self.stale,
               "retried": self.retried, "coalesced": self.coalesced, "dead": self.dead, "batches": self.batches})
    }
}

/// Why the invocation stopped.
#[derive(Clone, Copy)]
enum Stop {
    Empty,
    TimeBudget,
    LeaseLost,
    NothingClaimable,
}

impl Stop {
    fn as_str(self) -> &'static str {
        match self {
            Stop::Empty => "empty",
            Stop::TimeBudget => "time_budget",
            Stop::LeaseLost => "lease_lost",
            Stop::NothingClaimable => "nothing_claimable",
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
    backoff: Backoff,
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
    let backoff = read_backoff(&db)?;
    let details = json!({
        "lane": settings.lane.as_str(),
        "claimable": settings.claimable.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "unsupported_left_in_queue": settings.unsupported.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "ignored_entity_types": settings.ignored,
        "lease_seconds": settings.lease_seconds,
        "batch_size": settings.batch_size,
        "time_budget_ms": settings.time_budget.as_millis() as u64,
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
        backoff,
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

/// Backoff from `tds_config` (`backoff_base_ms`, `backoff_cap_ms`), defaults where unset.
fn read_backoff(db: &Db) -> Result<Backoff, DbError> {
    let rows = db.query(
        config::READ_VALUES,
        &[param::text_array(["backoff_base_ms", "backoff_cap_ms"])],
    )?;
    let mut backoff = Backoff::default();
    for row in rows.iter() {
        let value = row.text(1)?.parse::<u64>().ok();
        match (row.text(0)?.as_str(), value) {
            ("backoff_base_ms", Some(ms)) => backoff.base_ms = ms,
            ("backoff_cap_ms", Some(ms)) => backoff.cap_ms = ms,
            _ => {}
        }
    }
    Ok(backoff)
}

fn drain(context: &Context<'_>, started: Instant, counts: &mut Counts) -> Result<Stop, DbError> {
    let settings = context.settings;
    if settings.claimable.is_empty() {
        return Ok(Stop::NothingClaimable);
    }
    loop {
        if started.elapsed() >= settings.time_budget {
            return Ok(Stop::TimeBudget);
        }
        let jobs = claim(context)?;
        if jobs.is_empty() {
            return Ok(Stop::Empty);
        }
        counts.claimed += jobs.len();
        counts.batches += 1;
        match apply_batch(context, &jobs)? {
            Some(batch) => counts.add(batch),
            None => return Ok(Stop::LeaseLost),
        }
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
    rows.iter()
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
                document: r.opt_text(9)?,
                content_hash: r.opt_text(10)?,
            })
        })
        .collect()
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

/// Applies a batch in one transaction; `None` when a lease was lost (rolled back).
fn apply_batch(context: &Context<'_>, jobs: &[Job]) -> Result<Option<Counts>, DbError> {
    let db = context.db;
    let mut counts = Counts::default();
    db.begin()?;
    for job in jobs {
        match process(context, job) {
            Ok(outcome) => counts.record(outcome),
            Err(Abort::LeaseLost) => {
                db.rollback()?;
                context.log.warn(
                    "lease lost: batch rolled back",
                    json!({"queue_id": job.id, "batch": jobs.len()}),
                );
                give_back(context, jobs);
                return Ok(None);
            }
            Err(Abort::Db(e)) => {
                // The failure already ends the run; a rollback failing as well adds nothing.
                let _ = db.rollback();
                return Err(e);
            }
        }
    }
    db.commit()?;
    Ok(Some(counts))
}

/// Returns the rows of a rolled-back batch to the queue, due now (the claim's attempt
/// stays counted). Rows whose lease this invocation no longer holds are left alone.
fn give_back(context: &Context<'_>, jobs: &[Job]) {
    for job in jobs {
        let released = context.db.query(
            queue::SCHEDULE_RETRY,
            &[
                param::int8(job.id),
                param::text(context.owner),
                param::int8(0),
                param::opt_text(None::<String>),
                param::text("released"),
            ],
        );
        if let Err(e) = released {
            context.log.warn(
                "could not give a row back; heal will reclaim it",
                json!({"queue_id": job.id, "error": e.message}),
            );
        }
    }
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
                let acknowledged = db.execute(
                    queue::COMPLETE,
                    &[param::int8(job.id), param::text(context.owner)],
                )?;
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
        let filed = db.query(
            queue::DEAD_LETTER,
            &[
                param::int8(job.id),
                param::text(context.owner),
                param::text(reason),
                param::text(&failure.code),
                param::text(failure.class.as_str()),
            ],
        )?;
        return if filed.is_empty() {
            Err(Abort::LeaseLost)
        } else {
            Ok(Outcome::Dead)
        };
    }
    let delay_ms = context
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
