//! The entity table (docs/design.md, "Entities"): which Zoho modules TDS syncs, how a
//! webhook wraps and identifies each record, which processor lane applies it, at what
//! priority (lower runs first) and into which ERP table.

use std::fmt;

/// A Zoho module TDS accepts, named as in the intake route `/webhooks/zoho/{module}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Module {
    Invoices,
    SalesOrders,
    CustomerPayments,
    CreditNotes,
    Items,
    Contacts,
    Bills,
    PurchaseOrders,
    VendorPayments,
    InventoryAdjustments,
    PriceBooks,
}

/// A processor lane: one Spin component drains the queue rows of its lane's modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    Sales,
    Catalog,
    Purchases,
    Inventory,
}

/// One row of the entity table.
#[derive(Debug, PartialEq, Eq)]
pub struct EntitySpec {
    pub module: Module,
    /// The module's name in routes, queue rows and logs (`"invoices"`).
    pub name: &'static str,
    /// Top-level keys a webhook body wraps the record in; the first is Zoho's own.
    pub wrapper_keys: &'static [&'static str],
    /// The record's id field (`"invoice_id"`).
    pub id_field: &'static str,
    pub lane: Lane,
    /// Claim order within a lane: lower first.
    pub priority: i32,
    /// The ERP table the record lands in (its lines and allocations have tables of their own).
    pub erp_table: &'static str,
}

/// The entity table, in [`Module`] declaration order.
pub const ENTITIES: [EntitySpec; 11] = [
    spec(
        Module::Invoices,
        "invoices",
        &["invoice"],
        "invoice_id",
        Lane::Sales,
        2,
        "erp_invoices",
    ),
    spec(
        Module::SalesOrders,
        "salesorders",
        &["salesorder"],
        "salesorder_id",
        Lane::Sales,
        2,
        "erp_sales_orders",
    ),
    spec(
        Module::CustomerPayments,
        "customerpayments",
        &["payment", "customerpayment"],
        "payment_id",
        Lane::Sales,
        2,
        "erp_customer_payments",
    ),
    spec(
        Module::CreditNotes,
        "creditnotes",
        &["creditnote"],
        "creditnote_id",
        Lane::Sales,
        3,
        "erp_credit_notes",
    ),
    spec(
        Module::Items,
        "items",
        &["item"],
        "item_id",
        Lane::Catalog,
        5,
        "erp_items",
    ),
    spec(
        Module::Contacts,
        "contacts",
        &["contact"],
        "contact_id",
        Lane::Catalog,
        5,
        "erp_contacts",
    ),
    spec(
        Module::Bills,
        "bills",
        &["bill"],
        "bill_id",
        Lane::Purchases,
        5,
        "erp_bills",
    ),
    spec(
        Module::PurchaseOrders,
        "purchaseorders",
        &["purchaseorder"],
        "purchaseorder_id",
        Lane::Purchases,
        5,
        "erp_purchase_orders",
    ),
    spec(
        Module::VendorPayments,
        "vendorpayments",
        &["vendorpayment"],
        "payment_id",
        Lane::Purchases,
        5,
        "erp_vendor_payments",
    ),
    spec(
        Module::InventoryAdjustments,
        "inventoryadjustments",
        &["inventory_adjustment", "inventoryadjustment"],
        "inventory_adjustment_id",
        Lane::Inventory,
        8,
        "erp_stock_adjustments",
    ),
    spec(
        Module::PriceBooks,
        "pricebooks",
        &["pricebook", "pricelist"],
        "pricebook_id",
        Lane::Inventory,
        8,
        "erp_price_lists",
    ),
];

const fn spec(
    module: Module,
    name: &'static str,
    wrapper_keys: &'static [&'static str],
    id_field: &'static str,
    lane: Lane,
    priority: i32,
    erp_table: &'static str,
) -> EntitySpec {
    EntitySpec {
        module,
        name,
        wrapper_keys,
        id_field,
        lane,
        priority,
        erp_table,
    }
}

impl Module {
    /// Every module, in entity-table order.
    pub const ALL: [Module; 11] = [
        Module::Invoices,
        Module::SalesOrders,
        Module::CustomerPayments,
        Module::CreditNotes,
        Module::Items,
        Module::Contacts,
        Module::Bills,
        Module::PurchaseOrders,
        Module::VendorPayments,
        Module::InventoryAdjustments,
        Module::PriceBooks,
    ];

