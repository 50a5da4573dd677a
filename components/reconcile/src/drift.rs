//! Drift of one module: every id and modification time Zoho lists (all pages, no filter —
//! incremental lists never show deletes) against the ERP rows and the versions waiting in
//! the queue (`tds_zoho::drift`). With fixes on, the missing and stale records are read by
//! id and stored like pulled ones, and the extra ones (gone from Zoho) are stored as
//! deletes, versioned by their receipt time; the processors then apply them.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_guest::db::Db;
use tds_guest::reconcile::{self, OfModule};
use tds_zoho::api::{detail_url, parse_detail, parse_list, ListRequest};
use tds_zoho::drift::{compare, Drift, ErpRow};

use crate::client::{ApiFailure, Client};
use crate::pull::db_time;
use crate::settings::Settings;
use crate::store::{store_all, OnDuplicate, Record, Tally};

/// One module's drift and what was done about it.
#[derive(Debug)]
pub struct ModuleDrift {
    pub drift: Drift,
    pub listed: usize,
    pub pages: u32,
    pub fixes: Option<Tally>,
}

impl ModuleDrift {
    /// The report's view: counts, and at most `limit` ids per list.
    pub fn to_json(&self, limit: usize) -> Value {
        let ids = |list: &[String]| json!(list.iter().take(limit).collect::<Vec<_>>());
        json!({
            "listed": self.listed, "pages": self.pages, "matched": self.drift.matched,
            "missing": ids(&self.drift.missing), "extra": ids(&self.drift.extra),
            "stale": ids(&self.drift.stale), "in_flight": ids(&self.drift.in_flight),
            "counts": {"missing": self.drift.missing.len(), "extra": self.drift.extra.len(),
                       "stale": self.drift.stale.len(), "in_flight": self.drift.in_flight.len()},
            "fixes": self.fixes.as_ref().map(Tally::to_json),
        })
    }
}

/// Compares `module`, fixing the differences when `fix` is set.
pub fn check_module(
    db: &Db,
    client: &mut Client<'_>,
    settings: &Settings,
    module: Module,
    fix: bool,
    correlation_id: &str,
    max_attempts: i32,
) -> Result<ModuleDrift, ApiFailure> {
    let api_url = client.api_url()?;
    let organization_id = client.credentials().organization_id.clone();
    let mut listed = Vec::new();
    let mut pages = 0;
    for page_number in 1.. {
        let url = ListRequest {
            module,
            page: page_number,
            per_page: settings.page_size,
            since: None,
        }
        .url(&api_url, &organization_id)
        .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        let body = client.get(&url)?;
        let page = parse_list(module, &body).map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        pages += 1;
        listed.extend(page.records);
        if !page.has_more {
            break;
        }
    }
    let mut erp = Vec::new();
    for row in reconcile::erp_rows(db, &OfModule { module })? {
        if let Some(version) = db_time(row.version) {
            erp.push(ErpRow {
                id: row.entity_id.as_str().to_string(),
                version,
                deleted: row.deleted,
            });
        }
    }
    let mut queued = BTreeMap::new();
    for row in reconcile::queued_versions(db, &OfModule { module })? {
        if let Some(version) = db_time(row.version) {
            queued.insert(row.entity_id.as_str().to_string(), version);
        }
    }
    let drift = compare(&listed, &erp, &queued);
    let fixes = if fix && drift.differences() > 0 {
        Some(enqueue_fixes(
            db,
            client,
            module,
            &drift,
            (&api_url, &organization_id),
            correlation_id,
            max_attempts,
        )?)
    } else {
        None
    };
    Ok(ModuleDrift {
        drift,
        listed: listed.len(),
        pages,
        fixes,
    })
}

fn enqueue_fixes(
    db: &Db,
    client: &mut Client<'_>,
    module: Module,
    drift: &Drift,
    (api_url, organization_id): (&str, &str),
    correlation_id: &str,
    max_attempts: i32,
) -> Result<Tally, ApiFailure> {
    let mut records = Vec::new();
    for id in drift.missing.iter().chain(&drift.stale) {
        let url = detail_url(api_url, module, organization_id, id)
            .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        let body = client.get(&url)?;
        let document =
            parse_detail(module, &body).map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        records.push(Record {
            document,
            method: "GET",
        });
    }
    for id in &drift.extra {
        let document = Map::from_iter([(
            module.spec().id_field.to_string(),
            Value::String(id.clone()),
        )]);
        records.push(Record {
            document,
            method: "DELETE",
        });
    }
    db.begin()?;
    let tally = store_all(
        db,
        module,
        records,
        OnDuplicate::Requeue,
        correlation_id,
        max_attempts,
    )?;
    db.commit()?;
    Ok(tally)
}
