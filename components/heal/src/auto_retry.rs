//! Step 2: dead-letter auto-retry. Up to `heal_dead_letter_retry_limit` unresolved dead
//! letters with a transient cause (attempts ran out on passing failures), older than
//! `dead_letter_auto_retry_after_seconds` and retried fewer than
//! `dead_letter_auto_retry_max` times, go back on the queue, each in its own short
//! transaction: lock the letter (skipped while someone else holds it), re-queue its event
//! through `queue::ENQUEUE_OR_REPOINT` (a new pending row, or the entity's unclaimed row
//! re-pointed at it; the dead queue row itself stays dead), and resolve the letter as
//! `auto_retried` with the queue row it went to. When the entity's queued version is
//! newer, the letter is resolved as `superseded` instead: the newer version will bring the
//! ERP row up to date. Should the event die again, its new letter inherits the count.

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::ids::DeadLetterId;
use tds_guest::auto_retry::{
    self, ListCandidates, LockCandidate, MarkAutoRetried, Qualifying, Resolution,
};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;
use tds_guest::queue::heal::{self as queue, RequeueStored};

use crate::settings::HealConfig;

enum Retried {
    Requeued,
    Superseded,
    Skipped,
}

pub fn run(
    db: &Db,
    config: &HealConfig,
    max_attempts: i32,
    log: &Logger,
) -> Result<Value, DbError> {
    let (mut requeued, mut superseded, mut skipped) = (0u64, 0u64, 0u64);
    if config.auto_retry_max > 0 {
        let candidates = auto_retry::list_candidates(
            db,
            &ListCandidates {
                qualifying: qualifying(config),
                limit: config.auto_retry_limit,
            },
        )?;
        for id in candidates {
            let retried = retry_one(db, config, id, max_attempts, log).inspect_err(|_| {
                let _ = db.rollback();
            })?;
            match retried {
                Retried::Requeued => requeued += 1,
                Retried::Superseded => superseded += 1,
                Retried::Skipped => skipped += 1,
            }
        }
    }
    Ok(json!({"requeued": requeued, "superseded": superseded, "skipped": skipped}))
}

fn retry_one(
    db: &Db,
    config: &HealConfig,
    id: DeadLetterId,
    max_attempts: i32,
    log: &Logger,
) -> Result<Retried, DbError> {
    db.begin()?;
    tds_guest::queue::limit_waits(db, &config.waits())?;
    let locked = auto_retry::lock_candidate(
        db,
        &LockCandidate {
            id,
            qualifying: qualifying(config),
        },
    )?;
    let Some(letter) = locked else {
        db.rollback()?;
        return Ok(Retried::Skipped);
    };
    let module_name = &letter.module;
    let Some(module) = Module::from_name(module_name) else {
        db.rollback()?;
        log.warn(
            "dead letter of an unknown module left alone",
            json!({"dead_letter_id": id.0, "module": module_name}),
        );
        return Ok(Retried::Skipped);
    };
    let correlation_id = letter.correlation_id.clone().unwrap_or_default();
    let queue_id = queue::requeue_stored(
        db,
        &RequeueStored {
            module,
            entity_id: &letter.entity_id,
            operation: &letter.operation,
            inbox_event_id: letter.inbox_event_id,
            source_modified_at: &letter.source_modified_at,
            max_attempts: letter.max_attempts.unwrap_or(max_attempts),
            correlation_id: &correlation_id,
        },
    )?;
    let (resolution, retried) = match queue_id {
        Some(_) => (Resolution::AutoRetried, Retried::Requeued),
        None => (Resolution::Superseded, Retried::Superseded),
    };
    auto_retry::mark_auto_retried(
        db,
        &MarkAutoRetried {
            id,
            queue_id,
            resolution,
        },
    )?;
    db.commit()?;
    log.for_correlation(&correlation_id).info(
        "dead letter retried automatically",
        json!({"dead_letter_id": id.0, "module": module_name, "entity_id": letter.entity_id.as_str(),
               "queue_id": queue_id.map(|q| q.0), "resolution": resolution.as_str(),
               "auto_retry": letter.auto_retry_count + 1}),
    );
    Ok(retried)
}

fn qualifying(config: &HealConfig) -> Qualifying {
    Qualifying {
        cool_down_seconds: config.auto_retry_after_seconds,
        max_retries: config.auto_retry_max,
    }
}
