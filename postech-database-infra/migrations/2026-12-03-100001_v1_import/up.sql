-- What `postech-migrator import-v1` needs to bring a v1 database over (README, "Switching a
-- live v1 restaurant over").

-- v1 kept no price snapshot: its order lines pointed at the product's current price. The
-- lines of an imported order therefore carry the product's name and price as they were in
-- v1 at import time, not at checkout time; this flag tells every reader so.
ALTER TABLE orders ADD COLUMN imported_from_v1 BOOLEAN NOT NULL DEFAULT false;

-- postech's checkout refuses totals under 5.00. v1 had no minimum, so a historical order of
-- one drink is a sale that happened, not an error: the minimum does not apply to imported
-- orders (their total must still be positive). The upper bound stays for everyone.
ALTER TABLE orders DROP CONSTRAINT orders_total_range_check;
ALTER TABLE orders ADD CONSTRAINT orders_total_range_check CHECK (
    total <= 1000.00 AND (total >= 5.00 OR (imported_from_v1 AND total > 0))
);

-- Every v1 row the import did not take over as it was: repaired (a CPF reformatted),
-- imported with a flag (a status it could not read), merged into another row (a duplicate
-- CPF), superseded (a kitchen-queue row: postech derives the queue from the orders) or
-- refused (an order line of a deleted product). Rows imported unchanged have no note. The
-- import's idempotency does not rest on this table (imported rows keep their v1 ids); it is
-- the audit trail an operator reads after the switch-over, and the place a rerun finds the
-- customers it merged. No personal data: rows are named by their v1 key only.
CREATE TABLE v1_import_notes (
    -- The v1 table, as an entity name.
    entity      TEXT        NOT NULL,
    -- The v1 primary key; `<pedido_id>/<produto_id>` for an order line.
    v1_key      TEXT        NOT NULL,
    outcome     TEXT        NOT NULL,
    -- The rule codes applied, as listed in the README's dirt rules table.
    rules       TEXT[]      NOT NULL,
    -- What happened, in words, with the specifics (never a CPF, a name or an e-mail).
    detail      TEXT        NOT NULL,
    -- The postech row the v1 row became or was merged into; NULL when refused or superseded.
    postech_id  UUID,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT v1_import_notes_pkey PRIMARY KEY (entity, v1_key),
    CONSTRAINT v1_import_notes_entity_check CHECK (
        entity IN ('category', 'product', 'customer', 'order', 'order_item', 'payment',
                   'queue_entry')
    ),
    CONSTRAINT v1_import_notes_outcome_check CHECK (
        outcome IN ('repaired', 'flagged', 'merged', 'superseded', 'rejected')
    ),
    CONSTRAINT v1_import_notes_rules_check CHECK (cardinality(rules) >= 1),
    CONSTRAINT v1_import_notes_v1_key_length_check CHECK (char_length(v1_key) BETWEEN 1 AND 100),
    CONSTRAINT v1_import_notes_detail_length_check CHECK (char_length(detail) BETWEEN 1 AND 4000)
);
