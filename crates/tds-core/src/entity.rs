//! The module registry (docs/design.md, "Entities"): which Zoho modules TDS syncs, how a
//! webhook wraps and identifies each record, which processor lane applies it, at what
//! priority (lower runs first), into which ERP table, and where the pull reads it in the
//! Zoho Books API.
//!
//! Each module is declared once, by its one entry in `modules!` below, and every other
//! list of modules is derived from these entries: [`Module`] and [`Module::ALL`] (in
//! declaration order), [`ENTITIES`], [`Lane::modules`], [`BOOKS_MODULES`] (the default of
//! `reconcile_modules`), the pull's endpoints (`tds_zoho::api`), the integrity checks
//! (`tds_erp::integrity`, from the ERP tables' declarations), and, written out by
//! `tds modules`, spin.toml's and spin.http-only.toml's `entity_types` and the module
//! lists of the OpenAPI document. A module's entry is found by matching the module
//! ([`Module::spec`]), never by its position.

use std::fmt;

/// A processor lane: one Spin component drains the queue rows of its lane's modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    Sales,
    Catalog,
    Purchases,
    Inventory,
}

/// One module's entry in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Where the pull reads the module in the Zoho Books API; `None` for a module Books does
    /// not serve (Zoho Inventory's), which the pull leaves out.
    pub books: Option<BooksApi>,
}

/// A module's endpoints in the Zoho Books API (docs/zoho.md, "Lists").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BooksApi {
    /// The path under the API root: lists at `GET <api>/<path>`, one record with its lines
    /// at `GET <api>/<path>/<id>` (under the module's first wrapper key).
    pub path: &'static str,
    /// The keys under which a list answer may hold its records, the first as Zoho's API
    /// reference pages show it; where Zoho's sources disagree, each documented form.
    pub list_keys: &'static [&'static str],
}

/// Declares the registry: the [`Module`] enum, [`Module::ALL`] in declaration order and
/// [`Module::spec`], each module's one entry, found by matching the module.
macro_rules! modules {
    ($($variant:ident { $($field:ident: $value:expr),* $(,)? }),* $(,)?) => {
        /// A Zoho module TDS accepts, named as in the intake route `/webhooks/zoho/{module}`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Module {
            $($variant),*
        }

        impl Module {
            /// Every module, in registry order.
            pub const ALL: [Module; [$(Module::$variant),*].len()] = [$(Module::$variant),*];

            /// The module's entry in the registry.
            pub const fn spec(self) -> &'static EntitySpec {
                match self {
                    $(Module::$variant => &EntitySpec { module: Module::$variant, $($field: $value),* },)*
                }
            }
        }
    };
}

modules! {
    Invoices {
        name: "invoices",
        wrapper_keys: &["invoice"],
        id_field: "invoice_id",
        lane: Lane::Sales,
        priority: 2,
        erp_table: "erp_invoices",
        books: Some(BooksApi { path: "invoices", list_keys: &["invoices"] }),
    },
    SalesOrders {
        name: "salesorders",
        wrapper_keys: &["salesorder"],
        id_field: "salesorder_id",
        lane: Lane::Sales,
        priority: 2,
        erp_table: "erp_sales_orders",
        books: Some(BooksApi { path: "salesorders", list_keys: &["salesorders"] }),
    },
    CustomerPayments {
        name: "customerpayments",
        wrapper_keys: &["payment", "customerpayment"],
        id_field: "payment_id",
        lane: Lane::Sales,
        priority: 2,
        erp_table: "erp_customer_payments",
        // Books' OpenAPI document names the array `customer_payments`, its reference page
        // and SDKs `customerpayments`.
        books: Some(BooksApi {
            path: "customerpayments",
            list_keys: &["customerpayments", "customer_payments"],
        }),
    },
    CreditNotes {
        name: "creditnotes",
        wrapper_keys: &["creditnote"],
        id_field: "creditnote_id",
        lane: Lane::Sales,
        priority: 3,
        erp_table: "erp_credit_notes",
        books: Some(BooksApi { path: "creditnotes", list_keys: &["creditnotes"] }),
    },
    Items {
        name: "items",
        wrapper_keys: &["item"],
        id_field: "item_id",
        lane: Lane::Catalog,
        priority: 5,
        erp_table: "erp_items",
        books: Some(BooksApi { path: "items", list_keys: &["items"] }),
    },
    Contacts {
        name: "contacts",
        wrapper_keys: &["contact"],
        id_field: "contact_id",
        lane: Lane::Catalog,
        priority: 5,
        erp_table: "erp_contacts",
        books: Some(BooksApi { path: "contacts", list_keys: &["contacts"] }),
    },
    Bills {
        name: "bills",
        wrapper_keys: &["bill"],
        id_field: "bill_id",
        lane: Lane::Purchases,
        priority: 5,
        erp_table: "erp_bills",
        books: Some(BooksApi { path: "bills", list_keys: &["bills"] }),
    },
    PurchaseOrders {
        name: "purchaseorders",
        wrapper_keys: &["purchaseorder"],
        id_field: "purchaseorder_id",
        lane: Lane::Purchases,
        priority: 5,
        erp_table: "erp_purchase_orders",
        books: Some(BooksApi { path: "purchaseorders", list_keys: &["purchaseorders"] }),
    },
    VendorPayments {
        name: "vendorpayments",
        wrapper_keys: &["vendorpayment"],
        id_field: "payment_id",
        lane: Lane::Purchases,
        priority: 5,
        erp_table: "erp_vendor_payments",
        books: Some(BooksApi { path: "vendorpayments", list_keys: &["vendorpayments"] }),
    },
    InventoryAdjustments {
        name: "inventoryadjustments",
        wrapper_keys: &["inventory_adjustment", "inventoryadjustment"],
        id_field: "inventory_adjustment_id",
        lane: Lane::Inventory,
        priority: 8,
        erp_table: "erp_stock_adjustments",
        books: None,
    },
    PriceBooks {
        name: "pricebooks",
        wrapper_keys: &["pricebook", "pricelist"],
        id_field: "pricebook_id",
        lane: Lane::Inventory,
        priority: 8,
        erp_table: "erp_price_lists",
        books: None,
    },
}

