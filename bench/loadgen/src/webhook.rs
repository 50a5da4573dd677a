//! Zoho webhooks as Zoho sends them: an example record (`tests/fixtures/zoho-examples`, read
//! when a run starts) wrapped in its module's key, with a unique entity id, signed with the
//! secret token.

use anyhow::{bail, Context as _, Result};
use clap::Args;
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::signature::{sign, signed_message};

#[derive(Args, Clone)]
pub struct WebhookArgs {
    /// Zoho's secret token, as configured in zoho_webhook_secret.
    #[arg(long, env = "TDS_BENCH_ZOHO_SECRET")]
    pub secret: String,
    /// Modules to send, round robin: names (`items,invoices`) or `all` (every module whose
    /// example record the processor can apply; the others are named on stderr).
    #[arg(long, default_value = "items")]
    pub modules: String,
    /// Tags this run's request ids (`bench-<run>-<n>`) and entity ids; random when omitted.
    #[arg(long)]
    pub run_id: Option<u32>,
}

/// The version every generated record carries (Zoho's `last_modified_time` format).
const LAST_MODIFIED: &str = "2026-11-20T10:15:00+0530";

/// Where Zoho's example records are: one per module, named after it in the singular
/// (`salesorders` → `salesorder.json`).
const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/zoho-examples"
);

/// Zoho's example record of `module`, bare.
pub fn example(module: Module) -> Value {
    let name = module.as_str();
    let path = format!("{EXAMPLES}/{}.json", name.strip_suffix('s').unwrap_or(name));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("Zoho's example of {module} ({path}): {e}"));
    let mut record: Value = serde_json::from_str(&text).expect("a Zoho example is JSON");
    record["last_modified_time"] = json!(LAST_MODIFIED);
    fill_date_placeholders(&mut record);
    record
}

/// The date every `*_date` field that Zoho's example leaves as the placeholder `"string"`
/// gets (the sales order's `shipment_date`, the purchase order's `expected_delivery_date`),
/// so those modules' webhooks are applied rather than dead-lettered.
const PLACEHOLDER_DATE: &str = "2026-11-20";

/// Puts [`PLACEHOLDER_DATE`] in every `*_date` field of `record` (and its line items) whose
/// value is Zoho's placeholder `"string"`.
fn fill_date_placeholders(record: &mut Value) {
    match record {
        Value::Object(fields) => {
            for (name, value) in fields.iter_mut() {
                if name.ends_with("_date") && value == "string" {
                    *value = json!(PLACEHOLDER_DATE);
                } else {
                    fill_date_placeholders(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fill_date_placeholders),
        _ => {}
    }
}

/// Whether the processor can apply `module`'s example record once its date placeholders
/// are filled (one it still cannot apply is named on stderr and left out).
fn applicable(module: Module) -> bool {
    let Some(table) = tds_erp::table_for(module) else {
        return false;
    };
    let record = example(module);
    match record.as_object().map(|document| table.map(document)) {
        Some(Ok(_)) => true,
        Some(Err(e)) => {
            eprintln!("tds-loadgen: leaving out {module}: its example cannot be applied ({e})");
            false
        }
        None => false,
    }
}

/// The webhook body of `record`: Zoho's default payload, `{"<wrapper key>": record}`.
pub fn body(module: Module, record: Value) -> Vec<u8> {
    json!({ module.spec().wrapper_keys[0]: record })
        .to_string()
        .into_bytes()
}

/// One webhook ready to send.
pub struct Webhook {
    pub path: String,
    pub body: Vec<u8>,
    pub signature: String,
    pub request_id: String,
}

/// Generates the webhooks of one run.
pub struct Webhooks {
    secret: String,
    modules: Vec<(Module, Value)>,
    run_id: u32,
}

impl Webhooks {
    pub fn new(args: &WebhookArgs) -> Result<Webhooks> {
        let modules: Vec<Module> = if args.modules == "all" {
            Module::ALL.into_iter().filter(|m| applicable(*m)).collect()
        } else {
            args.modules
                .split(',')
                .map(|name| {
                    Module::from_name(name.trim())
                        .with_context(|| format!("{name:?} is not a module"))
                })
                .collect::<Result<_>>()?
        };
        if modules.is_empty() {
            bail!("--modules names no module");
        }
        Ok(Webhooks {
            secret: args.secret.clone(),
            modules: modules.into_iter().map(|m| (m, example(m))).collect(),
            run_id: args
                .run_id
                .unwrap_or_else(|| rand::random_range(100_000..1_000_000)),
        })
    }

    pub fn modules(&self) -> Vec<&'static str> {
        self.modules.iter().map(|(m, _)| m.as_str()).collect()
    }

    /// The `n`th webhook: module `n mod len`, entity id `<run><n>` (digits, unique per run).
    pub fn get(&self, n: u64) -> Webhook {
        let (module, template) = &self.modules[(n % self.modules.len() as u64) as usize];
        let mut record = template.clone();
        record[module.spec().id_field] = json!(format!("{}{:010}", self.run_id, n));
        let body = body(*module, record);
        let signature = sign(&self.secret, &signed_message(&[], &[], Some(&body)));
        Webhook {
            path: format!("/webhooks/zoho/{}", module.as_str()),
            body,
            signature,
            request_id: format!("bench-{}-{n}", self.run_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_placeholders_are_filled_and_dates_kept() {
        let mut record = json!({"shipment_date": "string", "date": "2026-01-01", "name": "string",
                                "line_items": [{"due_date": "string"}]});
        fill_date_placeholders(&mut record);
        assert_eq!(record["shipment_date"], PLACEHOLDER_DATE);
        assert_eq!(record["line_items"][0]["due_date"], PLACEHOLDER_DATE);
        assert_eq!(record["date"], "2026-01-01");
        assert_eq!(record["name"], "string", "only date fields");
    }

    #[test]
    fn every_module_with_an_erp_table_can_be_sent() {
        let left_out: Vec<Module> = Module::ALL
            .into_iter()
            .filter(|m| tds_erp::table_for(*m).is_some() && !applicable(*m))
            .collect();
        assert_eq!(left_out, Vec::<Module>::new());
    }
}
