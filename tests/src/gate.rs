//! A gate that holds one statement of the application at an exact point, for the tests that
//! reproduce an interleaving step by step (`processor_claim_race`, `processor_wake_race`).
//!
//! The application connects as a role without superuser rights, so row security applies to
//! it; a policy on the gated table calls a function that, only inside a statement whose text
//! holds every marker, waits for an advisory lock the test holds (shared, so several such
//! statements may wait at once). The test takes the lock, lets the statement reach the gate,
//! does what must happen meanwhile, then releases the lock.

use crate::{cluster, TestDatabase};

/// Installs the gate on `table` in `db`, for statements containing every one of `markers`,
/// waiting on advisory lock `lock`; returns a URL of `db` for the gated role.
pub async fn gated(db: &TestDatabase, table: &str, markers: &[&str], lock: i64) -> String {
    let admin = db.client().await;
    let role = format!("gated_{}", db.name);
    let condition = markers
        .iter()
        .map(|marker| format!("position('{}' IN current_query()) > 0", marker.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" AND ");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'gated';
             GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role};
             GRANT USAGE, CREATE ON SCHEMA public TO {role};
             CREATE FUNCTION tds_test_gate() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
             BEGIN
                 IF {condition} THEN
                     PERFORM pg_advisory_lock_shared({lock});
                     PERFORM pg_advisory_unlock_shared({lock});
                 END IF;
                 RETURN true;
             END $$;
             CREATE POLICY tds_test_gate ON {table} USING (tds_test_gate()) WITH CHECK (true);
             ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;"
        ))
        .await
        .unwrap_or_else(|e| panic!("installing the gate on {table}: {e}"));
    let host = cluster().host_port();
    format!("postgres://{role}:gated@{host}/{}", db.name)
}
