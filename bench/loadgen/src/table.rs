//! The Markdown table of one `bench/run`: every figure beside its ceiling and its target.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

/// One row: figure, measured, ceiling, ratio, target, met.
struct Row([String; 6]);

impl Row {
    /// A figure measured for information: no ceiling, ratio or target.
    fn measured(figure: String, measured: String) -> Row {
        Row([
            figure,
            measured,
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
        ])
    }
}

fn number(value: &Value) -> Option<f64> {
    value.as_f64()
}

fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v}"))
}

fn verdict(met: Option<bool>) -> String {
    match met {
        Some(true) => "yes".into(),
        Some(false) => "**no**".into(),
        None => "–".into(),
    }
}

fn find<'a>(
    results: &'a [Value],
    scenario: &str,
    key: &str,
    value: Option<u64>,
) -> Option<&'a Value> {
    all(results, scenario, key, value).pop()
}

/// Every run of `scenario` (with `key` = `value` when given), in the order they ran: one per
/// repetition (`BENCH_REPEAT`).
fn all<'a>(results: &'a [Value], scenario: &str, key: &str, value: Option<u64>) -> Vec<&'a Value> {
    results
        .iter()
        .filter(|r| r["scenario"] == scenario && value.is_none_or(|v| r[key].as_u64() == Some(v)))
        .collect()
}

/// The end-to-end runs drained by the cron schedules (`ticked` false) or by the external
/// ticker of `bench/run e2e-ticker` (true); both record the scenario `e2e`.
fn driven_by<'a>(runs: &[&'a Value], ticked: bool) -> Vec<&'a Value> {
    runs.iter()
        .copied()
        .filter(|r| r["ticker"].is_null() != ticked)
        .collect()
}

/// The median and the worst of repeated figures; `higher_is_better` says which end is
/// worst (tested below: the binary has no library for doc tests).
fn spread(values: &[f64], higher_is_better: bool) -> Option<(f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let median = *sorted.get(sorted.len() / 2)?;
    let worst = if higher_is_better { sorted[0] } else { *sorted.last()? };
    Some((median, worst))
}

/// `median (worst w, n runs)`, or the one value of a single run.
fn show_spread(values: &[f64], higher_is_better: bool) -> String {
    match spread(values, higher_is_better) {
        Some((median, _)) if values.len() == 1 => show(Some(median)),
        Some((median, worst)) => format!(
            "{} (worst {}, {} runs)",
            show(Some(median)),
            show(Some(worst)),
            values.len()
        ),
        None => "–".into(),
    }
}

/// The figure at `pointer` of each run.
fn figures(runs: &[&Value], pointer: &str) -> Vec<f64> {
    runs.iter().filter_map(|r| r.pointer(pointer).and_then(Value::as_f64)).collect()
}

fn ratio(measured: Option<f64>, ceiling: Option<f64>) -> Option<f64> {
    match (measured, ceiling) {
        (Some(m), Some(c)) if c > 0.0 => Some((m / c * 100.0).round() / 100.0),
        _ => None,
    }
}

/// Ratios of paired runs (the i-th measurement against the i-th ceiling).
fn paired_ratios(measured: &[f64], ceilings: &[f64]) -> Vec<f64> {
    measured
        .iter()
        .zip(ceilings)
        .filter_map(|(m, c)| ratio(Some(*m), Some(*c)))
        .collect()
}

/// The limit of a request that needs both PostgreSQL's work (the pgbench ceiling, req/s)
/// and the host's cheapest request (the probe guest's empty request, req/s) from the same
/// cores: `1 / (1/ceiling + 1/probe)` (3,434 and 4,230 req/s give 1,895).
fn combined_limit(ceiling: f64, probe: f64) -> Option<f64> {
    (ceiling > 0.0 && probe > 0.0).then(|| (1.0 / (1.0 / ceiling + 1.0 / probe)).round())
}

