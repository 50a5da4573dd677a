//! The Prometheus text exposition format (version 0.0.4): metric families with `# HELP`
//! and `# TYPE` lines, counters, gauges and cumulative histograms, label values escaped.

use std::fmt::Write as _;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A family that cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("{0:?} is not a valid metric name")]
    MetricName(String),
    #[error("{0:?} is not a valid label name")]
    LabelName(String),
    #[error("histogram {0}: bucket bounds must increase and counts must not decrease")]
    Buckets(String),
}

/// What a family measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Labels of one series, in the order they are written.
pub type Labels = Vec<(String, String)>;

/// A cumulative histogram: `buckets` are `(upper bound, observations <= bound)` in
/// increasing order (the `+Inf` bucket is `count` and is added when rendering).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Series {
    Value(Labels, f64),
    Histogram(Labels, Histogram),
}

/// One metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    name: String,
    help: String,
    kind: Kind,
    series: Vec<Series>,
}

impl Family {
    pub fn new(name: &str, kind: Kind, help: &str) -> Family {
        Family {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            series: Vec::new(),
        }
    }

    /// Adds a counter or gauge sample.
    pub fn value(&mut self, labels: Labels, value: f64) -> &mut Family {
        self.series.push(Series::Value(labels, value));
        self
    }

    /// Adds a histogram series.
    pub fn histogram(&mut self, labels: Labels, histogram: Histogram) -> &mut Family {
        self.series.push(Series::Histogram(labels, histogram));
        self
    }
}

/// Labels from pairs.
///
/// ```ignore
/// let l = crate::prometheus::labels(&[("lane", "sales")]);
/// assert_eq!(l, vec![("lane".to_string(), "sales".to_string())]);
/// ```
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Renders families as the text exposition.
///
/// ```ignore
/// use crate::prometheus::{labels, render, Family, Histogram, Kind};
/// let mut depth = Family::new("tds_queue_rows", Kind::Gauge, "Queue rows.");
/// depth.value(labels(&[("status", "pending")]), 3.0);
/// let mut latency = Family::new("tds_latency_seconds", Kind::Histogram, "Latency.");
/// latency.histogram(labels(&[("lane", "sales")]), Histogram { buckets: vec![(0.5, 1), (1.0, 2)], count: 3, sum: 4.25 });
/// let text = render(&[depth, latency]).unwrap();
/// assert_eq!(text, "\
/// ## HELP tds_queue_rows Queue rows.
/// ## TYPE tds_queue_rows gauge
/// tds_queue_rows{status=\"pending\"} 3
/// ## HELP tds_latency_seconds Latency.
/// ## TYPE tds_latency_seconds histogram
/// tds_latency_seconds_bucket{lane=\"sales\",le=\"0.5\"} 1
/// tds_latency_seconds_bucket{lane=\"sales\",le=\"1\"} 2
/// tds_latency_seconds_bucket{lane=\"sales\",le=\"+Inf\"} 3
/// tds_latency_seconds_sum{lane=\"sales\"} 4.25
/// tds_latency_seconds_count{lane=\"sales\"} 3
/// ");
/// ```
pub fn render(families: &[Family]) -> Result<String, MetricError> {
    let mut out = String::new();
    for family in families {
        check_metric_name(&family.name)?;
        writeln!(out, "# HELP {} {}", family.name, escape_help(&family.help)).unwrap();
        writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str()).unwrap();
        for series in &family.series {
            match series {
                Series::Value(labels, value) => {
                    line(&mut out, &family.name, labels, None, format_value(*value))?
                }
                Series::Histogram(labels, h) => {
                    render_histogram(&mut out, &family.name, labels, h)?
                }
            }
        }
    }
    Ok(out)
}

fn render_histogram(
    out: &mut String,
    name: &str,
    labels: &Labels,
    h: &Histogram,
) -> Result<(), MetricError> {
    let increasing = h
        .buckets
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
    let bounded = h.buckets.last().is_none_or(|(_, n)| *n <= h.count);
    if !increasing || !bounded || h.buckets.iter().any(|(le, _)| !le.is_finite()) {
        return Err(MetricError::Buckets(name.to_string()));
    }
    let bucket = format!("{name}_bucket");
    for (le, n) in &h.buckets {
        line(
            out,
            &bucket,
            labels,
            Some(&format_value(*le)),
            n.to_string(),
        )?;
    }
    line(out, &bucket, labels, Some("+Inf"), h.count.to_string())?;
    line(
        out,
        &format!("{name}_sum"),
        labels,
        None,
        format_value(h.sum),
    )?;
    line(
        out,
        &format!("{name}_count"),
        labels,
        None,
        h.count.to_string(),
    )
}

