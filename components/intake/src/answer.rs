//! The answers to what was stored, as JSON (docs/design.md, "Intake contract"); a refusal
//! answers its own error (`refusal`).

use serde_json::json;
use spin_sdk::http::Response;
use tds_core::normalize::Event;
use tds_guest::http::json_response;

use crate::store::Stored;

/// The answer to what the store made of a delivery: 202 when accepted (queued or
/// superseded) or invalid, 200 for a duplicate.
pub fn stored(stored: &Stored, event: &Event, request_id: &str) -> Response {
    let key = event.idempotency_key.as_str();
    let entity_id = event.entity_id.as_ref().map(|id| id.as_str());
    let module = event.module.as_str();
    match stored {
        Stored::Accepted { event_id, queued } => json_response(
            202,
            &json!({"status": "accepted", "event_id": event_id, "idempotency_key": key, "queued": queued,
                    "superseded": !queued, "duplicate": false, "module": module, "entity_id": entity_id,
                    "request_id": request_id}),
            request_id,
        ),
        Stored::Invalid {
            event_id,
            dead_letter_id,
        } => json_response(
            202,
            &json!({"status": "invalid", "event_id": event_id, "idempotency_key": key, "queued": false,
                    "duplicate": false, "dead_letter_id": dead_letter_id, "reasons": event.invalid_reasons,
                    "module": module, "entity_id": entity_id, "request_id": request_id}),
            request_id,
        ),
        Stored::Duplicate { event_id } => json_response(
            200,
            &json!({"status": "duplicate", "event_id": event_id, "idempotency_key": key, "queued": false,
                    "duplicate": true, "module": module, "entity_id": entity_id, "request_id": request_id}),
            request_id,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use tds_core::entity::Module;
    use tds_core::normalize::{normalize, Delivery};
    use tds_core::payload::{parse, BodyFormat};

    fn event(body: &str) -> Event {
        let payload = parse(BodyFormat::Json, body.as_bytes(), Some(Module::Invoices)).unwrap();
        let delivery = Delivery {
            method: "POST",
            query: &[],
            operation_header: None,
        };
        normalize(&payload, &delivery)
    }

    fn answered(stored_as: Stored, event: &Event) -> (u16, Value) {
        let response = stored(&stored_as, event, "r1");
        let body = serde_json::from_slice(response.body()).unwrap();
        (*response.status(), body)
    }

    #[test]
    fn stored_deliveries_answer_their_status_and_shape() {
        let valid = event(r#"{"invoice": {"invoice_id": "42"}}"#);
        let key = valid.idempotency_key.as_str();
        let accepted = Stored::Accepted {
            event_id: 7,
            queued: true,
        };
        assert_eq!(
            answered(accepted, &valid),
            (
                202,
                json!({"status": "accepted", "event_id": 7, "idempotency_key": key, "queued": true,
                       "superseded": false, "duplicate": false, "module": "invoices",
                       "entity_id": "42", "request_id": "r1"})
            )
        );
        let superseded = Stored::Accepted {
            event_id: 7,
            queued: false,
        };
        let (status, body) = answered(superseded, &valid);
        assert_eq!(
            (status, &body["queued"], &body["superseded"]),
            (202, &json!(false), &json!(true))
        );
        assert_eq!(
            answered(Stored::Duplicate { event_id: 7 }, &valid),
            (
                200,
                json!({"status": "duplicate", "event_id": 7, "idempotency_key": key, "queued": false,
                       "duplicate": true, "module": "invoices", "entity_id": "42", "request_id": "r1"})
            )
        );
        let invalid = event(r#"{"invoice": {"total": 1}}"#);
        let (status, body) = answered(
            Stored::Invalid {
                event_id: 8,
                dead_letter_id: 9,
            },
            &invalid,
        );
        assert_eq!(status, 202);
        assert_eq!(body["status"], "invalid");
        assert_eq!(body["dead_letter_id"], 9);
        assert_eq!(body["entity_id"], Value::Null);
        assert_eq!(body["reasons"], json!(invalid.invalid_reasons));
        assert!(!invalid.invalid_reasons.is_empty());
    }
}
