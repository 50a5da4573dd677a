//! Abandoned runs: a run whose invocation died with its host (SIGKILL of `tds up` during a
//! processor or heal run) stays `running` in `tds_sync_runs`; heal closes it as `failed`,
//! with `finished_at` and an error saying it was abandoned, once it has been running longer
//! than `abandoned_run_seconds` (default 900), at most `heal_abandoned_run_limit` per run.
//! Recent running runs and finished runs are left alone. Rows are inserted with SQL, their
//! start moved back to make them old.

mod heal_support;

use serde_json::json;
use tds_tests::internal::heal;

use heal_support::*;

/// Inserts a run of `component` started `age` ago (an SQL interval) with `status`; its id.
async fn insert_run(db: &tokio_postgres::Client, component: &str, age: &str, status: &str) -> i64 {
    let finished = if status == "running" { "NULL" } else { "now()" };
    let sql = format!(
        "INSERT INTO tds_sync_runs (component, lane, run_owner, trigger, status, counts, started_at, finished_at)
         VALUES ($1, NULL, $1 || ':' || gen_random_uuid()::text, 'cron', $2, '{{\"applied\": 3}}',
             now() - interval '{age}', {finished})
         RETURNING id"
    );
    db.query_one(sql.as_str(), &[&component, &status])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

async fn run_row(db: &tokio_postgres::Client, id: i64) -> (String, bool, Option<String>, String) {
    let row = db
        .query_one(
            "SELECT status, finished_at IS NOT NULL, error, counts::text FROM tds_sync_runs WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

#[tokio::test(flavor = "multi_thread")]
async fn heal_closes_runs_abandoned_by_a_killed_host() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    let killed_processor = insert_run(&db, "processor-catalog", "2 hours", "running").await;
    let killed_heal = insert_run(&db, "heal", "16 minutes", "running").await;
    let recent = insert_run(&db, "processor-sales", "10 minutes", "running").await;
    let finished = insert_run(&db, "processor-catalog", "3 hours", "completed").await;

    // Default age: 900 s.
    let healed = heal(&app, TOKEN).await;
    assert_eq!(
        healed["counts"]["abandoned_runs"],
        json!({"closed": 2}),
        "{healed}"
    );
    for (id, at_least) in [(killed_processor, 7200), (killed_heal, 960)] {
        let (status, has_finished_at, error, counts) = run_row(&db, id).await;
        assert_eq!(status, "failed", "run {id}");
        assert!(has_finished_at, "run {id} has finished_at");
        let error = error.expect("an abandoned run says why");
        assert!(
            error.starts_with("abandoned: still running after "),
            "{error}"
        );
        let seconds: i64 = error["abandoned: still running after ".len()..]
            .split_once(" s;")
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("the age in {error:?}"));
        assert!(
            (at_least..at_least + 120).contains(&seconds),
            "{seconds} s in {error:?}"
        );
        assert!(error.contains("host was stopped or killed"), "{error}");
        assert_eq!(counts, r#"{"applied": 3}"#, "counts stay as they were");
    }
    let (status, has_finished_at, error, _) = run_row(&db, recent).await;
    assert_eq!(
        (status.as_str(), has_finished_at, error),
        ("running", false, None),
        "a run younger than abandoned_run_seconds is left alone"
    );
    let (status, _, error, _) = run_row(&db, finished).await;
    assert_eq!((status.as_str(), error), ("completed", None));
    // This heal run finished itself; nothing is left running but the recent run.
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM tds_sync_runs WHERE status = 'running'"
        )
        .await,
        1
    );

    // Nothing more to close: the recent run is still younger than 900 s.
    assert_eq!(
        heal(&app, TOKEN).await["counts"]["abandoned_runs"],
        json!({"closed": 0})
    );

    // A shorter age catches it; the limit bounds each run.
    set_config(&db, "abandoned_run_seconds", "300").await;
    set_config(&db, "heal_abandoned_run_limit", "2").await;
    let more = [
        insert_run(&db, "reconcile", "1 day", "running").await,
        insert_run(&db, "processor-purchases", "1 hour", "running").await,
    ];
    let first = heal(&app, TOKEN).await;
    assert_eq!(
        first["counts"]["abandoned_runs"],
        json!({"closed": 2}),
        "{first}"
    );
    assert_eq!(run_row(&db, more[0]).await.0, "failed", "oldest first");
    assert_eq!(run_row(&db, more[1]).await.0, "failed", "oldest first");
    assert_eq!(run_row(&db, recent).await.0, "running", "beyond the limit");
    let second = heal(&app, TOKEN).await;
    assert_eq!(
        second["counts"]["abandoned_runs"],
        json!({"closed": 1}),
        "{second}"
    );
    let (status, has_finished_at, error, _) = run_row(&db, recent).await;
    assert_eq!((status.as_str(), has_finished_at), ("failed", true));
    assert!(
        error.is_some_and(|e| e.starts_with("abandoned: still running after ")),
        "the recent run, now older than 300 s"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM tds_sync_runs WHERE status = 'running'"
        )
        .await,
        0
    );
}
