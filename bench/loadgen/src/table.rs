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
    results
        .iter()
        .rev()
        .find(|r| r["scenario"] == scenario && value.is_none_or(|v| r[key].as_u64() == Some(v)))
}

fn ratio(measured: Option<f64>, ceiling: Option<f64>) -> Option<f64> {
    match (measured, ceiling) {
        (Some(m), Some(c)) if c > 0.0 => Some((m / c * 100.0).round() / 100.0),
        _ => None,
    }
}

/// CPU milliseconds per request or event of a run: the host (none for a ceiling),
/// PostgreSQL, the load generator (with pgbench for a ceiling), and the machine's busy time
/// against its capacity.
fn cpu_row(what: &str, cpu: &Value) -> Option<Row> {
    if cpu.is_null() {
        return None;
    }
    let host = match number(&cpu["host_ms"]) {
        Some(ms) => show(Some(ms)),
        None => "–".into(),
    };
    Some(Row::measured(
        format!("{what}: CPU ms per unit, host / PostgreSQL / load generator or pgbench; machine busy of capacity"),
        format!(
            "{host} / {} / {}; {} of {}",
            show(number(&cpu["postgres_ms"])),
            show(number(&cpu["load_generator_ms"])),
            show(number(&cpu["machine_busy_ms"])),
            show(number(&cpu["machine_capacity_ms"]))
        ),
    ))
}

fn rows(results: &[Value]) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(closed) = find(results, "intake-closed", "", None) {
        let measured = number(&closed["requests_per_s"]);
        let concurrency = closed["concurrency"].as_u64();
        let ceiling = find(results, "ceiling-intake", "clients", concurrency)
            .and_then(|c| number(&c["requests_per_s"]));
        let r = ratio(measured, ceiling);
        rows.push(Row([
            format!(
                "intake requests/s, {} in flight",
                show(concurrency.map(|c| c as f64))
            ),
            show(measured),
            format!("{} (pgbench)", show(ceiling)),
            show(r),
            "≥ 0.6 × ceiling".into(),
            verdict(r.map(|r| r >= 0.6)),
        ]));
        rows.extend(cpu_row("intake, same run", &closed["cpu_per_request"]));
        if let Some(c) = find(results, "ceiling-intake", "clients", concurrency) {
            rows.extend(cpu_row("intake ceiling (pgbench)", &c["cpu_per_request"]));
        }
        let latency = &closed["latency_ms"];
        rows.push(Row::measured(
            "intake latency p50 / p99 (ms), same run".into(),
            format!(
                "{} / {}",
                show(number(&latency["p50"])),
                show(number(&latency["p99"]))
            ),
        ));
    }
    if let Some(open) = find(results, "intake-half-rate", "", None) {
        let p99 = number(&open["latency_ms"]["p99"]);
        rows.push(Row([
            format!(
                "intake p50 / p99 (ms) at half that rate, open loop ({} req/s)",
                show(number(&open["target_rate"]))
            ),
            format!(
                "{} / {}",
                show(number(&open["latency_ms"]["p50"])),
                show(p99)
            ),
            "–".into(),
            "–".into(),
            "p99 ≤ 25 ms".into(),
            verdict(p99.map(|p| p <= 25.0)),
        ]));
    }
    let drain_rate = |processors: u64| {
        find(results, "drain", "processors", Some(processors))
            .and_then(|d| number(&d["events_per_s"]))
    };
    for drain in results.iter().filter(|r| r["scenario"] == "drain") {
        let processors = drain["processors"].as_u64().unwrap_or(0);
        let measured = number(&drain["events_per_s"]);
        let ceiling = find(results, "ceiling-drain", "clients", Some(processors))
            .and_then(|c| number(&c["events_per_s"]));
        let r = ratio(measured, ceiling);
        let left = drain["left_in_queue"].as_i64().unwrap_or(0);
        rows.push(Row([
            format!(
                "drain events/s, {processors} processor(s){}",
                if left > 0 {
                    format!(" ({left} left!)")
                } else {
                    String::new()
                }
            ),
            show(measured),
            format!("{} (pgbench)", show(ceiling)),
            show(r),
            "≥ 0.5 × ceiling".into(),
            verdict(r.map(|r| r >= 0.5)),
        ]));
        rows.extend(cpu_row(
            &format!("drain, {processors} processor(s)"),
            &drain["cpu_per_event"],
        ));
        if let Some(c) = find(results, "ceiling-drain", "clients", Some(processors)) {
            rows.extend(cpu_row(
                &format!("drain ceiling (pgbench), {processors} client(s)"),
                &c["cpu_per_event"],
            ));
        }
        if processors == 2 {
            let scaling = ratio(measured, drain_rate(1));
            rows.push(Row([
                "drain scaling, 2 processors / 1".into(),
                show(scaling),
                "–".into(),
                "–".into(),
                "≥ 1.6".into(),
                verdict(scaling.map(|s| s >= 1.6)),
            ]));
        }
    }
    for e2e in ["e2e", "e2e-ticker"].iter().filter_map(|s| find(results, s, "", None)) {
        let p95 = number(&e2e["e2e_ms"]["p95"]);
        let lost = e2e["lost"].as_i64();
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
                show(number(&e2e["e2e_ms"]["p50"])),
                show(p95),
                show(number(&e2e["e2e_ms"]["p99"]))
            ),
            "–".into(),
            "–".into(),
            "p95 ≤ 2000 ms".into(),
            verdict(p95.map(|p| p <= 2000.0)),
        ]));
        rows.push(Row([
            format!("end to end ({driven}): sent / completed / lost"),
            format!("{} / {} / {}", e2e["sent"], e2e["completed"], e2e["lost"]),
            "–".into(),
            "–".into(),
            "0 lost".into(),
            verdict(lost.map(|l| l == 0)),
        ]));
    }
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
