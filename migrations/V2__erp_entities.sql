-- V2: ERP tables for every module of the entity table (DESIGN.md §3 "Entities") besides
-- erp_items (V1).
--
-- Each module has a header table shaped like erp_items: the Zoho id as text primary key,
-- typed columns (money and quantities numeric, document dates date, Zoho timestamps
-- timestamptz) beside the source document, and the same bookkeeping columns with the same
-- meaning. Its lines (or a payment's allocations, a price list's items) have a table of
-- their own keyed by (parent id, line_no), cascading from the header. The typed columns
-- are declared in crates/tds-erp (one module per entity); a test there checks this file
-- against those declarations.

CREATE TABLE erp_invoices (
    invoice_id                      text PRIMARY KEY,
    invoice_number                  text,
    reference_number                text,
    status                          text,
    date                            date,
    due_date                        date,
    payment_terms                   integer,
    payment_terms_label             text,
    customer_id                     text,
    customer_name                   text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    is_inclusive_tax                boolean,
    location_id                     text,
    location_name                   text,
    salesperson_id                  text,
    salesperson_name                text,
    sub_total                       numeric,
    tax_total                       numeric,
    shipping_charge                 numeric,
    adjustment                      numeric,
    total                           numeric,
    payment_made                    numeric,
    credits_applied                 numeric,
    write_off_amount                numeric,
    balance                         numeric,
    last_payment_date               date,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_invoices IS 'Zoho invoices. Lines: erp_invoice_lines. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_invoices_customer_id ON erp_invoices (customer_id);
CREATE INDEX erp_invoices_date ON erp_invoices (date);
CREATE INDEX erp_invoices_status ON erp_invoices (status);

CREATE TABLE erp_invoice_lines (
    invoice_id                      text    NOT NULL REFERENCES erp_invoices (invoice_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    line_item_id                    text,
    item_id                         text,
    item_order                      integer,
    name                            text,
    description                     text,
    sku                             text,
    product_type                    text,
    hsn_or_sac                      text,
    unit                            text,
    quantity                        numeric,
    rate                            numeric,
    bcy_rate                        numeric,
    discount                        text,
    discount_amount                 numeric,
    tax_id                          text,
    tax_name                        text,
    tax_type                        text,
    tax_percentage                  numeric,
    item_total                      numeric,
    account_id                      text,
    project_id                      text,
    location_id                     text,
    PRIMARY KEY (invoice_id, line_no)
);
COMMENT ON TABLE erp_invoice_lines IS 'Lines of erp_invoices (the invoice''s line_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
COMMENT ON COLUMN erp_invoice_lines.line_item_id IS 'Zoho''s id of the line.';
COMMENT ON COLUMN erp_invoice_lines.discount IS 'As Zoho writes it: an amount, or a percentage such as 10%.';
CREATE INDEX erp_invoice_lines_item_id ON erp_invoice_lines (item_id);

CREATE TABLE erp_sales_orders (
    salesorder_id                   text PRIMARY KEY,
    salesorder_number               text,
    reference_number                text,
    status                          text,
    invoiced_status                 text,
    paid_status                     text,
    shipped_status                  text,
    date                            date,
    shipment_date                   date,
    customer_id                     text,
    customer_name                   text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    is_inclusive_tax                boolean,
    delivery_method                 text,
    location_id                     text,
    salesperson_id                  text,
    salesperson_name                text,
    sub_total                       numeric,
    discount_amount                 numeric,
    tax_total                       numeric,
    shipping_charge                 numeric,
    adjustment                      numeric,
    total                           numeric,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_sales_orders IS 'Zoho sales orders. Lines: erp_sales_order_lines. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_sales_orders_customer_id ON erp_sales_orders (customer_id);
CREATE INDEX erp_sales_orders_date ON erp_sales_orders (date);
CREATE INDEX erp_sales_orders_status ON erp_sales_orders (status);

CREATE TABLE erp_sales_order_lines (
    salesorder_id                   text    NOT NULL REFERENCES erp_sales_orders (salesorder_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    line_item_id                    text,
    item_id                         text,
    item_order                      integer,
    name                            text,
    description                     text,
    sku                             text,
    product_type                    text,
    hsn_or_sac                      text,
    unit                            text,
    quantity                        numeric,
    rate                            numeric,
    discount                        text,
    tax_id                          text,
    tax_name                        text,
    tax_percentage                  numeric,
    item_total                      numeric,
    quantity_invoiced               numeric,
    quantity_shipped                numeric,
    project_id                      text,
    location_id                     text,
    PRIMARY KEY (salesorder_id, line_no)
);
COMMENT ON TABLE erp_sales_order_lines IS 'Lines of erp_sales_orders (the sales order''s line_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
COMMENT ON COLUMN erp_sales_order_lines.discount IS 'As Zoho writes it: an amount, or a percentage such as 10%.';
CREATE INDEX erp_sales_order_lines_item_id ON erp_sales_order_lines (item_id);

CREATE TABLE erp_customer_payments (
    payment_id                      text PRIMARY KEY,
    payment_number                  text,
    payment_mode                    text,
    status                          text,
    date                            date,
    reference_number                text,
    description                     text,
    customer_id                     text,
    customer_name                   text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    amount                          numeric,
    amount_refunded                 numeric,
    bank_charges                    numeric,
    unused_amount                   numeric,
    account_id                      text,
    location_id                     text,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_customer_payments IS 'Zoho customer payments. The invoices each is applied to: erp_customer_payment_allocations. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_customer_payments_customer_id ON erp_customer_payments (customer_id);
CREATE INDEX erp_customer_payments_date ON erp_customer_payments (date);

CREATE TABLE erp_customer_payment_allocations (
    payment_id                      text    NOT NULL REFERENCES erp_customer_payments (payment_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    invoice_payment_id              text,
    invoice_id                      text,
    invoice_number                  text,
    invoice_date                    date,
    invoice_amount                  numeric,
    amount_applied                  numeric,
    balance_amount                  numeric,
    PRIMARY KEY (payment_id, line_no)
);
COMMENT ON TABLE erp_customer_payment_allocations IS 'Invoices a customer payment is applied to (the payment''s invoices array). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
COMMENT ON COLUMN erp_customer_payment_allocations.invoice_date IS 'The invoice''s date (the element''s date field).';
CREATE INDEX erp_customer_payment_allocations_invoice_id ON erp_customer_payment_allocations (invoice_id);

CREATE TABLE erp_credit_notes (
    creditnote_id                   text PRIMARY KEY,
    creditnote_number               text,
    reference_number                text,
    status                          text,
    date                            date,
    customer_id                     text,
    customer_name                   text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    is_inclusive_tax                boolean,
    location_id                     text,
    sub_total                       numeric,
    tax_total                       numeric,
    total                           numeric,
    balance                         numeric,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_credit_notes IS 'Zoho credit notes. Lines: erp_credit_note_lines. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_credit_notes_customer_id ON erp_credit_notes (customer_id);
CREATE INDEX erp_credit_notes_date ON erp_credit_notes (date);
CREATE INDEX erp_credit_notes_status ON erp_credit_notes (status);

CREATE TABLE erp_credit_note_lines (
    creditnote_id                   text    NOT NULL REFERENCES erp_credit_notes (creditnote_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    line_item_id                    text,
    item_id                         text,
    item_order                      integer,
    name                            text,
    description                     text,
    product_type                    text,
    hsn_or_sac                      text,
    unit                            text,
    quantity                        numeric,
    rate                            numeric,
    discount                        text,
    tax_id                          text,
    tax_name                        text,
    tax_percentage                  numeric,
    item_total                      numeric,
    account_id                      text,
    project_id                      text,
    location_id                     text,
    PRIMARY KEY (creditnote_id, line_no)
);
COMMENT ON TABLE erp_credit_note_lines IS 'Lines of erp_credit_notes (the credit note''s line_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
COMMENT ON COLUMN erp_credit_note_lines.discount IS 'As Zoho writes it: an amount, or a percentage such as 10%.';
CREATE INDEX erp_credit_note_lines_item_id ON erp_credit_note_lines (item_id);

CREATE TABLE erp_contacts (
    contact_id                      text PRIMARY KEY,
    contact_name                    text,
    company_name                    text,
    contact_type                    text,
    customer_sub_type               text,
    status                          text,
    contact_number                  text,
    email                           text,
    website                         text,
    payment_terms                   integer,
    payment_terms_label             text,
    currency_id                     text,
    currency_code                   text,
    credit_limit                    numeric,
    is_taxable                      boolean,
    tax_id                          text,
    tax_name                        text,
    tax_percentage                  numeric,
    tax_treatment                   text,
    gst_no                          text,
    gst_treatment                   text,
    place_of_contact                text,
    pricebook_id                    text,
    owner_id                        text,
    primary_contact_id              text,
    outstanding_receivable_amount   numeric,
    unused_credits_receivable_amount numeric,
    outstanding_payable_amount      numeric,
    unused_credits_payable_amount   numeric,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_contacts IS 'Zoho contacts: customers and vendors, told apart by contact_type. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
COMMENT ON COLUMN erp_contacts.contact_type IS 'customer or vendor.';
CREATE INDEX erp_contacts_contact_type ON erp_contacts (contact_type, contact_name);

CREATE TABLE erp_bills (
    bill_id                         text PRIMARY KEY,
    bill_number                     text,
    reference_number                text,
    status                          text,
    date                            date,
    due_date                        date,
    payment_terms                   integer,
    payment_terms_label             text,
    vendor_id                       text,
    vendor_name                     text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    is_inclusive_tax                boolean,
    location_id                     text,
    sub_total                       numeric,
    tax_total                       numeric,
    adjustment                      numeric,
    total                           numeric,
    payment_made                    numeric,
    vendor_credits_applied          numeric,
    balance                         numeric,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_bills IS 'Zoho bills. Lines: erp_bill_lines. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_bills_vendor_id ON erp_bills (vendor_id);
CREATE INDEX erp_bills_date ON erp_bills (date);
CREATE INDEX erp_bills_due_date ON erp_bills (due_date);
CREATE INDEX erp_bills_status ON erp_bills (status);

CREATE TABLE erp_bill_lines (
    bill_id                         text    NOT NULL REFERENCES erp_bills (bill_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    line_item_id                    text,
    purchaseorder_item_id           text,
    item_id                         text,
    item_order                      integer,
    sku                             text,
    name                            text,
    description                     text,
    account_id                      text,
    account_name                    text,
    product_type                    text,
    hsn_or_sac                      text,
    unit                            text,
    quantity                        numeric,
    rate                            numeric,
    bcy_rate                        numeric,
    tax_id                          text,
    tax_name                        text,
    tax_percentage                  numeric,
    item_total                      numeric,
    is_billable                     boolean,
    customer_id                     text,
    project_id                      text,
    location_id                     text,
    PRIMARY KEY (bill_id, line_no)
);
COMMENT ON TABLE erp_bill_lines IS 'Lines of erp_bills (the bill''s line_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
CREATE INDEX erp_bill_lines_item_id ON erp_bill_lines (item_id);
CREATE INDEX erp_bill_lines_account_id ON erp_bill_lines (account_id);

CREATE TABLE erp_purchase_orders (
    purchaseorder_id                text PRIMARY KEY,
    purchaseorder_number            text,
    reference_number                text,
    status                          text,
    billed_status                   text,
    received_status                 text,
    date                            date,
    delivery_date                   date,
    expected_delivery_date          date,
    vendor_id                       text,
    vendor_name                     text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    is_inclusive_tax                boolean,
    location_id                     text,
    sub_total                       numeric,
    tax_total                       numeric,
    total                           numeric,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_purchase_orders IS 'Zoho purchase orders. Lines: erp_purchase_order_lines. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_purchase_orders_vendor_id ON erp_purchase_orders (vendor_id);
CREATE INDEX erp_purchase_orders_date ON erp_purchase_orders (date);
CREATE INDEX erp_purchase_orders_status ON erp_purchase_orders (status);

CREATE TABLE erp_purchase_order_lines (
    purchaseorder_id                text    NOT NULL REFERENCES erp_purchase_orders (purchaseorder_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    line_item_id                    text,
    item_id                         text,
    item_order                      integer,
    sku                             text,
    name                            text,
    description                     text,
    account_id                      text,
    account_name                    text,
    product_type                    text,
    hsn_or_sac                      text,
    unit                            text,
    quantity                        numeric,
    quantity_received               numeric,
    quantity_billed                 numeric,
    rate                            numeric,
    bcy_rate                        numeric,
    tax_id                          text,
    tax_name                        text,
    tax_percentage                  numeric,
    item_total                      numeric,
    project_id                      text,
    location_id                     text,
    PRIMARY KEY (purchaseorder_id, line_no)
);
COMMENT ON TABLE erp_purchase_order_lines IS 'Lines of erp_purchase_orders (the purchase order''s line_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
CREATE INDEX erp_purchase_order_lines_item_id ON erp_purchase_order_lines (item_id);

CREATE TABLE erp_vendor_payments (
    payment_id                      text PRIMARY KEY,
    payment_number                  text,
    payment_mode                    text,
    date                            date,
    reference_number                text,
    description                     text,
    vendor_id                       text,
    vendor_name                     text,
    currency_id                     text,
    currency_code                   text,
    exchange_rate                   numeric,
    amount                          numeric,
    balance                         numeric,
    paid_through_account_id         text,
    paid_through_account_name       text,
    location_id                     text,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_vendor_payments IS 'Zoho vendor payments. The bills each is applied to: erp_vendor_payment_allocations. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_vendor_payments_vendor_id ON erp_vendor_payments (vendor_id);
CREATE INDEX erp_vendor_payments_date ON erp_vendor_payments (date);

CREATE TABLE erp_vendor_payment_allocations (
    payment_id                      text    NOT NULL REFERENCES erp_vendor_payments (payment_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    bill_payment_id                 text,
    bill_id                         text,
    bill_number                     text,
    bill_date                       date,
    amount_applied                  numeric,
    PRIMARY KEY (payment_id, line_no)
);
COMMENT ON TABLE erp_vendor_payment_allocations IS 'Bills a vendor payment is applied to (the payment''s bills array). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
COMMENT ON COLUMN erp_vendor_payment_allocations.bill_date IS 'The bill''s date (the element''s date field).';
CREATE INDEX erp_vendor_payment_allocations_bill_id ON erp_vendor_payment_allocations (bill_id);

CREATE TABLE erp_stock_adjustments (
    inventory_adjustment_id         text PRIMARY KEY,
    date                            date,
    reason                          text,
    reason_id                       text,
    description                     text,
    reference_number                text,
    adjustment_type                 text,
    status                          text,
    location_id                     text,
    total                           numeric,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_stock_adjustments IS 'Zoho Inventory adjustments. Lines: erp_stock_adjustment_lines. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_stock_adjustments_date ON erp_stock_adjustments (date);

CREATE TABLE erp_stock_adjustment_lines (
    inventory_adjustment_id         text    NOT NULL REFERENCES erp_stock_adjustments (inventory_adjustment_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    line_item_id                    text,
    item_id                         text,
    name                            text,
    description                     text,
    unit                            text,
    quantity_adjusted               numeric,
    value_adjusted                  numeric,
    item_total                      numeric,
    adjustment_account_id           text,
    adjustment_account_name         text,
    warehouse_id                    text,
    warehouse_name                  text,
    location_id                     text,
    location_name                   text,
    PRIMARY KEY (inventory_adjustment_id, line_no)
);
COMMENT ON TABLE erp_stock_adjustment_lines IS 'Lines of erp_stock_adjustments (the adjustment''s line_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
CREATE INDEX erp_stock_adjustment_lines_item_id ON erp_stock_adjustment_lines (item_id);

CREATE TABLE erp_price_lists (
    pricebook_id                    text PRIMARY KEY,
    name                            text,
    description                     text,
    status                          text,
    pricebook_type                  text,
    sales_or_purchase_type          text,
    currency_id                     text,
    currency_code                   text,
    is_default                      boolean,
    is_increase                     boolean,
    percentage                      numeric,
    rounding_type                   text,
    decimal_place                   integer,
    source_created_at               timestamptz,
    source_modified_at              timestamptz NOT NULL,
    content_hash                    text        NOT NULL,
    source_document                 jsonb       NOT NULL,
    deleted_at                      timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id             bigint      NOT NULL
);
COMMENT ON TABLE erp_price_lists IS 'Zoho Inventory price lists (price books). Items: erp_price_list_items. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
COMMENT ON COLUMN erp_price_lists.percentage IS 'For pricebook_type fixed_percentage: the mark-up (is_increase) or mark-down applied to every item.';
CREATE INDEX erp_price_lists_status ON erp_price_lists (status);

CREATE TABLE erp_price_list_items (
    pricebook_id                    text    NOT NULL REFERENCES erp_price_lists (pricebook_id) ON DELETE CASCADE,
    line_no                         integer NOT NULL CHECK (line_no > 0),
    pricebook_item_id               text,
    item_id                         text,
    pricebook_rate                  numeric,
    PRIMARY KEY (pricebook_id, line_no)
);
COMMENT ON TABLE erp_price_list_items IS 'Item rates of erp_price_lists (the price list''s pricebook_items). line_no is the position in the document''s array, from 1. Replaced as a whole set whenever the parent is written from a document carrying the array; kept when the parent is soft-deleted.';
CREATE INDEX erp_price_list_items_item_id ON erp_price_list_items (item_id);