    pub fn spec(self) -> &'static EntitySpec {
        &ENTITIES[self as usize]
    }

    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// The module named `name` (`"items"`).
    ///
    /// ```
    /// use tds_core::entity::Module;
    /// assert_eq!(Module::from_name("items"), Some(Module::Items));
    /// assert_eq!(Module::from_name("item"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.spec().name == name)
    }

    /// The module whose webhook bodies are wrapped in `key` (`"payment"` → customer payments).
    pub fn from_wrapper_key(key: &str) -> Option<Module> {
        Module::ALL
            .into_iter()
            .find(|m| m.spec().wrapper_keys.contains(&key))
    }

    /// The module a route segment names: its name (`items`) or its wrapper key (`item`).
    pub fn from_route_segment(segment: &str) -> Option<Module> {
        Module::from_name(segment).or_else(|| Module::from_wrapper_key(segment))
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Lane {
    pub const ALL: [Lane; 4] = [Lane::Sales, Lane::Catalog, Lane::Purchases, Lane::Inventory];

    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Sales => "sales",
            Lane::Catalog => "catalog",
            Lane::Purchases => "purchases",
            Lane::Inventory => "inventory",
        }
    }

    /// ```
    /// use tds_core::entity::Lane;
    /// assert_eq!(Lane::from_name("catalog"), Some(Lane::Catalog));
    /// ```
    pub fn from_name(name: &str) -> Option<Lane> {
        Lane::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The modules this lane applies, in entity-table order.
    pub fn modules(self) -> impl Iterator<Item = Module> {
        Module::ALL
            .into_iter()
            .filter(move |m| m.spec().lane == self)
    }

    /// The lane's modules an `entity_types` setting names (comma- or space-separated module
    /// names; unset or blank: all of the lane's modules), and the names that are not
    /// modules of this lane.
    ///
    /// ```
    /// use tds_core::entity::{Lane, Module};
    /// assert_eq!(Lane::Catalog.select(Some("items, invoices")), (vec![Module::Items], vec!["invoices".to_string()]));
    /// assert_eq!(Lane::Catalog.select(None).0, [Module::Items, Module::Contacts]);
    /// ```
    pub fn select(self, entity_types: Option<&str>) -> (Vec<Module>, Vec<String>) {
        let names: Vec<&str> = entity_types
            .unwrap_or_default()
            .split([',', ' '])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            return (self.modules().collect(), Vec::new());
        }
        let selected = self
            .modules()
            .filter(|m| names.contains(&m.as_str()))
            .collect();
        let foreign = names
            .into_iter()
            .filter(|n| Module::from_name(n).is_none_or(|m| m.spec().lane != self))
            .map(str::to_string)
            .collect();
        (selected, foreign)
    }
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_module_order() {
        for (i, m) in Module::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i);
            assert_eq!(ENTITIES[i].module, m);
        }
    }

    #[test]
    fn names_and_wrapper_keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in &ENTITIES {
            assert!(seen.insert(e.name), "{}", e.name);
            for k in e.wrapper_keys {
                assert!(seen.insert(k), "{k}");
            }
        }
    }

    #[test]
    fn payments_are_told_apart_by_wrapper_key() {
        assert_eq!(
            Module::from_wrapper_key("payment"),
            Some(Module::CustomerPayments)
        );
        assert_eq!(
            Module::from_wrapper_key("vendorpayment"),
            Some(Module::VendorPayments)
        );
        assert_eq!(
            Module::CustomerPayments.spec().id_field,
            Module::VendorPayments.spec().id_field
        );
    }

    #[test]
    fn lanes_and_priorities_follow_the_design() {
        let catalog: Vec<_> = Lane::Catalog.modules().collect();
        assert_eq!(catalog, [Module::Items, Module::Contacts]);
        assert_eq!(Module::Invoices.spec().priority, 2);
        assert_eq!(Module::CreditNotes.spec().priority, 3);
        assert_eq!(Module::PriceBooks.spec().lane, Lane::Inventory);
        assert_eq!(
            Lane::ALL.iter().map(|l| l.modules().count()).sum::<usize>(),
            ENTITIES.len()
        );
    }

    #[test]
    fn lane_selection() {
        assert_eq!(Lane::Sales.select(Some(" ")).0.len(), 4);
        let (selected, foreign) = Lane::Sales.select(Some("creditnotes,invoices,,bogus items"));
        assert_eq!(selected, [Module::Invoices, Module::CreditNotes]);
        assert_eq!(foreign, ["bogus", "items"]);
    }

    #[test]
    fn route_segment_takes_name_or_wrapper_key() {
        assert_eq!(Module::from_route_segment("items"), Some(Module::Items));
        assert_eq!(Module::from_route_segment("item"), Some(Module::Items));
        assert_eq!(Module::from_route_segment("Items"), None);
        assert_eq!(Module::from_route_segment("estimates"), None);
    }
}
