-- Order lines. Name and unit price are copied from the product at checkout: v1 read the
-- current product price, so a price change rewrote every past order.
CREATE TABLE order_items (
    id           UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     UUID          NOT NULL,
    product_id   UUID          NOT NULL,
    -- 1-based place of the line in the checkout request; the order body lists items in
    -- checkout order.
    position     SMALLINT      NOT NULL,
    product_name TEXT          NOT NULL,
    unit_price   NUMERIC(10,2) NOT NULL,
    quantity     INTEGER       NOT NULL,
    line_total   NUMERIC(10,2) NOT NULL GENERATED ALWAYS AS (unit_price * quantity) STORED,
    created_at   TIMESTAMPTZ   NOT NULL DEFAULT now(),
    -- RESTRICT, not CASCADE: orders are never erased, and an order's lines must not vanish
    -- with it by accident either.
    CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    -- RESTRICT: an ordered product is deactivated, never deleted (the admin DELETE route
    -- sets `active = false`); the database refuses the delete if the app ever tries.
    CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE RESTRICT,
    -- One line per product: a repeated product is a client mistake (422), not two lines.
    CONSTRAINT order_items_order_product_key UNIQUE (order_id, product_id),
    -- Also the index that reads an order's lines in checkout order.
    CONSTRAINT order_items_order_position_key UNIQUE (order_id, position),
    CONSTRAINT order_items_position_check CHECK (position >= 1),
    CONSTRAINT order_items_quantity_range_check CHECK (quantity BETWEEN 1 AND 50),
    CONSTRAINT order_items_unit_price_range_check CHECK (unit_price > 0 AND unit_price <= 1000.00),
    CONSTRAINT order_items_product_name_length_check
        CHECK (char_length(product_name) BETWEEN 1 AND 100)
);

-- The referencing side of order_items_product_id_fkey: without it, deactivation reports
-- ("was this product ever ordered?") and the RESTRICT check scan every order line.
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