fn line(
    out: &mut String,
    name: &str,
    labels: &Labels,
    le: Option<&str>,
    value: String,
) -> Result<(), MetricError> {
    out.push_str(name);
    let mut pairs: Vec<(&str, String)> = Vec::with_capacity(labels.len() + 1);
    for (k, v) in labels {
        check_label_name(k)?;
        pairs.push((k, escape_label_value(v)));
    }
    if let Some(le) = le {
        pairs.push(("le", le.to_string()));
    }
    if !pairs.is_empty() {
        let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        write!(out, "{{{}}}", inner.join(",")).unwrap();
    }
    writeln!(out, " {value}").unwrap();
    Ok(())
}

/// A sample value as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, else the shortest
/// decimal that reads back as the same float.
///
/// ```ignore
/// use crate::prometheus::format_value;
/// assert_eq!(format_value(3.0), "3");
/// assert_eq!(format_value(0.25), "0.25");
/// assert_eq!(format_value(f64::INFINITY), "+Inf");
/// ```
pub fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{value}")
    }
}

/// Escapes a label value: backslash, double quote and line feed.
///
/// ```ignore
/// assert_eq!(crate::prometheus::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
/// ```
pub fn escape_label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn check_metric_name(name: &str) -> Result<(), MetricError> {
    let valid = name.chars().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
    });
    (valid && !name.is_empty())
        .then_some(())
        .ok_or_else(|| MetricError::MetricName(name.to_string()))
}

fn check_label_name(name: &str) -> Result<(), MetricError> {
    let valid = name
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()));
    (valid && !name.is_empty() && !name.starts_with("__") && name != "le")
        .then_some(())
        .ok_or_else(|| MetricError::LabelName(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The doc examples (a cdylib runs no doc tests).
    #[test]
    fn example_of_labels() {
        let l = crate::prometheus::labels(&[("lane", "sales")]);
        assert_eq!(l, vec![("lane".to_string(), "sales".to_string())]);
    }

    #[test]
    fn example_of_render() {
        use crate::prometheus::{labels, render, Family, Histogram, Kind};
        let mut depth = Family::new("tds_queue_rows", Kind::Gauge, "Queue rows.");
        depth.value(labels(&[("status", "pending")]), 3.0);
        let mut latency = Family::new("tds_latency_seconds", Kind::Histogram, "Latency.");
        latency.histogram(
            labels(&[("lane", "sales")]),
            Histogram {
                buckets: vec![(0.5, 1), (1.0, 2)],
                count: 3,
                sum: 4.25,
            },
        );
        let text = render(&[depth, latency]).unwrap();
        assert_eq!(
            text,
            "\
# HELP tds_queue_rows Queue rows.
# TYPE tds_queue_rows gauge
tds_queue_rows{status=\"pending\"} 3
# HELP tds_latency_seconds Latency.
# TYPE tds_latency_seconds histogram
tds_latency_seconds_bucket{lane=\"sales\",le=\"0.5\"} 1
tds_latency_seconds_bucket{lane=\"sales\",le=\"1\"} 2
tds_latency_seconds_bucket{lane=\"sales\",le=\"+Inf\"} 3
tds_latency_seconds_sum{lane=\"sales\"} 4.25
tds_latency_seconds_count{lane=\"sales\"} 3
"
        );
    }

    #[test]
    fn example_of_format_value() {
        use crate::prometheus::format_value;
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
    }

    #[test]
    fn example_of_escape_label_value() {
        assert_eq!(
            crate::prometheus::escape_label_value("a\"b\\c\nd"),
            "a\\\"b\\\\c\\nd"
        );
    }

    #[test]
    fn refuses_bad_names_and_buckets() {
        let bad = Family::new("1x", Kind::Gauge, "h");
        assert_eq!(render(&[bad]), Err(MetricError::MetricName("1x".into())));
        let mut f = Family::new("x", Kind::Gauge, "h");
        f.value(labels(&[("le", "1")]), 1.0);
        assert_eq!(render(&[f]), Err(MetricError::LabelName("le".into())));
        let mut h = Family::new("h", Kind::Histogram, "h");
        h.histogram(
            Vec::new(),
            Histogram {
                buckets: vec![(1.0, 3), (2.0, 2)],
                count: 3,
                sum: 1.0,
            },
        );
        assert_eq!(render(&[h]), Err(MetricError::Buckets("h".into())));
    }

    #[test]
    fn a_family_without_series_still_declares_itself() {
        let text = render(&[Family::new(
            "tds_x_total",
            Kind::Counter,
            "Line one\nline two",
        )])
        .unwrap();
        assert_eq!(
            text,
            "# HELP tds_x_total Line one\\nline two\n# TYPE tds_x_total counter\n"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut f = Family::new("x", Kind::Gauge, "h");
        f.value(labels(&[("name", "lane:\"sales\"")]), 0.5);
        assert_eq!(
            render(&[f]).unwrap().lines().last(),
            Some("x{name=\"lane:\\\"sales\\\"\"} 0.5")
        );
    }
}
