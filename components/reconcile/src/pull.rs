//! Pulling one module: list pages from its cursor (`tds_zoho::pull`), fetch the records
//! TDS does not hold yet at the listed version (lists omit line items, so each is read by
//! id), and store the page's records and the moved cursor in ONE transaction — a run that
//! fails or stops mid-page leaves the cursor before that page, and the next run repeats it.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::time::parse_zoho_timestamp;
use tds_guest::db::Db;
use tds_guest::log::Logger;
use tds_guest::reconcile::{self, CursorName, KnownVersions, SaveCursor};
use tds_zoho::api::{detail_url, parse_detail, parse_list, Listed};
use tds_zoho::pull::{cursor_name, needs_fetch, Known, PullCursor, Strategy};

use crate::client::{ApiFailure, Client};
use crate::settings::Settings;
use crate::store::{store_all, OnDuplicate, Record, Tally};

/// What one module's pull did.
#[derive(Debug, Default)]
pub struct ModulePull {
    pub pages: u32,
    pub listed: u32,
    /// Listed records TDS already held at that version (not fetched).
    pub current: u32,
    pub fetched: u32,
    pub tally: Tally,
    /// The pass ran to its last page.
    pub complete: bool,
    pub cursor: PullCursor,
    pub error: Option<String>,
}

impl ModulePull {
    pub fn to_json(&self) -> Value {
        json!({"pages": self.pages, "listed": self.listed, "current": self.current, "fetched": self.fetched,
               "stored": self.tally.to_json(), "complete": self.complete, "cursor": self.cursor,
               "error": self.error})
    }
}

/// An RFC 3339 time from the database, or `None`.
pub fn db_time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.as_deref().and_then(parse_zoho_timestamp)
}

/// Pulls `module` until its pass ends, the time budget is spent or a request fails (the
/// failure is in [`ModulePull::error`]; an outage is returned as well, for the breaker).
pub fn pull_module(
    db: &Db,
    client: &mut Client<'_>,
    settings: &Settings,
    module: Module,
    correlation_id: &str,
    max_attempts: i32,
    log: &Logger,
) -> (ModulePull, Option<ApiFailure>) {
    let mut outcome = ModulePull::default();
    let failure = match run(
        db,
        client,
        settings,
        module,
        correlation_id,
        max_attempts,
        &mut outcome,
    ) {
        Ok(()) => None,
        Err(ApiFailure::Budget) => {
            outcome.error = Some(ApiFailure::Budget.to_string());
            None
        }
        Err(e) => {
            let _ = db.rollback();
            log.warn(
                "pull stopped",
                json!({"module": module.as_str(), "error": e.to_string()}),
            );
            outcome.error = Some(e.to_string());
            Some(e)
        }
    };
    (outcome, failure)
}

fn run(
    db: &Db,
    client: &mut Client<'_>,
    settings: &Settings,
    module: Module,
    correlation_id: &str,
    max_attempts: i32,
    outcome: &mut ModulePull,
) -> Result<(), ApiFailure> {
    let strategy = Strategy::of(module);
    let name = cursor_name(module);
    let stored = reconcile::read_cursor(db, &CursorName { name: &name })?;
    let mut cursor =
        PullCursor::from_json(stored.as_deref()).started(strategy, settings.overlap_seconds);
    outcome.cursor = cursor.clone();
    let api_url = client.api_url()?;
    let organization_id = client.credentials().organization_id.clone();
    loop {
        if client.out_of_time() {
            return Err(ApiFailure::Budget);
        }
        let url = cursor
            .request(module, settings.page_size)
            .url(&api_url, &organization_id)
            .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        let body = client.get(&url)?;
        let page = parse_list(module, &body).map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        let wanted = records_to_fetch(db, module, &page.records)?;
        outcome.listed += u32::try_from(page.records.len()).unwrap_or(u32::MAX);
        outcome.current += u32::try_from(page.records.len() - wanted.len()).unwrap_or(0);
        let mut records = Vec::with_capacity(wanted.len());
        for id in &wanted {
            let url = detail_url(&api_url, module, &organization_id, id)
                .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
            let body = client.get(&url)?;
            let document =
                parse_detail(module, &body).map_err(|e| ApiFailure::Rejected(e.to_string()))?;
            records.push(Record {
                document,
                method: "GET",
            });
        }
        outcome.fetched += u32::try_from(records.len()).unwrap_or(u32::MAX);
        let next = cursor.advanced(strategy, &page);
        db.begin()?;
        let tally = store_all(
            db,
            module,
            records,
            OnDuplicate::Skip,
            correlation_id,
            max_attempts,
        )?;
        let high_water = next.high_water.as_ref().map(tds_core::time::sql_text);
        reconcile::save_cursor(
            db,
            &SaveCursor {
                name: &name,
                high_water: high_water.as_deref(),
                details: &next.to_json(),
            },
        )?;
        db.commit()?;
        outcome.tally.add(&tally);
        outcome
            .tally
            .invalid
            .extend(page.unreadable.iter().cloned());
        outcome.pages += 1;
        cursor = next;
        outcome.cursor = cursor.clone();
        if !cursor.in_pass {
            outcome.complete = true;
            return Ok(());
        }
    }
}

/// The ids of `listed` that TDS does not hold at the listed version (ERP row or queue).
fn records_to_fetch(db: &Db, module: Module, listed: &[Listed]) -> Result<Vec<String>, ApiFailure> {
    let ids: Vec<String> = listed.iter().map(|l| l.id.as_str().to_string()).collect();
    let versions = reconcile::known_versions(db, &KnownVersions { module, ids: &ids })?;
    let mut known = std::collections::HashMap::new();
    for version in versions {
        known.insert(
            version.entity_id.as_str().to_string(),
            Known {
                erp_version: db_time(version.erp_version),
                queued_version: db_time(version.queued_version),
            },
        );
    }
    let mut wanted: Vec<String> = Vec::new();
    for l in listed {
        let id = l.id.as_str();
        if needs_fetch(l.modified_at, known.get(id).copied().unwrap_or_default())
            && !wanted.iter().any(|w| w == id)
        {
            wanted.push(id.to_string());
        }
    }
    Ok(wanted)
}
