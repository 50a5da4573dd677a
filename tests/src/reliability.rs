//! The reliability suite's invariant, checked after every scenario.
//!
//! A scenario writes down in a [`Ledger`] every authentic event it sends and every one
//! intake accepted (a 2xx answer); forged requests are never written down. Once the
//! scenario has let the processors drain, [`settle`] reads the database and sorts every
//! stored event into exactly one outcome:
//!
//! - **applied**: a processor applied it (one `applied` row in `tds_sync_log`);
//! - **overtaken**: it had no effect to have because the entity already held it or a newer
//!   version (`superseded` at intake, `stale` or `unchanged` at the processor), or a newer
//!   version of the entity took its place in the queue before it was applied (coalescing:
//!   it is not its entity's newest stored version);
//! - **dead-lettered**: it sits in `tds_dead_letters` with a reason, and the cause is in the
//!   event itself: intake found it invalid, the mapper refused a value, PostgreSQL refused
//!   the row (a data exception or a constraint, SQLSTATE classes 22 and 23), or its attempts
//!   ran out on a fault the scenario injected and declared ([`Ledger::expect_injected_faults`]).
//!   Any other dead letter — the inbox event not found, attempts exhausted by crashes or
//!   lost leases nobody injected, any cause of TDS's own bookkeeping — explains nothing: it
//!   is counted as `dead_by_tds` and breaks the invariant like a lost event;
//!
//! and checks, per entity, that the ERP row equals the newest stored version (same
//! `source_modified_at` and `content_hash`, deleted exactly when that version is a delete)
//! unless that version is dead-lettered. The [`Tally`] then holds what must be zero:
//! accepted events that were not stored (`lost`), dead letters TDS caused (`dead_by_tds`),
//! events applied more than once
//! (`applied_twice`: two `applied` log rows or two audit rows for one inbox event), stored
//! events nobody authentic sent (`unauthenticated_stored`), events in no outcome and
//! entities whose ERP row is not their newest version (`unsettled`), and queue rows still
//! waiting (`in_flight`).
//!
//! [`Tally::record`] writes the scenario's row of RELIABILITY.md's table to
//! `target/reliability/<scenario>.md`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tds_core::entity::Module;
use tokio_postgres::Client;

use crate::repo_root;

/// One version of one entity, as the client knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey {
    pub module: Module,
    pub entity_id: String,
    /// The record's `last_modified_time`; `None` when it carried none (intake then versions
    /// it by arrival, so any stored version of the entity matches).
    pub version: Option<DateTime<Utc>>,
}

impl EventKey {
    pub fn new(module: Module, entity_id: impl Into<String>, version: DateTime<Utc>) -> Self {
        Self {
            module,
            entity_id: entity_id.into(),
            version: Some(version),
        }
    }

    /// A key for an entity whose record carries no version of its own.
    pub fn unversioned(module: Module, entity_id: impl Into<String>) -> Self {
        Self {
            module,
            entity_id: entity_id.into(),
            version: None,
        }
    }
}

/// What a scenario sent and what intake answered, from the client's side. Shared by
/// concurrent senders (`&Ledger` is enough).
#[derive(Debug, Default)]
pub struct Ledger {
    inner: Mutex<LedgerInner>,
}

#[derive(Debug, Default)]
struct LedgerInner {
    deliveries: u64,
    events: HashSet<EventKey>,
    accepted: HashSet<EventKey>,
    injected_faults: bool,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// One delivery of an authentic event is about to be sent.
    pub fn sent(&self, key: &EventKey) {
        let mut inner = self.inner.lock().unwrap();
        inner.deliveries += 1;
        inner.events.insert(key.clone());
    }

    /// Intake answered a delivery of `key` with `status`; a 2xx means it promised the
    /// event is stored.
    pub fn answered(&self, key: &EventKey, status: u16) {
        if (200..300).contains(&status) {
            self.inner.lock().unwrap().accepted.insert(key.clone());
        }
    }

    /// The scenario injects passing faults (a lane whose tables fail, the database stopped)
    /// that may exhaust an event's attempts: a dead letter for exhausted attempts or a
    /// transient cause is then the fault's doing, not TDS's.
    pub fn expect_injected_faults(&self) {
        self.inner.lock().unwrap().injected_faults = true;
    }

    /// Deliveries sent so far.
    pub fn deliveries(&self) -> u64 {
        self.inner.lock().unwrap().deliveries
    }

    /// Distinct events intake has accepted so far.
    pub fn accepted(&self) -> usize {
        self.inner.lock().unwrap().accepted.len()
    }
}

