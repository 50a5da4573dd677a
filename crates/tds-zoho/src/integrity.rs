//! Integrity rules over ERP facts, each fact to at most one finding:
//!
//! | check | finding when |
//! |---|---|
//! | `negative_price` | an item's `rate` or `purchase_rate`, or a line's `rate`, is below zero |
//! | `negative_stock` | an item's `stock_on_hand` or `available_stock` is below zero |
//! | `duplicate_sku` | two or more live items share a SKU (one finding per item) |
//! | `unknown_item` | a line names an `item_id` the ERP has no live item for |
//! | `unknown_contact` | a document names a customer or vendor the ERP has no live contact for |
//! | `not_refreshed` | a row was last written longer ago than the configured age |
//!
//! The database supplies candidate facts (cheap predicates, bounded); these rules decide,
//! with exact decimal signs (money arrives as decimal text, never a float).

use std::collections::BTreeMap;

use serde::Serialize;

/// The integrity checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    NegativePrice,
    NegativeStock,
    DuplicateSku,
    UnknownItem,
    UnknownContact,
    NotRefreshed,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::NegativePrice => "negative_price",
            Check::NegativeStock => "negative_stock",
            Check::DuplicateSku => "duplicate_sku",
            Check::UnknownItem => "unknown_item",
            Check::UnknownContact => "unknown_contact",
            Check::NotRefreshed => "not_refreshed",
        }
    }
}

/// A value of a row: which row (module, id) and which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub module: String,
    pub entity_id: String,
    /// The field (`rate`, `stock_on_hand`, `line 2 rate`, `sku`, `line 1 item_id`,
    /// `customer_id`, `updated_at`).
    pub field: String,
    /// The value as text (a decimal, an id, a SKU, an age in hours).
    pub value: String,
}

/// Candidate facts, by the check they are candidates for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub prices: Vec<Fact>,
    pub stock: Vec<Fact>,
    /// Items whose SKU other live items share (`value` = the SKU).
    pub skus: Vec<Fact>,
    /// References the ERP cannot resolve (`value` = the referenced id).
    pub unknown_items: Vec<Fact>,
    pub unknown_contacts: Vec<Fact>,
    /// Rows not written for a while (`value` = hours since).
    pub ages: Vec<Fact>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: Check,
    pub module: String,
    pub entity_id: String,
    pub detail: String,
}

/// Whether decimal text is below zero (`-0.00` is not).
///
/// ```
/// use tds_zoho::integrity::is_negative;
/// assert!(is_negative("-0.01"));
/// assert!(!is_negative("-0.00"));
/// assert!(!is_negative("12"));
/// assert!(!is_negative("n/a"));
/// ```
pub fn is_negative(decimal: &str) -> bool {
    let text = decimal.trim();
    let Some(digits) = text.strip_prefix('-') else {
        return false;
    };
    let well_formed = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    well_formed && digits.chars().any(|c| ('1'..='9').contains(&c))
}

/// Applies the rules; `max_age_hours` is the `not_refreshed` limit.
///
/// ```
/// use tds_zoho::integrity::{evaluate, Check, Fact, Facts};
/// let fact = |id: &str, field: &str, value: &str| Fact { module: "items".into(), entity_id: id.into(), field: field.into(), value: value.into() };
/// let facts = Facts {
///     prices: vec![fact("1", "rate", "-5.00"), fact("2", "rate", "0")],
///     skus: vec![fact("3", "sku", "A"), fact("4", "sku", "A"), fact("5", "sku", "B")],
///     ages: vec![fact("6", "updated_at", "800"), fact("7", "updated_at", "10")],
///     ..Facts::default()
/// };
/// let found: Vec<(Check, String)> = evaluate(&facts, 720.0).into_iter().map(|f| (f.check, f.entity_id)).collect();
/// assert_eq!(found, [(Check::NegativePrice, "1".to_string()), (Check::DuplicateSku, "3".to_string()),
///                    (Check::DuplicateSku, "4".to_string()), (Check::NotRefreshed, "6".to_string())]);
/// ```
pub fn evaluate(facts: &Facts, max_age_hours: f64) -> Vec<Finding> {
    let finding = |check: Check, fact: &Fact, detail: String| Finding {
        check,
        module: fact.module.clone(),
        entity_id: fact.entity_id.clone(),
        detail,
    };
    let mut findings = Vec::new();
    for (check, list) in [
        (Check::NegativePrice, &facts.prices),
        (Check::NegativeStock, &facts.stock),
    ] {
        findings.extend(
            list.iter()
                .filter(|f| is_negative(&f.value))
                .map(|f| finding(check, f, format!("{} is {}", f.field, f.value.trim()))),
        );
    }
    let mut by_sku: BTreeMap<String, Vec<&Fact>> = BTreeMap::new();
    for fact in &facts.skus {
        let sku = fact.value.trim();
        if !sku.is_empty() {
            by_sku.entry(sku.to_lowercase()).or_default().push(fact);
        }
    }
    for (sku, holders) in by_sku.iter().filter(|(_, h)| h.len() > 1) {
        let ids: Vec<&str> = holders.iter().map(|f| f.entity_id.as_str()).collect();
        for fact in holders {
            let others: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| *id != fact.entity_id)
                .collect();
            findings.push(finding(
                Check::DuplicateSku,
                fact,
                format!("sku {sku:?} is also held by {}", others.join(", ")),
            ));
        }
    }
    for (check, list, what) in [
        (Check::UnknownItem, &facts.unknown_items, "item"),
        (Check::UnknownContact, &facts.unknown_contacts, "contact"),
    ] {
        findings.extend(list.iter().map(|f| {
            finding(
                check,
                f,
                format!("{} names {what} {} the ERP does not have", f.field, f.value),
            )
        }));
    }
    findings.extend(
        facts
            .ages
            .iter()
            .filter(|f| {
                f.value
                    .trim()
                    .parse::<f64>()
                    .is_ok_and(|h| h > max_age_hours)
            })
            .map(|f| {
                finding(
                    Check::NotRefreshed,
                    f,
                    format!(
                        "not written for {} hours (limit {max_age_hours})",
                        f.value.trim()
                    ),
                )
            }),
    );
    findings.sort_by(|a, b| {
        (a.check, &a.module, &a.entity_id).cmp(&(b.check, &b.module, &b.entity_id))
    });
    findings
}

/// Findings per check.
pub fn counts(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for f in findings {
        *counts.entry(f.check.as_str()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(module: &str, id: &str, field: &str, value: &str) -> Fact {
        Fact {
            module: module.into(),
            entity_id: id.into(),
            field: field.into(),
            value: value.into(),
        }
    }

    #[test]
    fn references_and_stock() {
        let facts = Facts {
            stock: vec![fact("items", "1", "stock_on_hand", "-3")],
            unknown_items: vec![fact("invoices", "10", "line 2 item_id", "77")],
            unknown_contacts: vec![fact("bills", "11", "vendor_id", "88")],
            skus: vec![
                fact("items", "5", "sku", "x"),
                fact("items", "6", "sku", "X "),
            ],
            ..Facts::default()
        };
        let findings = evaluate(&facts, 1.0);
        let checks: Vec<&str> = findings.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            checks,
            [
                "negative_stock",
                "duplicate_sku",
                "duplicate_sku",
                "unknown_item",
                "unknown_contact"
            ]
        );
        assert_eq!(
            findings[3].detail,
            "line 2 item_id names item 77 the ERP does not have"
        );
        assert_eq!(counts(&findings)["duplicate_sku"], 2);
    }
}
