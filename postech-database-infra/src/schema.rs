//! Diesel table definitions of the schema the migrations in `migrations/` build.
//!
//! Written to match `diesel print-schema` against a migrated database; the test
//! `schema_rs_matches_the_migrated_database` (and `postech-migrator verify`) fails when a
//! migration and this file disagree on a table, a column, its type or its nullability.
//!
//! Status columns hold the English codes of [`crate::codes`]. Generated columns
//! (`orders.kitchen_priority`, `order_items.line_total`) are readable but must be left out
//! of `Insertable`/`AsChangeset` structs: PostgreSQL computes them; so is
//! `order_status_history.transaction_id`, which a trigger sets on every insert.

/// PostgreSQL types diesel does not know, as `diesel print-schema` declares them.
pub mod sql_types {
    /// `xid8`: a 64-bit transaction id (`pg_current_xact_id()`). Diesel has no Rust type
    /// for it; read it as text (`transaction_id::text`) or compare it in SQL.
    #[derive(diesel::query_builder::QueryId, Clone, Copy, Debug, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "xid8"))]
    pub struct Xid8;
}

diesel::table! {
    /// The four fixed menu categories (seeded; ids are part of the v1 contract).
    categories (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// The menu. Deactivated (`active = false`), never deleted.
    products (id) {
        id -> Uuid,
        category_id -> Uuid,
        name -> Text,
        description -> Text,
        price -> Numeric,
        image_url -> Nullable<Text>,
        stock_available -> Int4,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// Customers, named or anonymous. `cpf` is 11 digits or NULL.
    customers (id) {
        id -> Uuid,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        cpf -> Nullable<Bpchar>,
        cognito_username -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        identity_confirmed_at -> Nullable<Timestamptz>,
        email_verified_at -> Nullable<Timestamptz>,
        email_verification_code_sha256 -> Nullable<Text>,
        email_verification_expires_at -> Nullable<Timestamptz>,
        email_verification_failures -> Int4,
    }
}

diesel::table! {
    /// Orders; `number` comes from `order_number_seq`, `kitchen_priority` is generated.
    orders (id) {
        id -> Uuid,
        number -> Int8,
        customer_id -> Nullable<Uuid>,
        status -> Text,
        total -> Numeric,
        notes -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        request_fingerprint -> Nullable<Text>,
        kitchen_priority -> Int2,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        /// Imported by `import-v1`: its lines carry the v1 product's name and price at import
        /// time (v1 kept no snapshot), and the 5.00 minimum total does not apply.
        imported_from_v1 -> Bool,
    }
}

diesel::table! {
    /// Order lines with the product's name and price as they were at checkout.
    order_items (id) {
        id -> Uuid,
        order_id -> Uuid,
        product_id -> Uuid,
        position -> Int2,
        product_name -> Text,
        unit_price -> Numeric,
        quantity -> Int4,
        line_total -> Numeric,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    /// Every status change of an order; `from_status` is NULL for the creation row. Also the
    /// kitchen's event log: `transaction_id` is the writing transaction (set by a trigger;
    /// NULL for rows older than the event log), see `crate::kitchen`.
    order_status_history (id) {
        id -> Int8,
        order_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        changed_at -> Timestamptz,
        actor -> Text,
        transaction_id -> Nullable<Xid8>,
    }
}

diesel::table! {
    /// Payment attempts; at most one `pending` and one `approved` per order.
    payments (id) {
        id -> Uuid,
        order_id -> Uuid,
        provider -> Text,
        provider_payment_id -> Nullable<Text>,
        provider_reference -> Nullable<Text>,
        status -> Text,
        amount -> Numeric,
        qr_data -> Nullable<Text>,
        qr_code_url -> Nullable<Text>,
        expires_at -> Nullable<Timestamptz>,
        confirmed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        qr_code_base64 -> Nullable<Text>,
    }
}

diesel::table! {
    /// The audit trail of `import-v1`: every v1 row not taken over unchanged (repaired,
    /// flagged, merged, superseded or refused), by its v1 key. No personal data.
    v1_import_notes (entity, v1_key) {
        entity -> Text,
        v1_key -> Text,
        outcome -> Text,
        rules -> Array<Text>,
        detail -> Text,
        postech_id -> Nullable<Uuid>,
        recorded_at -> Timestamptz,
    }
}

diesel::joinable!(products -> categories (category_id));
diesel::joinable!(orders -> customers (customer_id));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_items -> products (product_id));
diesel::joinable!(order_status_history -> orders (order_id));
diesel::joinable!(payments -> orders (order_id));

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    products,
    customers,
    orders,
    order_items,
    order_status_history,
    payments,
    v1_import_notes,
);