/// CPU milliseconds per request or event of a run: the host (none for a ceiling),
/// PostgreSQL, the load generator (with pgbench for a ceiling), the machine's busy time
/// against its capacity, and the time the hypervisor stole from it.
fn cpu_row(what: &str, cpu: &Value) -> Option<Row> {
    if cpu.is_null() {
        return None;
    }
    let host = match number(&cpu["host_ms"]) {
        Some(ms) => show(Some(ms)),
        None => "–".into(),
    };
    Some(Row::measured(
        format!("{what}: CPU ms per unit, host / PostgreSQL / load generator or pgbench; machine busy of capacity; stolen"),
        format!(
            "{host} / {} / {}; {} of {}; {}",
            show(number(&cpu["postgres_ms"])),
            show(number(&cpu["load_generator_ms"])),
            show(number(&cpu["machine_busy_ms"])),
            show(number(&cpu["machine_capacity_ms"])),
            show(number(&cpu["machine_steal_ms"]))
        ),
    ))
}

/// The share of the capacity the machine had (its cores' time less what the hypervisor
/// stole) that it spent busy; a run recorded without steal counts none.
fn busy_share(cpu: &Value) -> Option<f64> {
    let busy = number(&cpu["machine_busy_ms"])?;
    let had = number(&cpu["machine_capacity_ms"])? - number(&cpu["machine_steal_ms"]).unwrap_or(0.0);
    ratio(Some(busy), Some(had))
}

