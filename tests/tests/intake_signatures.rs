//! Zoho's `X-Zoho-Webhook-Signature` through the built intake wasm: docs/zoho.md's worked
//! vector, JSON and form bodies with query pairs, either hex case, per-module secrets
//! overriding the default, and every failure answered 401 with nothing stored.

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::signature::{sign, signed_message};
use tds_tests::webhooks::{count, example, wrapped, Delivery};
use tds_tests::{TestApp, TestAppOptions};

/// docs/zoho.md's worked vector ("Signature").
const VECTOR_SECRET: &str = "abcdefghijkl123";
const VECTOR_BODY: &str = r#"{"created_date":"2019-03-06","event_id":"5675"}"#;
const VECTOR_SIGNATURE: &str = "81e88c57216247cd3da7050564943fcfa8faac70df40f397b49e148ad946d3e5";

const DEFAULT_SECRET: &str = "DefaultSecret0123";
const INVOICE_SECRET: &str = "InvoiceSecret4567";

async fn app(variables: Vec<String>) -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables,
        ..TestAppOptions::default()
    })
    .await
}

fn pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// A JSON delivery to `path?query` signed with `secret` (no shared key).
fn signed_json<'a>(path: &'a str, query: &str, body: &Value, secret: &str) -> Delivery<'a> {
    let raw = body.to_string();
    let signature = sign(
        secret,
        &signed_message(&pairs(query), &[], Some(raw.as_bytes())),
    );
    let mut delivery = Delivery::json(path, body)
        .without("x-webhook-key")
        .header("x-zoho-webhook-signature", signature);
    delivery.body = raw.into_bytes();
    delivery
}

fn invoice(id: &str) -> Value {
    let mut record = example(Module::Invoices);
    record["invoice_id"] = json!(id);
    wrapped(Module::Invoices, record)
}

fn item(id: &str) -> Value {
    let mut record = example(Module::Items);
    record["item_id"] = json!(id);
    wrapped(Module::Items, record)
}

