//! Reconcile's integrity checks over the ERP tables, built from the columns each table
//! declares a [`Check`] on, so a module's prices and references are checked as soon as its
//! table declares them.
//!
//! Each statement lists candidate facts of live rows (a child row counts while its header
//! is live): `module`, `entity_id`, `field` and `value` (text), at most `$1` (int4) rows,
//! ordered by module, entity id and field. A header column's field is its name, a child
//! column's `line <n> <name>`.

use crate::{Check, ChildTable, Column, ErpTable, LINE_NO, TABLES};

/// One column with a check, and where it sits.
struct Checked {
    table: &'static ErpTable,
    child: Option<&'static ChildTable>,
    column: &'static Column,
}

impl Checked {
    /// The column's live rows whose value (the SQL expression `condition` is given) meets
    /// `condition`, as a `SELECT` of `module`, `entity_id`, `field`, `value`.
    fn select(&self, condition: fn(&str) -> String) -> String {
        let (module, key, column) = (self.table.module, self.table.key, self.column.name);
        match self.child {
            None => format!(
                "SELECT '{module}' AS module, h.{key} AS entity_id, '{column}' AS field, h.{column}::text AS value \
                 FROM {table} h WHERE h.deleted_at IS NULL AND {condition}",
                table = self.table.name,
                condition = condition(&format!("h.{column}")),
            ),
            Some(child) => format!(
                "SELECT '{module}' AS module, l.{key} AS entity_id, 'line ' || l.{LINE_NO} || ' {column}' AS field, \
                 l.{column}::text AS value \
                 FROM {child} l JOIN {table} h USING ({key}) WHERE h.deleted_at IS NULL AND {condition}",
                child = child.name,
                table = self.table.name,
                condition = condition(&format!("l.{column}")),
            ),
        }
    }
}

/// The `UNION ALL` of the rows meeting `condition` of every column of [`TABLES`] (their
/// children's included) whose check is `check`.
fn union(check: Check, condition: fn(&str) -> String) -> String {
    let mut selects = Vec::new();
    for table in TABLES {
        let header = table.columns.iter().map(|column| (None, column));
        let children = table.children.iter().flat_map(|child| {
            child
                .columns
                .iter()
                .map(move |column| (Some(*child), column))
        });
        for (child, column) in header.chain(children) {
            if column.check == Some(check) {
                selects.push(
                    Checked {
                        table,
                        child,
                        column,
                    }
                    .select(condition),
                );
            }
        }
    }
    selects.join("\nUNION ALL ")
}

/// Prices below zero: every [`Check::Price`] column.
///
/// ```
/// let sql = tds_erp::integrity::negative_prices();
/// assert!(sql.contains("FROM erp_items h WHERE h.deleted_at IS NULL AND h.rate < 0"));
/// assert!(sql.contains("'line ' || l.line_no || ' pricebook_rate' AS field"));
/// ```
pub fn negative_prices() -> String {
    format!(
        "SELECT module, entity_id, field, value FROM (\n{}\n) found ORDER BY module, entity_id, field LIMIT $1::int4",
        union(Check::Price, |value| format!("{value} < 0")),
    )
}

/// Ids of records of `target`'s module that `target` holds no live row of: every
/// [`Check::RefersTo`] column naming that module.
///
/// ```
/// let sql = tds_erp::integrity::unknown_references(&tds_erp::contacts::CONTACTS);
/// assert!(sql.contains("FROM erp_bills h WHERE h.deleted_at IS NULL AND h.vendor_id IS NOT NULL"));
/// assert!(sql.contains("NOT EXISTS (SELECT 1 FROM erp_contacts r WHERE r.contact_id = refs.value"));
/// ```
pub fn unknown_references(target: &ErpTable) -> String {
    format!(
        "SELECT module, entity_id, field, value FROM (\n{}\n) refs \
         WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE r.{key} = refs.value AND r.deleted_at IS NULL) \
         ORDER BY module, entity_id, field LIMIT $1::int4",
        union(Check::RefersTo(target.module), |value| format!("{value} IS NOT NULL")),
        table = target.name,
        key = target.key,
    )
}

#[cfg(test)]
mod tests {
    use tds_core::entity::Module;

    use super::*;
    use crate::{contacts::CONTACTS, items::ITEMS};

    /// What each branch of a statement selects: `<module> <value expression>`, `h.` a
    /// header column, `l.` a child column.
    fn branches(sql: &str) -> Vec<String> {
        sql.lines()
            .filter_map(|line| {
                line.trim_start_matches("UNION ALL ")
                    .strip_prefix("SELECT '")
            })
            .map(|rest| {
                let module = rest.split('\'').next().unwrap_or_default();
                let before_value = rest.split(" AS value").next().unwrap_or_default();
                let value = before_value.rsplit(", ").next().unwrap_or_default();
                format!("{module} {}", value.trim_end_matches("::text"))
            })
            .collect()
    }

    /// Asserts that `sql` selects each of `expected` (and, by the count, one branch per
    /// column declaring `check`).
    fn assert_branches(sql: &str, check: Check, expected: &[&str]) {
        let found = branches(sql);
        for branch in expected {
            assert!(found.iter().any(|b| b == branch), "{branch} in {found:?}");
        }
        let declared = TABLES
            .iter()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .chain(t.children.iter().flat_map(|c| c.columns))
            })
            .filter(|c| c.check == Some(check))
            .count();
        assert_eq!(found.len(), declared, "{found:?}");
    }

    #[test]
    fn the_declared_checks_are_the_ones_run() {
        assert_branches(
            &negative_prices(),
            Check::Price,
            &[
                "invoices l.rate",
                "salesorders l.rate",
                "creditnotes l.rate",
                "items h.rate",
                "items h.purchase_rate",
                "bills l.rate",
                "purchaseorders l.rate",
                "pricebooks l.pricebook_rate",
            ],
        );
        assert_branches(
            &unknown_references(&ITEMS),
            Check::RefersTo(Module::Items),
            &[
                "invoices l.item_id",
                "salesorders l.item_id",
                "creditnotes l.item_id",
                "bills l.item_id",
                "purchaseorders l.item_id",
            ],
        );
        assert_branches(
            &unknown_references(&CONTACTS),
            Check::RefersTo(Module::Contacts),
            &[
                "invoices h.customer_id",
                "salesorders h.customer_id",
                "customerpayments h.customer_id",
                "creditnotes h.customer_id",
                "bills h.vendor_id",
                "purchaseorders h.vendor_id",
                "vendorpayments h.vendor_id",
            ],
        );
    }

    #[test]
    fn references_name_items_or_contacts() {
        for table in TABLES {
            let children = table.children.iter().flat_map(|c| c.columns.iter());
            for column in table.columns.iter().chain(children) {
                if let Some(Check::RefersTo(module)) = column.check {
                    assert!(
                        matches!(module, Module::Items | Module::Contacts),
                        "{}.{}: reconcile checks references to items and contacts only",
                        table.name,
                        column.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_one_parameter_is_the_limit() {
        for sql in [
            negative_prices(),
            unknown_references(&ITEMS),
            unknown_references(&CONTACTS),
        ] {
            assert_eq!(tds_store::uncast_placeholders(&sql), Vec::<String>::new());
            assert!(tds_store::placeholders_without_gaps(&sql));
            assert!(sql.ends_with("LIMIT $1::int4"), "{sql}");
        }
    }
}
