//! Row locks a test holds on its own connection, to make the processor wait (and, with a
//! short `lock_timeout_ms`, give up: `55P03`) exactly where the test wants it to.

use std::time::Duration;

use crate::wait::eventually;
use crate::TestDatabase;

/// An open transaction of the test's own holding `FOR UPDATE` on one ERP row. The lock
/// lasts until [`RowLock::release`] (or until the value is dropped, which closes the
/// connection).
pub struct RowLock {
    client: tokio_postgres::Client,
    pid: i32,
}

impl RowLock {
    /// Locks the `erp_items` row of item `id`, which must exist (the test fails otherwise).
    pub async fn on_item(db: &TestDatabase, id: &str) -> RowLock {
        let client = db.client().await;
        client.batch_execute("BEGIN").await.unwrap();
        let locked = client
            .execute(
                "SELECT 1 FROM erp_items WHERE item_id = $1 FOR UPDATE",
                &[&id],
            )
            .await
            .unwrap();
        assert_eq!(locked, 1, "item {id} exists");
        let pid = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        RowLock { client, pid }
    }

    /// Waits until another session waits for this lock (seen from `db`, another
    /// connection); panics after `patience`.
    pub async fn wait_until_blocking(&self, db: &tokio_postgres::Client, patience: Duration) {
        let pid = self.pid;
        eventually(patience, "a session waits for the test's row lock", || async move {
            let waiting: i64 = db
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE $1::int4 = ANY(pg_blocking_pids(pid))",
                    &[&pid],
                )
                .await
                .unwrap()
                .get(0);
            (waiting > 0).then_some(())
        })
        .await;
    }

    /// Rolls the transaction back, releasing the lock.
    pub async fn release(self) {
        self.client.batch_execute("ROLLBACK").await.unwrap();
    }
}