#[tokio::test(flavor = "multi_thread")]
async fn zohos_worked_vector_authenticates() {
    let app = app(vec![format!("zoho_webhook_secret={VECTOR_SECRET}")]).await;
    let path = "/webhooks/zoho/items?subscription_id=90343&name=basic";
    // Authentic, but the vector's body is no item: stored and dead-lettered; the same
    // delivery signed in upper-case hex is authentic too, and a duplicate.
    let expected = [
        (VECTOR_SIGNATURE.to_string(), 202, "invalid"),
        (VECTOR_SIGNATURE.to_uppercase(), 200, "duplicate"),
    ];
    for (signature, status, outcome) in expected {
        let mut delivery = Delivery::json(path, &json!({}))
            .without("x-webhook-key")
            .header("x-zoho-webhook-signature", signature);
        delivery.body = VECTOR_BODY.as_bytes().to_vec();
        let answer = delivery.send(&app).await;
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.body["status"], json!(outcome), "{}", answer.body);
    }
    let mut tampered = Delivery::json(path, &json!({}))
        .without("x-webhook-key")
        .header("x-zoho-webhook-signature", VECTOR_SIGNATURE);
    tampered.body = VECTOR_BODY.replace("5675", "5676").into_bytes();
    let answer = tampered.send(&app).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["error"]["code"], json!("invalid_signature"));
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_json_and_form_bodies_with_query_pairs() {
    let app = app(vec![format!("zoho_webhook_secret={DEFAULT_SECRET}")]).await;
    let answer = signed_json(
        "/webhooks/zoho/items?org=42&source=books",
        "org=42&source=books",
        &item("1"),
        DEFAULT_SECRET,
    )
    .send(&app)
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["status"], json!("accepted"));

    let fields = [
        ("item_id", "2"),
        ("name", "Disk & Drive"),
        ("rate", "12.50"),
    ];
    let form: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature = sign(
        DEFAULT_SECRET,
        &signed_message(&pairs("org=42"), &form, None),
    );
    let answer = Delivery::form("/webhooks/zoho/items?org=42", &fields)
        .without("x-webhook-key")
        .header("x-zoho-webhook-signature", signature)
        .send(&app)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["entity_id"], json!("2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_signature_failure_is_401_and_stores_nothing() {
    let app = app(vec![
        format!("zoho_webhook_secret={DEFAULT_SECRET}"),
        "webhook_key=also-set-but-ignored".into(),
    ])
    .await;
    let body = item("3");
    let cases = [
        (
            signed_json("/webhooks/zoho/items", "", &body, "WrongSecret0000"),
            "invalid_signature",
        ),
        (
            signed_json(
                "/webhooks/zoho/items?org=43",
                "org=42",
                &body,
                DEFAULT_SECRET,
            ),
            "invalid_signature",
        ),
        (
            signed_json("/webhooks/zoho/items", "", &body, DEFAULT_SECRET)
                .header("x-zoho-webhook-signature", "zz-not-hex"),
            "invalid_signature",
        ),
        (
            signed_json("/webhooks/zoho/items", "", &body, DEFAULT_SECRET)
                .without("x-zoho-webhook-signature"),
            "missing_signature",
        ),
        (
            signed_json("/webhooks/zoho/items", "", &body, DEFAULT_SECRET)
                .without("x-zoho-webhook-signature")
                .header("x-webhook-key", "also-set-but-ignored"),
            "missing_signature",
        ),
    ];
    for (delivery, code) in cases {
        let answer = delivery.send(&app).await;
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert_eq!(answer.body["error"]["code"], json!(code), "{}", answer.body);
    }
    assert_eq!(count(&app, "tds_inbox_events").await, 0);
    assert_eq!(count(&app, "tds_sync_queue").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_module_secret_overrides_the_default_on_either_route() {
    let app = app(vec![
        format!("zoho_webhook_secret={DEFAULT_SECRET}"),
        format!("zoho_module_secrets=invoices={INVOICE_SECRET}"),
    ])
    .await;
    for path in ["/webhooks/zoho/invoices", "/webhooks/zoho"] {
        let id = format!("inv-{}", path.len());
        let own = signed_json(path, "", &invoice(&id), INVOICE_SECRET)
            .send(&app)
            .await;
        assert_eq!(own.status, 202, "{path}: {}", own.body);
        let default = signed_json(path, "", &invoice(&format!("{id}-b")), DEFAULT_SECRET)
            .send(&app)
            .await;
        assert_eq!(
            default.status, 401,
            "{path}: the default secret no longer signs invoices"
        );
    }
    let items_default = signed_json("/webhooks/zoho/items", "", &item("9"), DEFAULT_SECRET)
        .send(&app)
        .await;
    assert_eq!(items_default.status, 202, "{}", items_default.body);
    let items_invoice_secret = signed_json("/webhooks/zoho/items", "", &item("10"), INVOICE_SECRET)
        .send(&app)
        .await;
    assert_eq!(items_invoice_secret.status, 401);
    assert_eq!(count(&app, "tds_inbox_events").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn module_secrets_beside_a_shared_key() {
    let app = app(vec![
        format!("zoho_module_secrets=invoice={INVOICE_SECRET}"),
        "webhook_key=shared-key-0123456789".into(),
    ])
    .await;
    let keyed_invoice = Delivery::json("/webhooks/zoho/invoices", &invoice("1"))
        .header("x-webhook-key", "shared-key-0123456789")
        .send(&app)
        .await;
    assert_eq!(keyed_invoice.status, 401, "invoices need their signature");
    assert_eq!(
        keyed_invoice.body["error"]["code"],
        json!("missing_signature")
    );
    let keyed_item = Delivery::json("/webhooks/zoho/items?key=shared-key-0123456789", &item("1"))
        .without("x-webhook-key")
        .send(&app)
        .await;
    assert_eq!(keyed_item.status, 202, "{}", keyed_item.body);
}
