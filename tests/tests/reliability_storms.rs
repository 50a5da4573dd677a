//! Storms, poison and broken lanes, through the real host and a real PostgreSQL. After each
//! scenario the reliability invariant (`tds_tests::reliability::settle`) must hold: every
//! accepted event applied, overtaken by a newer version of its entity, or dead-lettered with
//! a reason; nothing applied twice; nothing stored that no authentic sender sent; every
//! entity's ERP row at its newest version. Each scenario proves more on top:
//!
//! - `duplicate-storm`: every event of every module delivered three times at once while
//!   every lane drains: one 202 and two `200 duplicate` per event, one inbox row and one
//!   applied change each.
//! - `out-of-order-storm`: four versions of each entity (the newest of every third one a
//!   delete) delivered shuffled and concurrently while every lane drains: each entity ends
//!   at its newest version, and no change in its audit trail ever moved it back in version.
//! - `poison-flood`: records the mapper refuses (a rate or exchange rate that is not a
//!   number, dates that are not dates, Zoho's own `"string"` placeholder) and authentic
//!   records intake cannot accept (no id, a null id, a control character in the id, an
//!   unknown operation) mixed into a flood: each is dead-lettered with the reason
//!   that names its fault, everything else is applied.
//! - `broken-lane-transient`: every table of the sales lane fails each write with an I/O
//!   error (a transient SQLSTATE): the lane's circuit breaker opens, heal raises the
//!   `circuit_open` alert, and the other lanes apply what arrives during the outage; once the
//!   tables are repaired the breaker's probe closes it, the lane drains without a dead
//!   letter and heal resolves the alert.
//! - `broken-lane-permanent`: `erp_invoices` refuses every row (a `CHECK (false)`
//!   constraint, a permanent failure): each invoice is dead-lettered with the constraint's
//!   error while the rest of the lane and the other lanes apply, and the breaker stays closed
//!   (single events failing for good never count against a lane); after the repair the next
//!   version of every invoice applies.
//!
//! - `wakes-refused`: every wake refused by the host (intake wakes by a self request to an
//!   origin no component may reach, so each is denied before any connection): nothing is
//!   drained until the cron safety net runs, and then every event of every module is
//!   applied by it alone.
//!
//! Every other scenario runs with the wakes on, as deployed: intake wakes each lane as
//! events arrive, beside the drains the scenario runs itself.
//!
//! Sizes are CI-sized unless `TDS_RELIABILITY_SOAK=1`; shuffles come from a seeded
//! generator whose seed is printed (`TDS_RELIABILITY_SEED` replays it).

mod reliability_support;

use std::collections::HashMap;

use futures::future::join_all;
use rand::seq::SliceRandom;
use serde_json::{json, Value};
use tds_core::entity::{Lane, Module};
use tds_tests::wait::eventually;
use tds_tests::internal::{drain, drain_until_idle, heal, Via};
use tds_tests::reliability::{event_key, settle, EventKey, Ledger, Retry, Sender};
use tds_tests::TestApp;

use reliability_support::*;

const ZOHO_RETRY: Retry = Retry::UntilAnswered { patience: PATIENCE };

/// Records to deliver, each with its module.
type Events = Vec<(Module, Value)>;

/// `count` entities of every module, each one record at version 1.
fn one_version_each(prefix: &str, count: usize) -> Events {
    Module::ALL
        .into_iter()
        .flat_map(|module| {
            (0..count).map(move |i| {
                let id = format!("{prefix}-{}-{i}", module.as_str());
                (module, record(module, &id, version(1), 1))
            })
        })
        .collect()
}

