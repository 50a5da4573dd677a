//! Zoho records to ERP rows.
//!
//! An [`ErpTable`] declares its typed columns, each read from one field of the Zoho
//! document and converted exactly (money stays decimal text, never a float), and its
//! [`ChildTable`]s: the document's lines (`line_items`), a payment's allocations
//! (`invoices`, `bills`) or a price list's items (`pricebook_items`), one row per array
//! element. Mapping yields every value as SQL text, cast in the statement
//! (`$n::text::numeric`), which is what real Spin's strict parameter typing needs.
//! [`sql`] builds each table's version-guarded statements; [`apply`] decides what an event
//! does to a stored row and which fields it changed; [`integrity`] builds reconcile's
//! integrity checks over every table from the [`Check`]s its columns declare.
//!
//! Every module of the registry (`tds_core::entity`) has a table here ([`table_for`]): its
//! own module file declares it, with Zoho's example document in `testdata/` for its tests,
//! and [`TABLES`] lists it.

pub mod apply;
pub mod bills;
pub mod contacts;
pub mod creditnotes;
pub mod customerpayments;
pub mod integrity;
pub mod inventoryadjustments;
pub mod invoices;
pub mod items;
pub mod pricebooks;
pub mod purchaseorders;
pub mod salesorders;
pub mod sql;
pub mod values;
pub mod vendorpayments;

use serde_json::{Map, Value};
use tds_core::entity::Module;

pub use values::MappingError;

/// How a column's value is read from the document and typed in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any scalar, as text; blank is NULL.
    Text,
    /// An id: a string or an integer number, digits kept.
    Id,
    /// An exact decimal (money, quantities).
    Decimal,
    /// A decimal, optionally written with a trailing `%`.
    Percent,
    /// A 32-bit integer (payment terms in days, line order).
    Integer,
    Boolean,
    /// A document date (`2013-11-17`).
    Date,
    /// A Zoho timestamp (`2013-11-18T02:17:40-0800`).
    Timestamp,
}

impl Kind {
    /// The column's SQL type.
    pub fn sql_type(self) -> &'static str {
        match self {
            Kind::Text | Kind::Id => "text",
            Kind::Decimal | Kind::Percent => "numeric",
            Kind::Integer => "integer",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Timestamp => "timestamptz",
        }
    }
}

/// What reconcile's integrity checks look for in a column's values ([`integrity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A price: a live row's value below zero is reported.
    Price,
    /// The id of a record of that module: a live row naming one the ERP holds no live row
    /// of is reported.
    RefersTo(Module),
}

/// One typed column and the document field it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub source: &'static str,
    pub kind: Kind,
    /// What the integrity checks look for in it, if anything.
    pub check: Option<Check>,
}

impl Column {
    /// A column named like its source field.
    pub const fn new(name: &'static str, kind: Kind) -> Column {
        Column::from(name, name, kind)
    }

    /// A column read from a differently named field.
    pub const fn from(name: &'static str, source: &'static str, kind: Kind) -> Column {
        Column {
            name,
            source,
            kind,
            check: None,
        }
    }

    /// This column, a price the integrity checks report when below zero.
    pub const fn price(self) -> Column {
        Column {
            check: Some(Check::Price),
            ..self
        }
    }

    /// This column, an id of a `module` record the integrity checks report when the ERP
    /// holds no live row of it.
    pub const fn refers_to(self, module: Module) -> Column {
        Column {
            check: Some(Check::RefersTo(module)),
            ..self
        }
    }
}

/// An ERP table holding one module's records. Besides its key and typed columns every
/// ERP table has the bookkeeping columns `source_modified_at`, `content_hash`,
/// `source_document`, `deleted_at`, `created_at`, `updated_at` and `last_inbox_event_id`.
#[derive(Debug, PartialEq, Eq)]
pub struct ErpTable {
    pub module: Module,
    pub name: &'static str,
    /// The primary key, holding the entity id as text.
    pub key: &'static str,
    pub columns: &'static [Column],
    /// Tables of the rows the document's arrays hold, written with the header.
    pub children: &'static [&'static ChildTable],
}

/// The column numbering a child table's rows: the element's position in the document's
/// array, from 1.
pub const LINE_NO: &str = "line_no";

/// A table of rows owned by a header row, one per element of an array of the document.
///
/// Its primary key is the header's key column (same name, a foreign key to the header,
/// `ON DELETE CASCADE`) and [`LINE_NO`]. The rows are written as a whole set with the
/// header: when a document carrying the array is written, the header's rows are replaced by
/// the array's elements. A document without the array (absent or `null`) leaves the stored
/// rows as they are, since Zoho's list answers omit lines. A soft delete keeps them.
#[derive(Debug, PartialEq, Eq)]
pub struct ChildTable {
    pub name: &'static str,
    /// The document's array field (`line_items`); also the key under which the header's row
    /// image (in the audit trail) holds these rows.
    pub source: &'static str,
    pub columns: &'static [Column],
}

