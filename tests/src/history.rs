//! Moving the history back in time, so heal sees closed minutes and old rows without a test
//! waiting for the clock.

/// Moves every timestamp of the history tables (inbox, queue, attempt log, dead letters,
/// intake counts, runs, audit trail) back by `by` (an interval such as `'5 minutes'`), in one
/// statement per table: differences between a row's own times, such as latencies, keep.
pub async fn move_back(db: &tokio_postgres::Client, by: &str) {
    for sql in [
        "UPDATE tds_inbox_events SET received_at = received_at - $1::text::interval",
        "UPDATE tds_sync_queue SET completed_at = completed_at - $1::text::interval, created_at = created_at - $1::text::interval, updated_at = updated_at - $1::text::interval",
        "UPDATE tds_sync_log SET created_at = created_at - $1::text::interval",
        "UPDATE tds_dead_letters SET created_at = created_at - $1::text::interval",
        "UPDATE tds_intake_counters SET minute = minute - $1::text::interval",
        "UPDATE tds_intake_outcomes SET minute = minute - $1::text::interval",
        "UPDATE tds_sync_runs SET started_at = started_at - $1::text::interval, finished_at = finished_at - $1::text::interval",
        "UPDATE tds_audit_trail SET created_at = created_at - $1::text::interval",
    ] {
        db.execute(sql, &[&by])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