/// Delivers each record once (concurrently, retrying like Zoho); expects every one accepted.
async fn deliver_all(sender: &Sender, ledger: &Ledger, events: &[(Module, Value)]) {
    let statuses = bounded(
        events.iter().map(|(module, record)| async move {
            let status = sender.deliver(ledger, *module, record, ZOHO_RETRY).await;
            (event_key(*module, record), status)
        }),
        CONCURRENCY,
    )
    .await;
    for (key, status) in statuses {
        assert_eq!(status, 202, "{key:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_storm_stores_and_applies_every_event_once() {
    let app = start(&[]).await;
    let db = app.db.client().await;
    quick_retries(&db).await;
    let events = one_version_each("dup", scaled(20, 200));
    let (ledger, sender) = (Ledger::new(), Sender::new(app.url(""), KEY));

    let drains = BackgroundDrains::start(&app);
    let answers = bounded(
        events.iter().map(|(module, record)| {
            let (sender, ledger) = (&sender, &ledger);
            async move {
                let copies = (0..3).map(|_| sender.deliver(ledger, *module, record, ZOHO_RETRY));
                let mut statuses = join_all(copies).await;
                statuses.sort();
                (event_key(*module, record), statuses)
            }
        }),
        CONCURRENCY / 3,
    )
    .await;
    drains.stop().await;
    drain_until_idle(&app, Via::Route(TOKEN), PATIENCE).await;

    for (key, statuses) in &answers {
        assert_eq!(
            statuses,
            &[200, 200, 202],
            "one acceptance and two duplicates: {key:?}"
        );
    }
    let tally = settle("duplicate-storm", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    let n = events.len() as u64;
    assert_eq!(
        (
            tally.events,
            tally.accepted,
            tally.applied,
            tally.overtaken,
            tally.dead_lettered
        ),
        (n, n, n, 0, 0),
        "{tally:#?}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM tds_inbox_events").await,
        n as i64
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM tds_audit_trail").await,
        n as i64
    );
}

/// One version of one entity to deliver.
struct Version {
    module: Module,
    record: Value,
    delete: bool,
}

/// `VERSIONS` versions of `count` entities of every module; the newest version of every
/// third entity is a delete.
fn versions_of_entities(count: usize) -> Vec<Version> {
    const VERSIONS: u32 = 4;
    let mut all = Vec::new();
    for module in Module::ALL {
        for i in 0..count {
            let id = format!("ooo-{}-{i}", module.as_str());
            for n in 1..=VERSIONS {
                all.push(Version {
                    module,
                    record: record(module, &id, version(n), n),
                    delete: i % 3 == 0 && n == VERSIONS,
                });
            }
        }
    }
    all
}

/// Delivers `version` as Zoho would: a POST of an upsert, a DELETE of a delete.
async fn deliver_version(
    app: &TestApp,
    sender: &Sender,
    ledger: &Ledger,
    version: &Version,
) -> u16 {
    if !version.delete {
        return sender
            .deliver(ledger, version.module, &version.record, ZOHO_RETRY)
            .await;
    }
    let key = event_key(version.module, &version.record);
    let request = app
        .client
        .delete(app.url(&route(version.module)))
        .header("content-type", "application/json")
        .header("x-webhook-key", KEY)
        .body(wrapped(version.module, &version.record).to_string());
    deliver(ledger, &key, request).await.0
}

/// Audit rows that moved an entity to an older version than its previous change.
async fn backward_changes(db: &tokio_postgres::Client) -> i64 {
    scalar(
        db,
        "SELECT count(*) FROM (SELECT source_modified_at < lag(source_modified_at) OVER
            (PARTITION BY erp_table, entity_id ORDER BY id) AS backwards FROM tds_audit_trail) t
         WHERE backwards",
    )
    .await
}

/// ERP header rows marked deleted, over every module's table.
async fn deleted_rows(db: &tokio_postgres::Client) -> i64 {
    let mut deleted = 0;
    for module in Module::ALL {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE deleted_at IS NOT NULL",
            module.spec().erp_table
        );
        deleted += scalar(db, &sql).await;
    }
    deleted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn out_of_order_storm_leaves_every_entity_at_its_newest_version() {
    let app = start(&[]).await;
    let db = app.db.client().await;
    quick_retries(&db).await;
    let mut rng = seeded("out-of-order-storm", 0x00d5_0002);
    let mut deliveries = versions_of_entities(scaled(10, 100));
    deliveries.shuffle(&mut rng);
    let deletes = deliveries.iter().filter(|v| v.delete).count() as i64;
    let (ledger, sender) = (Ledger::new(), Sender::new(app.url(""), KEY));

    let drains = BackgroundDrains::start(&app);
    let statuses = bounded(
        deliveries
            .iter()
            .map(|version| deliver_version(&app, &sender, &ledger, version)),
        CONCURRENCY,
    )
    .await;
    drains.stop().await;
    drain_until_idle(&app, Via::Route(TOKEN), PATIENCE).await;

    assert!(
        statuses.iter().all(|s| *s == 202),
        "every version is new, so every one is accepted: {statuses:?}"
    );
    let tally = settle("out-of-order-storm", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    assert_eq!(tally.events, deliveries.len() as u64, "{tally:#?}");
    assert_eq!(tally.applied + tally.overtaken, tally.events, "{tally:#?}");
    assert_eq!(tally.dead_lettered, 0, "{tally:#?}");
    assert_eq!(deleted_rows(&db).await, deletes);
    assert_eq!(
        backward_changes(&db).await,
        0,
        "a change moved an entity back in version"
    );
}

/// An event that must end in the dead-letter queue, tagged through its `reference_number`.
struct Poison {
    tag: String,
    module: Module,
    record: Value,
    key: EventKey,
    /// Sent with this `X-Webhook-Operation`.
    operation: Option<&'static str>,
    error_code: &'static str,
    /// What its dead letter's reason must say.
    reason: &'static str,
}

/// Records the mapper refuses: `(module, field, value, reason)`.
const REFUSED_BY_THE_MAPPER: [(Module, &str, &str, &str); 5] = [
    (Module::Items, "rate", "lots", "is not a decimal number"),
    (Module::Invoices, "date", "not-a-date", "is not a date"),
    (
        Module::Bills,
        "exchange_rate",
        "1,23",
        "is not a decimal number",
    ),
    (
        Module::InventoryAdjustments,
        "date",
        "yesterday",
        "is not a date",
    ),
    // Zoho's documented example holds this placeholder.
    (
        Module::SalesOrders,
        "shipment_date",
        "string",
        "is not a date",
    ),
];

/// Why intake stores an authentic record and dead-letters it at once.
#[derive(Clone, Copy)]
enum IntakeFault {
    NoId,
    NullId,
    ControlCharacterInId,
    UnknownOperation,
}

impl IntakeFault {
    const ALL: [IntakeFault; 4] = [
        IntakeFault::NoId,
        IntakeFault::NullId,
        IntakeFault::ControlCharacterInId,
        IntakeFault::UnknownOperation,
    ];

    fn module(self) -> Module {
        match self {
            IntakeFault::NoId => Module::PurchaseOrders,
            IntakeFault::NullId => Module::VendorPayments,
            IntakeFault::ControlCharacterInId => Module::PriceBooks,
            IntakeFault::UnknownOperation => Module::Contacts,
        }
    }

    /// What the dead letter's reason says.
    fn reason(self) -> &'static str {
        match self {
            IntakeFault::NoId => "is missing",
            IntakeFault::NullId => "is null",
            IntakeFault::ControlCharacterInId => "contains control characters",
            IntakeFault::UnknownOperation => "is neither an upsert nor a delete",
        }
    }

    /// Copy `i` of a record with this fault.
    fn poison(self, i: usize) -> Poison {
        let module = self.module();
        let tag = format!("invalid-{}-{i}", module.as_str());
        let id_field = module.spec().id_field;
        let mut record = record(module, &tag, version(1), 1);
        record["reference_number"] = json!(tag);
        match self {
            IntakeFault::NoId => drop(record.as_object_mut().unwrap().remove(id_field)),
            IntakeFault::NullId => record[id_field] = Value::Null,
            IntakeFault::ControlCharacterInId => record[id_field] = json!(format!("{tag}\u{7}")),
            IntakeFault::UnknownOperation => {}
        }
        // Intake stores an event without a usable id under no entity.
        let entity_id = match self {
            IntakeFault::UnknownOperation => tag.clone(),
            _ => String::new(),
        };
        Poison {
            key: EventKey::new(module, entity_id, version(1)),
            tag,
            module,
            record,
            operation: matches!(self, IntakeFault::UnknownOperation).then_some("approved"),
            error_code: "invalid_payload",
            reason: self.reason(),
        }
    }
}

fn poisons(copies: usize) -> Vec<Poison> {
    let mut all = Vec::new();
    for i in 0..copies {
        for (module, field, value, reason) in REFUSED_BY_THE_MAPPER {
            let tag = format!("poison-{}-{i}", module.as_str());
            let mut record = record(module, &tag, version(1), 1);
            record[field] = json!(value);
            record["reference_number"] = json!(tag);
            all.push(Poison {
                key: event_key(module, &record),
                tag,
                module,
                record,
                operation: None,
                error_code: "mapping_failed",
                reason,
            });
        }
        all.extend(IntakeFault::ALL.map(|fault| fault.poison(i)));
    }
    all
}

async fn deliver_poison(app: &TestApp, ledger: &Ledger, poison: &Poison) {
    let mut request = keyed_post(
        app,
        &route(poison.module),
        &wrapped(poison.module, &poison.record),
    );
    if let Some(operation) = poison.operation {
        request = request.header("x-webhook-operation", operation);
    }
    let (status, body) = deliver(ledger, &poison.key, request).await;
    assert_eq!(status, 202, "{}: {body}", poison.tag);
}

/// `tag → (error code, reason)` of every dead letter, by its event's `reference_number`.
async fn dead_letters_by_tag(db: &tokio_postgres::Client) -> HashMap<String, (String, String)> {
    db.query(
        "SELECT e.document->>'reference_number', d.error_code, d.reason
         FROM tds_dead_letters d JOIN tds_inbox_events e ON e.id = d.inbox_event_id",
        &[],
    )
    .await
    .expect("reading dead letters")
    .iter()
    .map(|row| {
        (
            row.get::<_, Option<String>>(0).unwrap_or_default(),
            (row.get(1), row.get(2)),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_in_a_flood_is_dead_lettered_and_the_rest_applied() {
    let app = start(&[]).await;
    let db = app.db.client().await;
    quick_retries(&db).await;
    let flood = one_version_each("flood", scaled(20, 200));
    let poisons = poisons(scaled(4, 40));
    let mut rng = seeded("poison-flood", 0x00d5_0003);
    let mut order: Vec<Option<usize>> = (0..poisons.len()).map(Some).collect();
    order.extend((0..flood.len()).map(|_| None));
    order.shuffle(&mut rng);
    let (ledger, sender) = (Ledger::new(), Sender::new(app.url(""), KEY));

    let drains = BackgroundDrains::start(&app);
    let mut flood_left = flood.iter();
    let sends: Vec<_> = order
        .iter()
        .map(|slot| match slot {
            Some(i) => futures::future::Either::Left(deliver_poison(&app, &ledger, &poisons[*i])),
            None => {
                let (module, record) = flood_left.next().unwrap();
                futures::future::Either::Right(async {
                    let status = sender.deliver(&ledger, *module, record, ZOHO_RETRY).await;
                    assert_eq!(status, 202, "{:?}", event_key(*module, record));
                })
            }
        })
        .collect();
    bounded(sends, CONCURRENCY).await;
    drains.stop().await;
    drain_until_idle(&app, Via::Route(TOKEN), PATIENCE).await;

    let tally = settle("poison-flood", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    assert_eq!(
        (tally.applied, tally.dead_lettered),
        (flood.len() as u64, poisons.len() as u64),
        "{tally:#?}"
    );
    let letters = dead_letters_by_tag(&db).await;
    assert_eq!(letters.len(), poisons.len(), "{letters:#?}");
    for poison in &poisons {
        let (code, reason) = letters
            .get(&poison.tag)
            .unwrap_or_else(|| panic!("{} is not dead-lettered", poison.tag));
        assert_eq!(code, poison.error_code, "{}: {reason}", poison.tag);
        assert!(
            reason.contains(poison.reason),
            "{}: {reason:?} should say {:?}",
            poison.tag,
            poison.reason
        );
    }
}

/// The sales lane's ERP header tables.
fn sales_tables() -> Vec<&'static str> {
    Lane::Sales.modules().map(|m| m.spec().erp_table).collect()
}

/// Makes every write to the sales lane's tables fail with SQLSTATE 58030 (`io_error`), as a
/// failing disk would: a transient failure.
async fn break_sales_tables(db: &tokio_postgres::Client) {
    db.batch_execute(
        "CREATE FUNCTION tds_test_disk_failure() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'could not write to %: simulated disk failure', TG_TABLE_NAME
             USING ERRCODE = '58030'; END $$",
    )
    .await
    .expect("creating the failing trigger function");
    for table in sales_tables() {
        db.batch_execute(&format!(
            "CREATE TRIGGER tds_test_disk_failure BEFORE INSERT OR UPDATE ON {table}
             FOR EACH ROW EXECUTE FUNCTION tds_test_disk_failure()"
        ))
        .await
        .unwrap_or_else(|e| panic!("breaking {table}: {e}"));
    }
}

async fn repair_sales_tables(db: &tokio_postgres::Client) {
    for table in sales_tables() {
        db.batch_execute(&format!("DROP TRIGGER tds_test_disk_failure ON {table}"))
            .await
            .unwrap_or_else(|e| panic!("repairing {table}: {e}"));
    }
}

/// The state of the breaker `lane:<lane>` (`closed` before it exists).
async fn breaker(db: &tokio_postgres::Client, lane: Lane) -> String {
    db.query_opt(
        "SELECT state FROM tds_circuit_breakers WHERE name = $1",
        &[&format!("lane:{}", lane.as_str())],
    )
    .await
    .expect("reading the breaker")
    .map_or("closed".to_string(), |row| row.get(0))
}

/// The status of the alert with `dedup_key`, newest first (`None`: never raised).
async fn alert_status(db: &tokio_postgres::Client, dedup_key: &str) -> Option<String> {
    db.query_opt(
        "SELECT status FROM tds_alerts WHERE dedup_key = $1 ORDER BY id DESC LIMIT 1",
        &[&dedup_key],
    )
    .await
    .expect("reading alerts")
    .map(|row| row.get(0))
}

/// Drains every lane but `broken` once.
async fn drain_healthy_lanes(app: &TestApp, broken: Lane) {
    for lane in Lane::ALL.into_iter().filter(|l| *l != broken) {
        drain(app, lane, TOKEN).await;
    }
}

/// ERP rows of `events` (applied at any version).
async fn erp_rows(db: &tokio_postgres::Client, events: &[(Module, Value)]) -> usize {
    let mut found = 0;
    for (module, record) in events {
        let spec = module.spec();
        let sql = format!(
            "SELECT 1 FROM {} WHERE {} = $1",
            spec.erp_table, spec.id_field
        );
        let id = event_key(*module, record).entity_id;
        found += db
            .query(&sql, &[&id])
            .await
            .expect("reading an ERP row")
            .len();
    }
    found
}

/// Splits `events` into the sales lane's and the rest.
fn by_lane(events: Events) -> (Events, Events) {
    events
        .into_iter()
        .partition(|(module, _)| module.spec().lane == Lane::Sales)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broken_lane_opens_its_breaker_while_the_other_lanes_complete() {
    let app = start(&[]).await;
    let db = app.db.client().await;
    quick_retries(&db).await;
    set_config(&db, "circuit_failure_threshold", "2").await;
    set_config(&db, "circuit_open_seconds", "2").await;
    let (ledger, sender) = (Ledger::new(), Sender::new(app.url(""), KEY));
    break_sales_tables(&db).await;

    let (sales, others) = by_lane(one_version_each("before", scaled(3, 30)));
    deliver_all(&sender, &ledger, &sales).await;
    deliver_all(&sender, &ledger, &others).await;
    let dbr = &db;
    let appr = &app;
    eventually(PATIENCE, "the sales lane's breaker opens", || async move {
        let report = drain(appr, Lane::Sales, TOKEN).await;
        (report["stopped"] == json!("circuit_open") && breaker(dbr, Lane::Sales).await == "open")
            .then_some(())
    })
    .await;
    heal(&app, TOKEN).await;
    assert_eq!(
        alert_status(&db, "circuit_open:lane:sales")
            .await
            .as_deref(),
        Some("open"),
        "heal raises the open circuit"
    );

    // During the outage the other lanes go on applying what arrives.
    let (sales_during, others_during) = by_lane(one_version_each("during", scaled(3, 30)));
    deliver_all(&sender, &ledger, &others_during).await;
    deliver_all(&sender, &ledger, &sales_during).await;
    drain_healthy_lanes(&app, Lane::Sales).await;
    drain_healthy_lanes(&app, Lane::Sales).await;
    assert_eq!(erp_rows(&db, &others).await, others.len());
    assert_eq!(erp_rows(&db, &others_during).await, others_during.len());
    assert_eq!(
        erp_rows(&db, &sales).await,
        0,
        "nothing reached the broken tables"
    );
    assert_ne!(breaker(&db, Lane::Sales).await, "closed");

    repair_sales_tables(&db).await;
    eventually(PATIENCE, "the breaker's cool-down ends", || async move {
        let due = scalar(
            dbr,
            "SELECT count(*) FROM tds_circuit_breakers WHERE name = 'lane:sales' AND next_probe_at <= now()",
        )
        .await;
        (due == 1).then_some(())
    })
    .await;
    drain_until_idle(&app, Via::Route(TOKEN), PATIENCE).await;
    assert_eq!(breaker(&db, Lane::Sales).await, "closed");
    heal(&app, TOKEN).await;
    assert_eq!(
        alert_status(&db, "circuit_open:lane:sales")
            .await
            .as_deref(),
        Some("resolved")
    );

    let tally = settle("broken-lane-transient", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    let n = (sales.len() + others.len() + sales_during.len() + others_during.len()) as u64;
    assert_eq!((tally.applied, tally.dead_lettered), (n, 0), "{tally:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_table_refusing_every_row_dead_letters_its_events_and_the_lane_goes_on() {
    let app = start(&[]).await;
    let db = app.db.client().await;
    quick_retries(&db).await;
    let (ledger, sender) = (Ledger::new(), Sender::new(app.url(""), KEY));
    db.batch_execute(
        "ALTER TABLE erp_invoices ADD CONSTRAINT tds_test_refuses_all CHECK (false) NOT VALID",
    )
    .await
    .expect("breaking erp_invoices");

    let events = one_version_each("refused", scaled(4, 40));
    let invoices: Events = events
        .iter()
        .filter(|(m, _)| *m == Module::Invoices)
        .cloned()
        .collect();
    let drains = BackgroundDrains::start(&app);
    deliver_all(&sender, &ledger, &events).await;
    drains.stop().await;
    drain_until_idle(&app, Via::Route(TOKEN), PATIENCE).await;
    assert_eq!(breaker(&db, Lane::Sales).await, "closed");
    let reasons: Vec<(String, String)> = db
        .query("SELECT module, reason FROM tds_dead_letters", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(reasons.len(), invoices.len(), "{reasons:#?}");
    for (module, reason) in &reasons {
        assert_eq!(module, "invoices");
        assert!(reason.contains("tds_test_refuses_all"), "{reason}");
    }
    assert_eq!(erp_rows(&db, &events).await, events.len() - invoices.len());

    db.batch_execute("ALTER TABLE erp_invoices DROP CONSTRAINT tds_test_refuses_all")
        .await
        .expect("repairing erp_invoices");
    let next: Events = invoices
        .iter()
        .map(|(module, old)| {
            let id = event_key(*module, old).entity_id;
            (*module, record(*module, &id, version(2), 2))
        })
        .collect();
    deliver_all(&sender, &ledger, &next).await;
    drain_until_idle(&app, Via::Route(TOKEN), PATIENCE).await;

    let tally = settle("broken-lane-permanent", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    assert_eq!(
        (tally.applied, tally.dead_lettered),
        (events.len() as u64, invoices.len() as u64),
        "{tally:#?}"
    );
    assert_eq!(erp_rows(&db, &invoices).await, invoices.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_every_wake_refused_the_cron_safety_net_applies_everything() {
    let app = start(&["wake=self".to_string(), "app_origin=http://127.0.0.1:9".to_string()]).await;
    let db = app.db.client().await;
    quick_retries(&db).await;
    let events = one_version_each("refused", scaled(10, 100));
    let (ledger, sender) = (Ledger::new(), Sender::new(app.url(""), KEY));
    deliver_all(&sender, &ledger, &events).await;

    let n = events.len() as i64;
    assert!(
        scalar(&db, "SELECT count(*) FROM tds_lane_drains WHERE wakes_sent > 0").await == 4,
        "intake tried to wake every lane"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM tds_sync_runs").await,
        0,
        "every wake was refused: no session ran"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM tds_sync_queue WHERE status = 'pending'").await,
        n,
        "every event waits"
    );

    // The safety net: each processor's cron handler, as its schedule fires.
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    let tally = settle("wakes-refused", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    let n = n as u64;
    assert_eq!(
        (tally.events, tally.accepted, tally.applied, tally.overtaken, tally.dead_lettered),
        (n, n, n, 0, 0),
        "{tally:#?}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM tds_sync_runs WHERE trigger <> 'cron'").await,
        0,
        "only the safety net drained"
    );
}