/// The counts of one scenario, and the violations of the invariant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub scenario: String,
    /// HTTP requests sent, authentic or not (set by the scenario; at least the ledger's
    /// deliveries).
    pub requests: u64,
    /// Deliveries of authentic events.
    pub deliveries: u64,
    /// Distinct authentic events sent.
    pub events: u64,
    /// Distinct events intake accepted with a 2xx.
    pub accepted: u64,
    /// Distinct authentic events stored (accepted, or stored before an answer was lost).
    pub stored: u64,
    pub applied: u64,
    pub overtaken: u64,
    pub dead_lettered: u64,
    pub lost: u64,
    /// Dead letters whose cause is not in the event (see the module doc).
    pub dead_by_tds: u64,
    pub applied_twice: u64,
    pub unauthenticated_stored: u64,
    pub in_flight: u64,
    /// What broke the invariant, one line each (empty when it holds).
    pub unsettled: Vec<String>,
}

impl Tally {
    /// Panics with every violation when the invariant does not hold.
    pub fn assert_holds(&self) {
        let mut problems = self.unsettled.clone();
        for (what, count) in [
            ("accepted but not stored (lost)", self.lost),
            ("dead-lettered by TDS's own doing", self.dead_by_tds),
            ("applied twice", self.applied_twice),
            ("stored without an authentic sender", self.unauthenticated_stored),
            ("queue rows still waiting", self.in_flight),
        ] {
            if count > 0 {
                problems.push(format!("{count} {what}"));
            }
        }
        assert!(
            problems.is_empty(),
            "scenario {}: the invariant does not hold:\n  {}\n{self:#?}",
            self.scenario,
            problems.join("\n  ")
        );
    }

    /// RELIABILITY.md's table row for this scenario.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.scenario,
            self.requests,
            self.events,
            self.accepted,
            self.applied,
            self.overtaken,
            self.dead_lettered,
            self.lost,
            self.dead_by_tds,
            self.applied_twice,
            self.unauthenticated_stored,
        )
    }

    /// Prints the row and writes it to `target/reliability/<scenario>.md`.
    pub fn record(&self) {
        let folder = repo_root().join("target").join("reliability");
        std::fs::create_dir_all(&folder).expect("creating target/reliability");
        let mut text = String::new();
        writeln!(text, "{}", self.row()).unwrap();
        std::fs::write(folder.join(format!("{}.md", self.scenario)), text)
            .expect("writing the scenario's row");
        eprintln!("reliability: {}", self.row());
    }
}

/// A stored inbox event.
struct Stored {
    id: i64,
    key: EventKey,
    status: String,
    operation: String,
    content_hash: String,
}

/// Checks the invariant on `db` against what `ledger` says was sent and accepted. Call it
/// once the queue has drained.
pub async fn settle(scenario: &str, db: &Client, ledger: &Ledger) -> Tally {
    let (deliveries, events, accepted, injected_faults) = {
        let inner = ledger.inner.lock().unwrap();
        (
            inner.deliveries,
            inner.events.clone(),
            inner.accepted.clone(),
            inner.injected_faults,
        )
    };
    let stored = stored_events(db).await;
    let mut tally = Tally {
        scenario: scenario.to_string(),
        requests: deliveries,
        deliveries,
        events: events.len() as u64,
        accepted: accepted.len() as u64,
        ..Tally::default()
    };

    let unversioned: HashSet<(Module, &str)> = events
        .iter()
        .filter(|k| k.version.is_none())
        .map(|k| (k.module, k.entity_id.as_str()))
        .collect();
    let authentic = |key: &EventKey| {
        events.contains(key) || unversioned.contains(&(key.module, key.entity_id.as_str()))
    };
    let stored_keys: HashSet<&EventKey> = stored.iter().map(|s| &s.key).collect();
    let stored_entities: HashSet<(Module, &str)> = stored
        .iter()
        .map(|s| (s.key.module, s.key.entity_id.as_str()))
        .collect();
    for key in &accepted {
        let found = match key.version {
            Some(_) => stored_keys.contains(key),
            None => stored_entities.contains(&(key.module, key.entity_id.as_str())),
        };
        if !found {
            tally.lost += 1;
            tally.unsettled.push(format!("accepted, not stored: {key:?}"));
        }
    }

    let applied_log = counts_by_event(
        db,
        "SELECT inbox_event_id, count(*) FROM tds_sync_log WHERE outcome = 'applied' GROUP BY 1",
    )
    .await;
    let audited = counts_by_event(
        db,
        "SELECT inbox_event_id, count(*) FROM tds_audit_trail GROUP BY 1",
    )
    .await;
    let no_effect = counts_by_event(
        db,
        "SELECT inbox_event_id, count(*) FROM tds_sync_log WHERE outcome IN ('stale', 'unchanged') GROUP BY 1",
    )
    .await;
    let dead = dead_letters(db).await;
    tally.applied_twice = applied_log
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .chain(audited.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id))
        .collect::<HashSet<i64>>()
        .len() as u64;

    let newest = newest_by_entity(&stored);
    let coalesced = |event: &Stored| {
        newest
            .get(&(event.key.module, event.key.entity_id.as_str()))
            .is_some_and(|n| n.id != event.id)
    };
    for event in &stored {
        if !authentic(&event.key) {
            tally.unauthenticated_stored += 1;
            tally
                .unsettled
                .push(format!("stored without an authentic sender: {:?}", event.key));
            continue;
        }
        tally.stored += 1;
        if let Some(letter) = dead.get(&event.id) {
            if letter.reason.trim().is_empty() {
                tally
                    .unsettled
                    .push(format!("dead letter without a reason: {:?}", event.key));
            }
            if !letter.caused_by_event(injected_faults) {
                tally.dead_by_tds += 1;
                tally.unsettled.push(format!(
                    "event {} ({:?}) dead-lettered by TDS's own doing: {} ({}, {})",
                    event.id, event.key, letter.reason, letter.error_class, letter.error_code
                ));
            }
            tally.dead_lettered += 1;
        } else if applied_log.contains_key(&event.id) {
            tally.applied += 1;
        } else if event.status == "superseded"
            || no_effect.contains_key(&event.id)
            || coalesced(event)
        {
            tally.overtaken += 1;
        } else {
            tally.unsettled.push(format!(
                "event {} ({:?}, {}) is neither applied, overtaken nor dead-lettered",
                event.id, event.key, event.status
            ));
        }
    }

    check_erp_rows(db, &newest, &dead, &mut tally).await;
    tally.in_flight = db
        .query_one(
            "SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry', 'processing')",
            &[],
        )
        .await
        .expect("counting waiting queue rows")
        .get::<_, i64>(0) as u64;
    tally
}

