//! `GET /api/queue`: rows by status, lane, entity and priority; the oldest wait;
//! completions over 1 m / 5 m / 1 h; end-to-end latency percentiles (inbox `received_at` →
//! queue `completed_at`) over the last hour, overall and per lane; open dead letters.
//! `GET /api/queue/series?minutes=60`: the same over time, one point per minute.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tds_core::entity::{Lane, ENTITIES};
use tds_guest::queue::figures;
use tds_guest::stats::{self, Latency, QueueSeries};

use crate::api::{db, Answer, ApiResult, Ctx};
use crate::health::STATUSES;

/// The latency window of `GET /api/queue`, in seconds.
const LATENCY_WINDOW_SECONDS: u32 = 3600;
const LANES: [Lane; 4] = [Lane::Sales, Lane::Catalog, Lane::Purchases, Lane::Inventory];

fn zero_counts() -> Map<String, Value> {
    STATUSES.iter().map(|s| (s.to_string(), json!(0))).collect()
}

fn add(counts: &mut Map<String, Value>, status: &str, n: i64) {
    let before = counts.get(status).and_then(Value::as_i64).unwrap_or(0);
    counts.insert(status.to_string(), json!(before + n));
}

pub fn stats(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let db = db()?;
    let mut by_status = zero_counts();
    let mut by_lane: BTreeMap<String, Map<String, Value>> = LANES
        .iter()
        .map(|l| (l.as_str().to_string(), zero_counts()))
        .collect();
    let mut by_entity: BTreeMap<String, Map<String, Value>> = ENTITIES
        .iter()
        .map(|e| (e.name.to_string(), zero_counts()))
        .collect();
    let mut by_priority: BTreeMap<i32, Map<String, Value>> = ENTITIES
        .iter()
        .map(|e| (e.priority, zero_counts()))
        .collect();
    for row in stats::queue_counts(&db)? {
        let (lane, module, priority, status, n) =
            (row.lane, row.module, row.priority, row.status, row.count);
        add(&mut by_status, &status, n);
        add(by_lane.entry(lane).or_insert_with(zero_counts), &status, n);
        add(
            by_entity.entry(module).or_insert_with(zero_counts),
            &status,
            n,
        );
        add(
            by_priority.entry(priority).or_insert_with(zero_counts),
            &status,
            n,
        );
    }
    let oldest: BTreeMap<String, f64> = stats::oldest_waiting_by_lane(&db)?
        .into_iter()
        .map(|w| (w.lane, w.age_seconds))
        .collect();
    let oldest_overall = figures::oldest_waiting_age(&db)?.unwrap_or(0.0);
    let mut throughput_by_lane: BTreeMap<String, [i64; 3]> = LANES
        .iter()
        .map(|l| (l.as_str().to_string(), [0; 3]))
        .collect();
    for t in stats::throughput(&db)? {
        throughput_by_lane.insert(t.lane, [t.last_1m, t.last_5m, t.last_1h]);
    }
    let totals = throughput_by_lane.values().fold([0i64; 3], |acc, t| {
        [acc[0] + t[0], acc[1] + t[1], acc[2] + t[2]]
    });
    let mut latency_overall = empty_latency();
    let mut latency_by_lane: Map<String, Value> = LANES
        .iter()
        .map(|l| (l.as_str().to_string(), empty_latency()))
        .collect();
    let window = Latency {
        window_seconds: LATENCY_WINDOW_SECONDS,
    };
    for row in stats::latency(&db, &window)? {
        let figures = json!({
            "count": row.count,
            "p50": row.p50,
            "p95": row.p95,
            "p99": row.p99,
            "max": row.max,
        });
        match row.lane {
            None => latency_overall = figures,
            Some(lane) => {
                latency_by_lane.insert(lane, figures);
            }
        }
    }
    let mut dead_open: Map<String, Value> = ["invalid", "permanent", "transient"]
        .iter()
        .map(|c| (c.to_string(), json!(0)))
        .collect();
    let mut dead_total = 0;
    for row in stats::count_dead_by_class(&db)? {
        let n = row.count;
        dead_total += n;
        dead_open.insert(row.error_class, json!(n));
    }
    let lanes: Vec<Value> = by_lane
        .into_iter()
        .map(|(lane, counts)| {
            let t = throughput_by_lane.get(&lane).copied().unwrap_or_default();
            json!({
                "lane": lane,
                "counts": counts,
                "oldest_pending_age_seconds": oldest.get(&lane).copied().unwrap_or(0.0),
                "throughput": throughput(t),
            })
        })
        .collect();
    let entities: Vec<Value> = by_entity
        .into_iter()
        .map(|(module, counts)| {
            let spec = ENTITIES.iter().find(|e| e.name == module);
            json!({
                "module": module,
                "lane": spec.map(|s| s.lane.as_str()),
                "priority": spec.map(|s| s.priority),
                "counts": counts,
            })
        })
        .collect();
    let priorities: Vec<Value> = by_priority
        .into_iter()
        .map(|(priority, counts)| json!({"priority": priority, "counts": counts}))
        .collect();
    Answer::ok(json!({
        "by_status": by_status,
        "by_lane": lanes,
        "by_entity": entities,
        "by_priority": priorities,
        "oldest_pending_age_seconds": oldest_overall,
        "throughput": throughput(totals),
        "latency_seconds": {
            "window_seconds": LATENCY_WINDOW_SECONDS,
            "overall": latency_overall,
            "by_lane": latency_by_lane,
        },
        "dead_letters_open": {"total": dead_total, "by_class": dead_open},
    }))
}

fn empty_latency() -> Value {
    json!({"count": 0, "p50": null, "p95": null, "p99": null, "max": null})
}

/// Completions and completions per second over each window.
fn throughput([m1, m5, h1]: [i64; 3]) -> Value {
    let window = |n: i64, seconds: f64| json!({"completed": n, "per_second": n as f64 / seconds});
    json!({"1m": window(m1, 60.0), "5m": window(m5, 300.0), "1h": window(h1, 3600.0)})
}

pub fn series(ctx: &Ctx) -> ApiResult {
    let params = ctx.params(&["minutes"])?;
    let minutes = params.int("minutes", 60, 1, 1440)?;
    let db = db()?;
    let range = QueueSeries {
        minutes: minutes as u32,
    };
    let points: Vec<Value> = stats::queue_series(&db, &range)?
        .into_iter()
        .map(|p| {
            json!({
                "minute": p.minute,
                "enqueued": p.enqueued,
                "completed": p.completed,
                "depth": p.depth,
                "latency_p50": p.latency_p50,
                "latency_p95": p.latency_p95,
                "latency_p99": p.latency_p99,
            })
        })
        .collect();
    Answer::ok(json!({"minutes": minutes, "points": points}))
}