fn rows(results: &[Value]) -> Vec<Row> {
    let mut rows = Vec::new();
    let closed_runs = all(results, "intake-closed", "", None);
    if let Some(closed) = closed_runs.last() {
        let concurrency = closed["concurrency"].as_u64();
        let measured = figures(&closed_runs, "/requests_per_s");
        let ceiling_runs = all(results, "ceiling-intake", "clients", concurrency);
        let ceilings = figures(&ceiling_runs, "/requests_per_s");
        let ratios = paired_ratios(&measured, &ceilings);
        let worst_ratio = spread(&ratios, true).map(|(_, w)| w);
        rows.push(Row([
            format!(
                "intake requests/s, {} in flight",
                show(concurrency.map(|c| c as f64))
            ),
            show_spread(&measured, true),
            format!("{} (pgbench)", show_spread(&ceilings, true)),
            show_spread(&ratios, true),
            "≥ 0.45 × ceiling".into(),
            verdict(worst_ratio.map(|r| r >= 0.45)),
        ]));
        let probe = figures(&all(results, "probe-2", "", None), "/requests_per_s");
        let combined: Vec<f64> = ceilings
            .iter()
            .zip(probe.iter().cycle())
            .filter_map(|(c, p)| combined_limit(*c, *p))
            .collect();
        if !combined.is_empty() {
            let ratios = paired_ratios(&measured, &combined);
            rows.push(Row([
                "intake requests/s against the combined limit (pgbench ceiling and the probe guest's empty request sharing the cores)".into(),
                show_spread(&measured, true),
                format!("{} (combined)", show_spread(&combined, true)),
                show_spread(&ratios, true),
                "≥ 0.8 × combined".into(),
                verdict(spread(&ratios, true).map(|(_, w)| w >= 0.8)),
            ]));
        }
        rows.extend(cpu_row("intake, last run", &closed["cpu_per_request"]));
        if let Some(c) = ceiling_runs.last() {
            rows.extend(cpu_row("intake ceiling (pgbench), last run", &c["cpu_per_request"]));
        }
        rows.push(Row::measured(
            "intake latency p50 / p99 (ms), same runs".into(),
            format!(
                "{} / {}",
                show_spread(&figures(&closed_runs, "/latency_ms/p50"), false),
                show_spread(&figures(&closed_runs, "/latency_ms/p99"), false)
            ),
        ));
    }
    let open_runs = all(results, "intake-half-rate", "", None);
    if let Some(open) = open_runs.last() {
        let p99 = figures(&open_runs, "/latency_ms/p99");
        rows.push(Row([
            format!(
                "intake p50 / p99 (ms) at half that rate, open loop ({} req/s in the last run)",
                show(number(&open["target_rate"]))
            ),
            format!(
                "{} / {}",
                show_spread(&figures(&open_runs, "/latency_ms/p50"), false),
                show_spread(&p99, false)
            ),
            "–".into(),
            "–".into(),
            "p99 ≤ 25 ms in every run".into(),
            verdict(spread(&p99, false).map(|(_, worst)| worst <= 25.0)),
        ]));
    }
    let drain_rates = |processors: u64| figures(&all(results, "drain", "processors", Some(processors)), "/events_per_s");
    let mut processor_counts: Vec<u64> = all(results, "drain", "", None)
        .iter()
        .filter_map(|d| d["processors"].as_u64())
        .collect();
    processor_counts.dedup();
    processor_counts.sort_unstable();
    processor_counts.dedup();
    for processors in processor_counts {
        let runs = all(results, "drain", "processors", Some(processors));
        let measured = drain_rates(processors);
        let ceiling_runs = all(results, "ceiling-drain", "clients", Some(processors));
        let ceilings = figures(&ceiling_runs, "/events_per_s");
        let ratios = paired_ratios(&measured, &ceilings);
        let left: i64 = runs.iter().filter_map(|d| d["left_in_queue"].as_i64()).sum();
        rows.push(Row([
            format!(
                "drain events/s, {processors} processor(s){}",
                if left > 0 {
                    format!(" ({left} left!)")
                } else {
                    String::new()
                }
            ),
            show_spread(&measured, true),
            format!("{} (pgbench)", show_spread(&ceilings, true)),
            show_spread(&ratios, true),
            "≥ 0.5 × ceiling".into(),
            verdict(spread(&ratios, true).map(|(_, w)| w >= 0.5)),
        ]));
        if let Some(last) = runs.last() {
            rows.extend(cpu_row(
                &format!("drain, {processors} processor(s), last run"),
                &last["cpu_per_event"],
            ));
        }
        if let Some(c) = ceiling_runs.last() {
            rows.extend(cpu_row(
                &format!("drain ceiling (pgbench), {processors} client(s), last run"),
                &c["cpu_per_event"],
            ));
        }
        if processors == 2 {
            let scaling = paired_ratios(&measured, &drain_rates(1));
            rows.push(Row([
                "drain scaling, 2 processors / 1".into(),
                show_spread(&scaling, true),
                "–".into(),
                "–".into(),
                "≥ 1.6".into(),
                verdict(spread(&scaling, true).map(|(_, w)| w >= 1.6)),
            ]));
        }
    }
    // `e2e` and `e2e-ticker` (recorded as `e2e` with a ticker before the label named it).
    let e2e_runs: Vec<&Value> = results
        .iter()
        .filter(|r| r["scenario"] == "e2e" || r["scenario"] == "e2e-ticker")
        .collect();
    for ticked in [false, true] {
        let runs = driven_by(&e2e_runs, ticked);
        let Some(e2e) = runs.last() else { continue };
        let p95 = figures(&runs, "/e2e_ms/p95");
        let lost: i64 = runs.iter().filter_map(|r| r["lost"].as_i64()).sum();
        let driven = match &e2e["ticker"] {
            Value::Null => "cron".to_string(),
            t => format!(
                "HTTP-only profile, a drain per lane every {} s with keep_going_ms={}",
                t["every_s"], t["keep_going_ms"]
            ),
        };
        rows.push(Row([
            format!(
                "end to end p50 / p95 / p99 (ms), {} ev/s for {} s, {} modules, {driven}",
                show(number(&e2e["target_rate"])),
                show(number(&e2e["duration_s"])),
                e2e["modules"].as_array().map_or(0, Vec::len)
            ),
            format!(
                "{} / {} / {}",
                show_spread(&figures(&runs, "/e2e_ms/p50"), false),
                show_spread(&p95, false),
                show_spread(&figures(&runs, "/e2e_ms/p99"), false)
            ),
            "–".into(),
            "–".into(),
            "p95 ≤ 2000 ms in every run".into(),
            verdict(spread(&p95, false).map(|(_, worst)| worst <= 2000.0)),
        ]));
        let busy_share: Vec<f64> = runs
            .iter()
            .filter_map(|r| busy_share(&r["intake"]["cpu_per_request"]))
            .collect();
        if !busy_share.is_empty() {
            rows.push(Row([
                format!("end to end ({driven}): machine busy, share of the capacity it had (less stolen time)"),
                show_spread(&busy_share, false),
                "–".into(),
                "–".into(),
                "< 0.8".into(),
                verdict(spread(&busy_share, false).map(|(_, worst)| worst < 0.8)),
            ]));
        }
        let sent: i64 = runs.iter().filter_map(|r| r["sent"].as_i64()).sum();
        let completed: i64 = runs.iter().filter_map(|r| r["completed"].as_i64()).sum();
        rows.push(Row([
            format!("end to end ({driven}): sent / completed / lost, all runs"),
            format!("{sent} / {completed} / {lost}"),
            "–".into(),
            "–".into(),
            "0 lost".into(),
            verdict(Some(lost == 0)),
        ]));
    }
    rows.extend(trickle_rows(&all(results, "trickle", "", None)));
    rows.extend(idle_rows(&all(results, "idle", "", None)));
    for scenario in ["memory", "e2e"] {
        let memory = find(results, scenario, "", None).map(|r| {
            if scenario == "e2e" {
                &r["intake"]["memory"]
            } else {
                &r["memory"]
            }
        });
        if let Some(memory) = memory.filter(|m| !m.is_null()) {
            rows.push(Row::measured(
                format!("host memory (MiB) during {scenario}: VmRSS before / peak, VmHWM"),
                format!(
                    "{} / {}, {}",
                    show(number(&memory["rss_start_mib"])),
                    show(number(&memory["rss_peak_mib"])),
                    show(number(&memory["hwm_mib"]))
                ),
            ));
        }
    }
    let routes = [
        (
            "instantiate-",
            "processor `GET /internal/drain/sales` (405, no database)",
        ),
        ("probe-", "probe guest `GET /probe/counter`"),
    ];
    for (prefix, route) in routes {
        let runs = results.iter().filter(|r| {
            r["scenario"]
                .as_str()
                .is_some_and(|s| s.starts_with(prefix))
        });
        for run in runs {
            rows.push(Row::measured(
                format!(
                    "fresh instance per request, {route}, {} in flight: p50 / p99 (ms), req/s",
                    run["concurrency"]
                ),
                format!(
                    "{} / {}, {}",
                    show(number(&run["latency_ms"]["p50"])),
                    show(number(&run["latency_ms"]["p99"])),
                    show(number(&run["requests_per_s"]))
                ),
            ));
        }
    }
    rows
}

