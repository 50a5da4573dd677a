//! Step 6: retention, in small batches. For each table, up to `heal_retention_max_batches`
//! statements deleting at most `heal_retention_batch_size` rows each (every statement its
//! own transaction), stopping at the first short batch. Only what is old and finished:
//!
//! | table | kept | condition |
//! |---|---|---|
//! | `tds_inbox_events` | `retention_inbox_days` (7) | and nothing unfinished points to it: no pending, processing or retry queue row, no unresolved dead letter |
//! | `tds_sync_queue` | `retention_completed_queue_days` (7) | completed rows only |
//! | `tds_sync_log`, `tds_audit_trail`, `tds_sync_runs` | `retention_log_days` (90) | |
//! | `tds_metrics`, `tds_intake_counters` | `retention_metrics_days` (30) | |

use serde_json::{json, Map, Value};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;
use tds_guest::retention::{self, PurgeBatch};

use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    let r = config.retention;
    type Purge = fn(&Db, &PurgeBatch) -> Result<u64, DbError>;
    let tables: [(&str, Purge, i32); 7] = [
        ("inbox_events", retention::purge_inbox, r.inbox_days),
        (
            "completed_queue_rows",
            retention::purge_completed_queue_rows,
            r.completed_queue_days,
        ),
        ("sync_log", retention::purge_sync_log, r.log_days),
        ("audit_trail", retention::purge_audit_trail, r.log_days),
        ("sync_runs", retention::purge_runs, r.log_days),
        ("metrics", retention::purge_metrics, r.metrics_days),
        (
            "intake_counters",
            retention::purge_intake_counters,
            r.metrics_days,
        ),
    ];
    let mut counts = Map::new();
    for (table, purge, days) in tables {
        let mut deleted = 0u64;
        for _ in 0..r.max_batches {
            let batch = purge(
                db,
                &PurgeBatch {
                    older_than_days: days,
                    limit: r.batch_size,
                },
            )?;
            deleted += batch;
            if batch < u64::from(r.batch_size.unsigned_abs()) {
                break;
            }
        }
        if deleted > 0 {
            log.info(
                "retention deleted old rows",
                json!({"table": table, "deleted": deleted, "older_than_days": days}),
            );
        }
        counts.insert(table.to_string(), json!(deleted));
    }
    Ok(Value::Object(counts))
}