async fn stored_events(db: &Client) -> Vec<Stored> {
    db.query(
        "SELECT id, module, coalesce(entity_id, ''), source_modified_at, version_source, status, \
         operation, content_hash FROM tds_inbox_events ORDER BY id",
        &[],
    )
    .await
    .expect("reading tds_inbox_events")
    .iter()
    .map(|row| {
        let module: String = row.get(1);
        let module = Module::from_name(&module)
            .unwrap_or_else(|| panic!("an inbox row of unknown module {module}"));
        let version_source: String = row.get(4);
        Stored {
            id: row.get(0),
            key: EventKey {
                module,
                entity_id: row.get(2),
                version: (version_source != "received_at").then(|| row.get(3)),
            },
            status: row.get(5),
            operation: row.get(6),
            content_hash: row.get(7),
        }
    })
    .collect()
}

async fn counts_by_event(db: &Client, sql: &str) -> HashMap<i64, i64> {
    db.query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// A dead letter, as far as the invariant judges it.
struct DeadLetter {
    reason: String,
    error_class: String,
    error_code: String,
}

impl DeadLetter {
    /// Whether the cause lies in the event itself (see the module doc); with
    /// `injected_faults`, attempts exhausted on passing failures count as the faults' doing.
    fn caused_by_event(&self, injected_faults: bool) -> bool {
        let code = self.error_code.as_str();
        match self.error_class.as_str() {
            "invalid" => true,
            "permanent" => {
                matches!(code, "mapping_failed" | "invalid_document")
                    || code.starts_with("22")
                    || code.starts_with("23")
            }
            "transient" => injected_faults && code != "inbox_event_missing",
            _ => false,
        }
    }
}

/// The dead letters by inbox event (the latest letter of each event).
async fn dead_letters(db: &Client) -> HashMap<i64, DeadLetter> {
    db.query(
        "SELECT DISTINCT ON (inbox_event_id) inbox_event_id, reason, error_class, error_code \
         FROM tds_dead_letters ORDER BY inbox_event_id, id DESC",
        &[],
    )
    .await
    .expect("reading tds_dead_letters")
    .iter()
    .map(|row| {
        let letter = DeadLetter {
            reason: row.get(1),
            error_class: row.get(2),
            error_code: row.get::<_, Option<String>>(3).unwrap_or_default(),
        };
        (row.get(0), letter)
    })
    .collect()
}

/// Per entity, its newest stored version (by version, then arrival); invalid events,
/// dead-lettered at intake, are no version.
fn newest_by_entity(stored: &[Stored]) -> HashMap<(Module, &str), &Stored> {
    let mut newest: HashMap<(Module, &str), &Stored> = HashMap::new();
    for event in stored.iter().filter(|e| e.status != "invalid") {
        let slot = newest
            .entry((event.key.module, event.key.entity_id.as_str()))
            .or_insert(event);
        if (event.key.version, event.id) > (slot.key.version, slot.id) {
            *slot = event;
        }
    }
    newest
}

/// Per entity: the ERP row equals the newest stored version unless that one is dead.
async fn check_erp_rows(
    db: &Client,
    newest: &HashMap<(Module, &str), &Stored>,
    dead: &HashMap<i64, DeadLetter>,
    tally: &mut Tally,
) {
    for (&(module, entity_id), event) in newest {
        if dead.contains_key(&event.id) {
            continue;
        }
        let spec = module.spec();
        let sql = format!(
            "SELECT source_modified_at, content_hash, deleted_at IS NOT NULL FROM {} WHERE {} = $1",
            spec.erp_table, spec.id_field
        );
        let row = db
            .query_opt(&sql, &[&entity_id])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let Some(row) = row else {
            tally
                .unsettled
                .push(format!("{:?}: no ERP row in {}", event.key, spec.erp_table));
            continue;
        };
        let at: DateTime<Utc> = row.get(0);
        let hash: String = row.get(1);
        let deleted: bool = row.get(2);
        let version_matches = event.key.version.is_none_or(|v| v == at);
        if !version_matches || hash != event.content_hash || deleted != (event.operation == "delete") {
            tally.unsettled.push(format!(
                "{:?}: ERP row holds version {at} (hash {hash}, deleted {deleted}), not the newest \
                 stored event {} ({}, hash {})",
                event.key, event.id, event.operation, event.content_hash
            ));
        }
    }
}

/// Whether the suite runs its long soak sizes (`TDS_RELIABILITY_SOAK=1`, set by
/// `scripts/reliability --soak`) instead of the CI sizes.
pub fn soak() -> bool {
    std::env::var("TDS_RELIABILITY_SOAK").is_ok_and(|v| v.trim() == "1")
}

/// A Zoho timestamp (`2026-03-01T10:00:00+0000`) for `instant`.
///
/// ```
/// use chrono::TimeZone;
/// let t = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
/// assert_eq!(tds_tests::reliability::zoho_time(t), "2026-03-01T10:00:00+0000");
/// ```
pub fn zoho_time(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// How a [`Sender`] treats an answer that is not 2xx.
#[derive(Debug, Clone, Copy)]
pub enum Retry {
    /// Send once; whatever came back is the answer.
    Never,
    /// As Zoho does (faster): on a connection error or a 5xx, send again after a pause
    /// that doubles from 50 ms to 1 s, until a 2xx or 4xx or `patience` has passed.
    UntilAnswered { patience: std::time::Duration },
}

/// Sends authentic webhooks to one host and writes every delivery and answer into a
/// [`Ledger`].
#[derive(Debug, Clone)]
pub struct Sender {
    pub client: reqwest::Client,
    /// `http://127.0.0.1:<port>`
    pub base_url: String,
    /// The `X-Webhook-Key` value the host is configured with.
    pub key: String,
}

impl Sender {
    pub fn new(base_url: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            base_url: base_url.into(),
            key: key.into(),
        }
    }

    /// Posts `record` (bare, with its id field and `last_modified_time`) wrapped as Zoho's
    /// default payload to `/webhooks/zoho/<module>`; returns the last status (0 when no
    /// answer came at all).
    pub async fn deliver(&self, ledger: &Ledger, module: Module, record: &serde_json::Value, retry: Retry) -> u16 {
        let key = event_key(module, record);
        let body = serde_json::json!({ module.spec().wrapper_keys[0]: record }).to_string();
        let url = format!("{}/webhooks/zoho/{}", self.base_url, module.as_str());
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(50);
        loop {
            ledger.sent(&key);
            let status = match self
                .client
                .post(&url)
                .header("content-type", "application/json")
                .header("x-webhook-key", &self.key)
                .body(body.clone())
                .send()
                .await
            {
                Ok(response) => response.status().as_u16(),
                Err(_) => 0,
            };
            ledger.answered(&key, status);
            let again = status == 0 || status >= 500;
            match retry {
                Retry::UntilAnswered { patience } if again && started.elapsed() < patience => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(1));
                }
                _ => return status,
            }
        }
    }
}

/// The ledger key of a bare `record` of `module`.
pub fn event_key(module: Module, record: &serde_json::Value) -> EventKey {
    let entity_id = crate::webhooks::entity_id(module, record);
    match record["last_modified_time"]
        .as_str()
        .and_then(tds_core::time::parse_zoho_timestamp)
    {
        Some(version) => EventKey::new(module, entity_id, version),
        None => EventKey::unversioned(module, entity_id),
    }
}

/// A bare item record at `version`.
pub fn item(id: &str, name: &str, rate: f64, version: DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "item_id": id,
        "name": name,
        "rate": rate,
        "status": "active",
        "last_modified_time": zoho_time(version),
    })
}