/// End to end at a trickle (`bench/run trickle`): a few webhooks a second with wakes on and
/// the cron schedules as the safety net; each event should reach the ERP at once, not at the
/// next cron run.
fn trickle_rows(runs: &[&Value]) -> Vec<Row> {
    let Some(last) = runs.last() else {
        return Vec::new();
    };
    let setting = format!(
        "{} ev/s for {} s, {} modules, wakes and the cron safety net",
        show(number(&last["target_rate"])),
        show(number(&last["duration_s"])),
        last["modules"].as_array().map_or(0, Vec::len)
    );
    let mut rows = Vec::new();
    for (quantile, limit) in [("p50", 50.0), ("p95", 150.0)] {
        let measured = figures(runs, &format!("/e2e_ms/{quantile}"));
        rows.push(Row([
            format!("end to end at a trickle, {quantile} (ms), {setting}"),
            show_spread(&measured, false),
            "–".into(),
            "–".into(),
            format!("{quantile} ≤ {limit} ms in every run"),
            verdict(spread(&measured, false).map(|(_, worst)| worst <= limit)),
        ]));
    }
    let total = |key: &str| -> i64 { runs.iter().filter_map(|r| r[key].as_i64()).sum() };
    let lost = total("lost");
    rows.push(Row([
        "end to end at a trickle: sent / completed / lost, all runs".into(),
        format!("{} / {} / {lost}", total("sent"), total("completed")),
        "–".into(),
        "–".into(),
        "0 lost".into(),
        verdict(Some(lost == 0)),
    ]));
    rows
}

/// A run's new `tds_sync_runs` rows per 5 minutes of its measured time.
fn runs_per_5_min(run: &Value) -> Option<f64> {
    let seconds = number(&run["elapsed_s"]).or_else(|| number(&run["seconds"]))?;
    let new = number(&run["sync_runs_new"])?;
    (seconds > 0.0).then(|| (new * 300.0 / seconds * 10.0).round() / 10.0)
}

