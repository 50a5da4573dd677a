//! The queue functions' row readers, on rows as the server answers them.

use spin_sdk::pg4::DbValue;

use super::*;
use crate::db::rows_of;

/// `queue::CLAIM_BATCH`'s columns, as [`claimed_row`] fills them.
const CLAIMED: [&str; 9] = [
    "id",
    "module",
    "entity_id",
    "operation",
    "inbox_event_id",
    "source_modified_at",
    "attempt_count",
    "max_attempts",
    "correlation_id",
];

fn claimed_row(module: &str, correlation_id: Option<&str>) -> Vec<DbValue> {
    vec![
        DbValue::Int64(41),
        DbValue::Str(module.into()),
        DbValue::Str(" 9000000000000000001".into()),
        DbValue::Str("delete".into()),
        DbValue::Int64(7),
        DbValue::Str("2024-05-01 10:00:00+00".into()),
        DbValue::Int32(2),
        DbValue::Int32(8),
        correlation_id.map_or(DbValue::DbNull, |c| DbValue::Str(c.into())),
    ]
}

#[test]
fn a_claimed_row_reads_as_the_event_intake_queued() {
    let rows = rows_of(
        queue::CLAIM_BATCH,
        &CLAIMED,
        vec![claimed_row("items", Some("req-1"))],
    );
    let job = claimed_job(&rows.expect_row().unwrap()).unwrap();
    assert_eq!(
        job,
        ClaimedJob {
            id: QueueId(41),
            module: Module::Items,
            entity_id: EntityId::from_stored(" 9000000000000000001".into()),
            operation: Operation::Delete,
            inbox_event_id: InboxEventId(7),
            source_modified_at: StoredVersion::from_stored("2024-05-01 10:00:00+00".into()),
            attempt_count: 2,
            max_attempts: 8,
            correlation_id: Some("req-1".into()),
        }
    );
    assert_eq!(
        job.entity_id.as_str(),
        " 9000000000000000001",
        "kept as stored"
    );
    let rows = rows_of(
        queue::CLAIM_BATCH,
        &CLAIMED,
        vec![claimed_row("items", None)],
    );
    let job = claimed_job(&rows.expect_row().unwrap()).unwrap();
    assert_eq!(job.correlation_id, None);
}

#[test]
fn a_row_that_is_no_event_names_the_claim() {
    let rows = rows_of(
        queue::CLAIM_BATCH,
        &CLAIMED,
        vec![claimed_row("journals", None)],
    );
    let error = claimed_job(&rows.expect_row().unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "queue::claim_batch: column module: unknown module \"journals\""
    );
}

#[test]
fn a_returned_row_is_retried_or_coalesced() {
    let status = |text: &str| {
        let rows = rows_of(
            queue::SCHEDULE_RETRY,
            &["status"],
            vec![vec![DbValue::Str(text.into())]],
        );
        returned(&rows.expect_row().unwrap()).map_err(|e| e.to_string())
    };
    assert_eq!(status("retry"), Ok(Returned::Retry));
    assert_eq!(status("completed"), Ok(Returned::Coalesced));
    assert_eq!(
        status("dead"),
        Err("queue::schedule_retry: column status: unexpected status \"dead\"".into())
    );
}