/// A document's typed column values as SQL text, in [`ErpTable::columns`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRow(pub Vec<Option<String>>);

/// A whole document mapped: the header row and, per child table, its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedDocument {
    pub row: MappedRow,
    /// In [`ErpTable::children`] order: the array's rows in array order, or `None` when
    /// the document does not carry the array.
    pub children: Vec<Option<Vec<MappedRow>>>,
}

impl ErpTable {
    /// The rows `document` maps to; the first field that cannot be converted fails it.
    pub fn map(&self, document: &Map<String, Value>) -> Result<MappedDocument, MappingError> {
        Ok(MappedDocument {
            row: map_row(self.columns, document)?,
            children: self
                .children
                .iter()
                .map(|child| child.map(document))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl ChildTable {
    /// The rows of `document`'s array, or `None` when it has no such array.
    ///
    /// ```
    /// use serde_json::json;
    /// let doc = json!({"line_items": [{"line_item_id": 7, "rate": "1.10"}]});
    /// let lines = tds_erp::invoices::INVOICE_LINES.map(doc.as_object().unwrap()).unwrap().unwrap();
    /// assert_eq!(lines.len(), 1);
    /// let bad = json!({"line_items": {"rate": 1}});
    /// let e = tds_erp::invoices::INVOICE_LINES.map(bad.as_object().unwrap()).unwrap_err();
    /// assert_eq!(e.field, "line_items");
    /// ```
    pub fn map(
        &self,
        document: &Map<String, Value>,
    ) -> Result<Option<Vec<MappedRow>>, MappingError> {
        let elements = match document.get(self.source) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(elements)) => elements,
            Some(_) => {
                return Err(MappingError {
                    field: self.source.to_string(),
                    problem: "is not an array".to_string(),
                })
            }
        };
        elements
            .iter()
            .enumerate()
            .map(|(i, element)| {
                let at = |field: &str| format!("{}[{i}]{field}", self.source);
                let fields = element.as_object().ok_or_else(|| MappingError {
                    field: at(""),
                    problem: "is not an object".to_string(),
                })?;
                map_row(self.columns, fields).map_err(|e| MappingError {
                    field: at(&format!(".{}", e.field)),
                    problem: e.problem,
                })
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

fn map_row(columns: &[Column], fields: &Map<String, Value>) -> Result<MappedRow, MappingError> {
    columns
        .iter()
        .map(|c| values::extract(fields, c.source, c.kind))
        .collect::<Result<_, _>>()
        .map(MappedRow)
}

/// Every table TDS applies, one per module, in entity-table order.
pub static TABLES: [&ErpTable; 11] = [
    &invoices::INVOICES,
    &salesorders::SALES_ORDERS,
    &customerpayments::CUSTOMER_PAYMENTS,
    &creditnotes::CREDIT_NOTES,
    &items::ITEMS,
    &contacts::CONTACTS,
    &bills::BILLS,
    &purchaseorders::PURCHASE_ORDERS,
    &vendorpayments::VENDOR_PAYMENTS,
    &inventoryadjustments::STOCK_ADJUSTMENTS,
    &pricebooks::PRICE_LISTS,
];

/// The table `module` is applied to (`None` only for a module without a mapper, which the
/// entity table does not have today).
///
/// ```
/// use tds_core::entity::Module;
/// assert_eq!(tds_erp::table_for(Module::Items).unwrap().name, "erp_items");
/// let invoices = tds_erp::table_for(Module::Invoices).unwrap();
/// assert_eq!(invoices.children[0].name, "erp_invoice_lines");
/// ```
pub fn table_for(module: Module) -> Option<&'static ErpTable> {
    TABLES.iter().copied().find(|t| t.module == module)
}

#[cfg(test)]
mod testing;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn every_module_has_its_table() {
        for module in Module::ALL {
            let table = table_for(module).unwrap_or_else(|| panic!("{module} has no table"));
            assert_eq!(table.module.spec().erp_table, table.name);
            assert_eq!(table.key, module.spec().id_field, "{module}");
        }
        assert_eq!(TABLES.len(), Module::ALL.len());
    }

    #[test]
    fn column_names_are_unique() {
        for table in TABLES {
            let mut names: Vec<_> = table.columns.iter().map(|c| c.name).collect();
            names.push(table.key);
            names.extend(sql::BOOKKEEPING);
            names.extend(table.children.iter().map(|c| c.source));
            assert_unique(table.name, names);
            for child in table.children {
                let mut names: Vec<_> = child.columns.iter().map(|c| c.name).collect();
                names.extend([table.key, LINE_NO]);
                assert_unique(child.name, names);
            }
        }
    }

    fn assert_unique(table: &str, mut names: Vec<&str>) {
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{table}: duplicate column");
    }

    /// The migrations' SQL, in version order.
    fn migrations() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(dir)
            .expect("the migrations folder")
            .map(|entry| entry.expect("a migration").path())
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?;
                let version = name.strip_prefix('V')?.split_once("__")?.0.parse().ok()?;
                Some((version, path))
            })
            .collect();
        found.sort();
        found
            .into_iter()
            .map(|(_, path)| std::fs::read_to_string(path).expect("a readable migration"))
            .collect()
    }

    /// Column name → SQL type of every `CREATE TABLE` of the migrations.
    fn migrated_tables() -> BTreeMap<String, BTreeMap<String, String>> {
        let text = migrations().join("\n");
        let mut tables = BTreeMap::new();
        let mut current: Option<(String, BTreeMap<String, String>)> = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                let name = rest.trim_end_matches('(').trim().to_string();
                current = Some((name, BTreeMap::new()));
            } else if line.starts_with(");") {
                if let Some((name, columns)) = current.take() {
                    tables.insert(name, columns);
                }
            } else if let Some((_, columns)) = current.as_mut() {
                let mut words = line.split_whitespace();
                let (Some(name), Some(sql_type)) = (words.next(), words.next()) else {
                    continue;
                };
                let constraint = ["CHECK", "PRIMARY", "FOREIGN", "UNIQUE", "CONSTRAINT", "--"]
                    .iter()
                    .any(|k| name.starts_with(k));
                if !constraint {
                    let sql_type = sql_type.trim_end_matches(',').to_ascii_lowercase();
                    columns.insert(name.to_string(), sql_type);
                }
            }
        }
        tables
    }

    #[test]
    fn declarations_match_the_migrations() {
        let migrated = migrated_tables();
        for table in TABLES {
            let mut declared: BTreeMap<String, String> = table
                .columns
                .iter()
                .map(|c| (c.name.to_string(), c.kind.sql_type().to_string()))
                .collect();
            declared.insert(table.key.into(), "text".into());
            for (name, sql_type) in sql::BOOKKEEPING.iter().zip(sql::BOOKKEEPING_TYPES) {
                declared.insert(name.to_string(), sql_type.to_string());
            }
            let columns = migrated.get(table.name);
            assert_eq!(columns, Some(&declared), "{}", table.name);
            for child in table.children {
                let mut declared: BTreeMap<String, String> = child
                    .columns
                    .iter()
                    .map(|c| (c.name.to_string(), c.kind.sql_type().to_string()))
                    .collect();
                declared.insert(table.key.into(), "text".into());
                declared.insert(LINE_NO.into(), "integer".into());
                assert_eq!(migrated.get(child.name), Some(&declared), "{}", child.name);
            }
        }
    }

    /// The view of every module's header rows, as the last migration that writes it has it.
    #[test]
    fn the_versions_view_covers_every_table() {
        let view = migrations()
            .iter()
            .rev()
            .find_map(|sql| {
                let start = sql.find("CREATE OR REPLACE VIEW tds_erp_versions AS")?;
                let end = sql[start..].find(';')?;
                Some(sql[start..start + end].to_string())
            })
            .expect("a migration creates tds_erp_versions");
        for table in TABLES {
            let branch = format!(
                "SELECT '{module}'::text AS module, {key} AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM {name}",
                module = table.module,
                key = table.key,
                name = table.name,
            );
            assert!(
                view.contains(&branch),
                "tds_erp_versions lacks {}: a migration must replace the view with it",
                table.name
            );
        }
        assert_eq!(view.matches(" FROM erp_").count(), TABLES.len());
    }

    #[test]
    fn child_rows_keep_their_order_and_name_the_failing_element() {
        let doc = serde_json::json!({"line_items": [
            {"line_item_id": "1", "quantity": 2},
            {"line_item_id": "2", "quantity": "two"}
        ]});
        let e = invoices::INVOICE_LINES
            .map(doc.as_object().unwrap())
            .unwrap_err();
        assert_eq!(e.field, "line_items[1].quantity");
        let doc = serde_json::json!({"line_items": [1]});
        let e = invoices::INVOICE_LINES
            .map(doc.as_object().unwrap())
            .unwrap_err();
        assert_eq!(e.to_string(), "field line_items[0]: is not an object");
        let doc = serde_json::json!({"line_items": null});
        assert_eq!(
            invoices::INVOICE_LINES.map(doc.as_object().unwrap()),
            Ok(None)
        );
        let doc = serde_json::json!({"line_items": []});
        assert_eq!(
            invoices::INVOICE_LINES.map(doc.as_object().unwrap()),
            Ok(Some(vec![]))
        );
    }
}