/// An idle application (`bench/run idle`): cron on, no webhooks. Its processors' cron
/// schedules are a safety net that should cost almost nothing when there is nothing to do.
fn idle_rows(runs: &[&Value]) -> Vec<Row> {
    let Some(last) = runs.last() else {
        return Vec::new();
    };
    let rate = figures(runs, "/transactions_per_s");
    let per_5_min: Vec<f64> = runs.iter().filter_map(|r| runs_per_5_min(r)).collect();
    let by_component = match last["sync_runs_by_component"].as_object() {
        Some(components) if !components.is_empty() => components
            .iter()
            .map(|(component, n)| format!("{component} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "none".into(),
    };
    vec![
        Row([
            format!(
                "idle, cron on, no webhooks ({} s a run): transactions/s of the application's database",
                show(number(&last["seconds"]))
            ),
            show_spread(&rate, false),
            "–".into(),
            "–".into(),
            "≤ 1 in every run".into(),
            verdict(spread(&rate, false).map(|(_, worst)| worst <= 1.0)),
        ]),
        Row([
            "idle: new `tds_sync_runs` rows per 5 minutes".into(),
            show_spread(&per_5_min, false),
            "–".into(),
            "–".into(),
            "≤ 10 in every run".into(),
            verdict(spread(&per_5_min, false).map(|(_, worst)| worst <= 10.0)),
        ]),
        Row::measured(
            "idle, last run: new `tds_sync_runs` rows by component".into(),
            by_component,
        ),
    ]
}

/// Prints the table of the JSON lines in `path`.
pub fn print(path: &Path, profile: &str) -> Result<()> {
    let results: Vec<Value> = std::fs::read_to_string(path)?
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    println!("| figure | measured | ceiling | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for Row(cells) in rows(&results) {
        println!("| {} |", cells.join(" | "));
    }
    println!();
    println!("Host built with the `{profile}` cargo profile.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_median_and_the_worst_of_repeated_runs() {
        assert_eq!(spread(&[3.0, 1.0, 2.0], true), Some((2.0, 1.0)));
        assert_eq!(spread(&[3.0, 1.0, 2.0], false), Some((2.0, 3.0)));
        assert_eq!(spread(&[], true), None);
        assert_eq!(show_spread(&[5.0], true), "5");
        assert_eq!(show_spread(&[10.0, 30.0, 20.0], false), "20 (worst 30, 3 runs)");
    }

    #[test]
    fn ratios_pair_runs_and_the_combined_limit_adds_costs() {
        assert_eq!(paired_ratios(&[50.0, 60.0], &[100.0, 100.0]), vec![0.5, 0.6]);
        assert_eq!(combined_limit(3434.0, 4230.0), Some(1895.0));
        assert_eq!(combined_limit(0.0, 4230.0), None);
    }

    #[test]
    fn cron_and_ticker_runs_of_end_to_end_are_told_apart() {
        let runs = [
            json!({"scenario": "e2e", "ticker": null, "sent": 1}),
            json!({"scenario": "e2e", "ticker": {"every_s": 20, "keep_going_ms": 25000}, "sent": 2}),
            json!({"scenario": "e2e", "ticker": null, "sent": 3}),
        ];
        let runs: Vec<&Value> = runs.iter().collect();
        let sent = |ticked| -> Vec<i64> {
            driven_by(&runs, ticked)
                .iter()
                .filter_map(|r| r["sent"].as_i64())
                .collect()
        };
        assert_eq!(sent(false), [1, 3]);
        assert_eq!(sent(true), [2]);
    }

    /// The cells of the rows whose figure starts with `prefix`.
    fn cells(rows: &[Row], prefix: &str) -> Vec<[String; 6]> {
        rows.iter()
            .filter(|Row(cells)| cells[0].starts_with(prefix))
            .map(|Row(cells)| cells.clone())
            .collect()
    }

    #[test]
    fn trickle_rows_judge_p50_and_p95_by_the_worst_run() {
        let line = |p50: f64, p95: f64| {
            json!({"scenario": "trickle", "target_rate": 5.0, "duration_s": 60.0,
                   "modules": ["items", "invoices"], "sent": 300, "completed": 300, "lost": 0,
                   "e2e_ms": {"p50": p50, "p95": p95, "p99": 200.0, "max": 250.0}})
        };
        let results = [line(20.0, 90.0), line(30.0, 160.0), line(25.0, 100.0)];
        let table = rows(&results);
        let trickle = cells(&table, "end to end at a trickle");
        assert_eq!(trickle.len(), 3);
        assert_eq!(
            trickle[0],
            [
                "end to end at a trickle, p50 (ms), 5 ev/s for 60 s, 2 modules, wakes and the cron safety net",
                "25 (worst 30, 3 runs)",
                "–",
                "–",
                "p50 ≤ 50 ms in every run",
                "yes"
            ]
            .map(String::from)
        );
        assert_eq!(trickle[1][1], "100 (worst 160, 3 runs)");
        assert_eq!(trickle[1][4], "p95 ≤ 150 ms in every run");
        assert_eq!(trickle[1][5], "**no**");
        assert_eq!(trickle[2][1], "900 / 900 / 0");
        assert_eq!(trickle[2][5], "yes");
        // Trickle runs are not end-to-end runs at load.
        assert!(cells(&table, "end to end p50").is_empty());
    }

    #[test]
    fn idle_rows_scale_new_runs_to_5_minutes() {
        let results = [
            json!({"scenario": "idle", "seconds": 300, "elapsed_s": 302.0, "transactions": 60,
                   "transactions_per_s": 0.199, "sync_runs_new": 5, "sync_runs_by_component": {"heal": 5}}),
            json!({"scenario": "idle", "seconds": 20, "elapsed_s": 20.0, "transactions": 30,
                   "transactions_per_s": 1.5, "sync_runs_new": 1,
                   "sync_runs_by_component": {"heal": 1}}),
        ];
        let table = rows(&results);
        let idle = cells(&table, "idle");
        assert_eq!(idle.len(), 3);
        assert_eq!(
            idle[0][0],
            "idle, cron on, no webhooks (20 s a run): transactions/s of the application's database"
        );
        assert_eq!(idle[0][1], "1.5 (worst 1.5, 2 runs)");
        assert_eq!(idle[0][4], "≤ 1 in every run");
        assert_eq!(idle[0][5], "**no**");
        // 5 in 302 s and 1 in 20 s: 5.0 and 15 per 5 minutes.
        assert_eq!(idle[1][1], "15 (worst 15, 2 runs)");
        assert_eq!(idle[1][5], "**no**");
        assert_eq!(idle[2][1], "heal 1");
        let quiet = [json!({"scenario": "idle", "seconds": 300, "elapsed_s": 302.0,
                            "transactions_per_s": 0.1, "sync_runs_new": 0, "sync_runs_by_component": {}})];
        let table = rows(&quiet);
        let idle = cells(&table, "idle");
        assert_eq!((idle[0][5].as_str(), idle[1][1].as_str(), idle[1][5].as_str()), ("yes", "0", "yes"));
        assert_eq!(idle[2][1], "none");
    }

    #[test]
    fn ticker_runs_labelled_e2e_ticker_are_end_to_end_runs() {
        let results = [
            json!({"scenario": "e2e", "ticker": null, "target_rate": 300.0, "duration_s": 60.0,
                   "modules": [], "sent": 1, "completed": 1, "lost": 0, "e2e_ms": {"p95": 700.0}}),
            json!({"scenario": "e2e-ticker", "ticker": {"every_s": 20, "keep_going_ms": 25000},
                   "target_rate": 100.0, "duration_s": 60.0, "modules": [], "sent": 2, "completed": 2,
                   "lost": 0, "e2e_ms": {"p95": 240.0}}),
        ];
        let table = rows(&results);
        assert_eq!(cells(&table, "end to end p50 / p95 / p99").len(), 2);
        assert_eq!(cells(&table, "end to end (HTTP-only")[0][1], "2 / 2 / 0");
    }

    #[test]
    fn busy_share_is_of_the_capacity_the_hypervisor_left() {
        let contended = serde_json::json!({"machine_busy_ms": 4.0, "machine_capacity_ms": 6.0, "machine_steal_ms": 1.0});
        assert_eq!(busy_share(&contended), Some(0.8));
        let recorded_before_steal = serde_json::json!({"machine_busy_ms": 3.0, "machine_capacity_ms": 6.0});
        assert_eq!(busy_share(&recorded_before_steal), Some(0.5));
    }
}
