//! Zoho records to ERP rows.
//!
//! An [`ErpTable`] declares its typed columns, each read from one field of the Zoho
//! document and converted exactly (money stays decimal text, never a float). Mapping
//! yields every value as SQL text, cast in the statement (`$n::text::numeric`), which is
//! what real Spin's strict parameter typing needs. [`sql`] builds each table's
//! version-guarded statements; [`apply`] decides what an event does to a stored row and
//! which fields it changed. Modules without a mapper stay in the queue until one exists.

pub mod apply;
pub mod items;
pub mod sql;
pub mod values;

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
    Boolean,
    /// A Zoho timestamp (`2013-11-18T02:17:40-0800`).
    Timestamp,
}

impl Kind {
    /// The column's SQL type.
    pub fn sql_type(self) -> &'static str {
        match self {
            Kind::Text | Kind::Id => "text",
            Kind::Decimal | Kind::Percent => "numeric",
            Kind::Boolean => "boolean",
            Kind::Timestamp => "timestamptz",
        }
    }
}

/// One typed column and the document field it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub source: &'static str,
    pub kind: Kind,
}

impl Column {
    /// A column named like its source field.
    pub const fn new(name: &'static str, kind: Kind) -> Column {
        Column {
            name,
            source: name,
            kind,
        }
    }

    /// A column read from a differently named field.
    pub const fn from(name: &'static str, source: &'static str, kind: Kind) -> Column {
        Column { name, source, kind }
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
}

/// A document's typed column values as SQL text, in [`ErpTable::columns`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRow(pub Vec<Option<String>>);

impl ErpTable {
    /// The row `document` maps to; the first field that cannot be converted fails it.
    pub fn map(&self, document: &Map<String, Value>) -> Result<MappedRow, MappingError> {
        self.columns
            .iter()
            .map(|c| values::extract(document, c.source, c.kind))
            .collect::<Result<_, _>>()
            .map(MappedRow)
    }
}

/// Every table TDS can apply, one per mapped module.
pub static TABLES: [&ErpTable; 1] = [&items::ITEMS];

/// The table `module` is applied to, or `None` when it has no mapper yet.
///
/// ```
/// use tds_core::entity::Module;
/// assert_eq!(tds_erp::table_for(Module::Items).unwrap().name, "erp_items");
/// assert!(tds_erp::table_for(Module::Invoices).is_none());
/// ```
pub fn table_for(module: Module) -> Option<&'static ErpTable> {
    TABLES.iter().copied().find(|t| t.module == module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_the_entity_table() {
        for table in TABLES {
            assert_eq!(table.module.spec().erp_table, table.name);
            let mut names: Vec<_> = table.columns.iter().map(|c| c.name).collect();
            names.push(table.key);
            names.extend(sql::BOOKKEEPING);
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{}: duplicate column", table.name);
        }
    }
}