/// Every module's entry, in registry order.
pub const ENTITIES: [EntitySpec; Module::ALL.len()] = {
    let mut entities = [*Module::ALL[0].spec(); Module::ALL.len()];
    let mut i = 1;
    while i < entities.len() {
        entities[i] = *Module::ALL[i].spec();
        i += 1;
    }
    entities
};

/// Whether `module` is one the pull reads (it has a [`BooksApi`]).
const fn in_books(module: Module) -> bool {
    module.spec().books.is_some()
}

/// The length of [`BOOKS_MODULES`].
const fn books_modules_len() -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < Module::ALL.len() {
        if in_books(Module::ALL[i]) {
            len += Module::ALL[i].spec().name.len() + if len > 0 { 1 } else { 0 };
        }
        i += 1;
    }
    len
}

/// [`BOOKS_MODULES`]'s bytes, joined when the crate compiles.
const BOOKS_MODULES_BYTES: [u8; books_modules_len()] = {
    let mut bytes = [0u8; books_modules_len()];
    let mut at = 0;
    let mut i = 0;
    while i < Module::ALL.len() {
        if in_books(Module::ALL[i]) {
            if at > 0 {
                bytes[at] = b',';
                at += 1;
            }
            let name = Module::ALL[i].spec().name.as_bytes();
            let mut j = 0;
            while j < name.len() {
                bytes[at] = name[j];
                at += 1;
                j += 1;
            }
        }
        i += 1;
    }
    bytes
};

/// The names of the modules the pull reads (those with a [`BooksApi`]), comma-separated in
/// registry order: the default of `reconcile_modules`.
///
/// ```
/// use tds_core::entity::BOOKS_MODULES;
/// assert!(BOOKS_MODULES.starts_with("invoices,salesorders,"));
/// assert!(!BOOKS_MODULES.contains("pricebooks"));
/// ```
pub const BOOKS_MODULES: &str = match std::str::from_utf8(&BOOKS_MODULES_BYTES) {
    Ok(names) => names,
    Err(_) => panic!("module names are UTF-8"),
};

impl Module {
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

    /// The modules this lane applies, in registry order.
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
    fn every_module_has_its_own_entry() {
        for (i, module) in Module::ALL.into_iter().enumerate() {
            assert_eq!(module.spec().module, module);
            assert_eq!(ENTITIES[i], *module.spec());
            assert_eq!(Module::from_name(module.as_str()), Some(module));
        }
        let mut unique = Module::ALL.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), Module::ALL.len());
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
    fn entries_are_well_formed() {
        let lowercase = |s: &str, extra: &[u8]| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || extra.contains(&b))
        };
        let mut tables = std::collections::HashSet::new();
        let mut paths = std::collections::HashSet::new();
        for e in &ENTITIES {
            assert!(lowercase(e.name, b""), "{}: a route segment", e.name);
            assert!(!e.wrapper_keys.is_empty(), "{}", e.name);
            for k in e.wrapper_keys {
                assert!(lowercase(k, b"_"), "{}: {k}", e.name);
            }
            assert!(
                e.id_field.ends_with("_id") && lowercase(e.id_field, b"_"),
                "{}",
                e.name
            );
            assert!(e.priority > 0, "{}", e.name);
            assert!(
                e.erp_table.starts_with("erp_") && lowercase(e.erp_table, b"_"),
                "{}",
                e.name
            );
            assert!(
                tables.insert(e.erp_table),
                "{}: {} twice",
                e.name,
                e.erp_table
            );
            if let Some(books) = e.books {
                assert!(lowercase(books.path, b""), "{}", e.name);
                assert!(paths.insert(books.path), "{}: {} twice", e.name, books.path);
                assert!(!books.list_keys.is_empty(), "{}", e.name);
            }
        }
        for lane in Lane::ALL {
            assert!(lane.modules().next().is_some(), "{lane} has no module");
        }
    }

    #[test]
    fn books_modules_are_those_with_an_api() {
        let names: Vec<&str> = ENTITIES
            .iter()
            .filter(|e| e.books.is_some())
            .map(|e| e.name)
            .collect();
        assert_eq!(BOOKS_MODULES, names.join(","));
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
        assert_eq!(
            Lane::Sales.select(Some(" ")).0,
            Lane::Sales.modules().collect::<Vec<_>>()
        );
        let (selected, foreign) = Lane::Sales.select(Some("creditnotes,invoices,,bogus items"));
        assert_eq!(selected, [Module::Invoices, Module::CreditNotes]);
        assert_eq!(foreign, ["bogus", "items"]);
    }

    #[test]
    fn route_segment_takes_name_or_wrapper_key() {
        assert_eq!(Module::from_route_segment("items"), Some(Module::Items));
        assert_eq!(Module::from_route_segment("item"), Some(Module::Items));
        assert_eq!(Module::from_route_segment("Items"), None);
        assert_eq!(Module::from_route_segment("widgets"), None);
    }
}
