//! The output of a scenario: a human summary on stderr, one JSON line on stdout.

use serde_json::{json, Value};

pub fn emit(scenario: &str, mut figures: Value) {
    figures["scenario"] = json!(scenario);
    eprintln!("{scenario}: {figures}");
    println!("{figures}");
}
