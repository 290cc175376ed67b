-- Orders. Status codes are English snake_case; the HTTP layer maps them to the Portuguese
-- wire names of API-V1.md (received = Recebido, paid = Pago, in_preparation = Em
-- preparação, ready = Pronto, finished = Finalizado, cancelled = Cancelado).

-- The short number shown on the kitchen display and called out at the counter. A sequence
-- hands out numbers without locking the orders table and never repeats one.
CREATE SEQUENCE order_number_seq AS BIGINT;

CREATE TABLE orders (
    id                  UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    number              BIGINT        NOT NULL DEFAULT nextval('order_number_seq'),
    -- NULL for anonymous kiosk orders.
    customer_id         UUID,
    status              TEXT          NOT NULL DEFAULT 'received',
    total               NUMERIC(10,2) NOT NULL,
    notes               TEXT,
    -- Client-chosen `Idempotency-Key`; a retry with the same key returns the same order.
    idempotency_key     TEXT,
    -- Hash of the request body sent under `idempotency_key`, so a different body reusing a
    -- key is told apart from a retry (409 instead of returning the wrong order).
    request_fingerprint TEXT,
    -- The kitchen list's sort key (ready first, then in preparation, paid, received). Stored
    -- so that one index can hand the kitchen its queue already sorted.
    kitchen_priority    SMALLINT      NOT NULL GENERATED ALWAYS AS (
        CASE status
            WHEN 'ready' THEN 1
            WHEN 'in_preparation' THEN 2
            WHEN 'paid' THEN 3
            WHEN 'received' THEN 4
            ELSE 5
        END
    ) STORED,
    created_at          TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT orders_number_key UNIQUE (number),
    CONSTRAINT orders_idempotency_key_key UNIQUE (idempotency_key),
    -- RESTRICT: orders are history; a customer who ordered cannot be deleted from under
    -- them (LGPD erasure anonymises the customer row instead, see docs/data-model.md).
    CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE RESTRICT,
    CONSTRAINT orders_status_check CHECK (
        status IN ('received', 'paid', 'in_preparation', 'ready', 'finished', 'cancelled')
    ),
    CONSTRAINT orders_total_range_check CHECK (total BETWEEN 5.00 AND 1000.00),
    CONSTRAINT orders_notes_length_check CHECK (char_length(notes) <= 500),
    CONSTRAINT orders_idempotency_key_length_check
        CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    CONSTRAINT orders_request_fingerprint_length_check
        CHECK (char_length(request_fingerprint) BETWEEN 1 AND 128),
    -- A key without its fingerprint could not detect a reused key; a fingerprint without
    -- a key is meaningless.
    CONSTRAINT orders_idempotency_pair_check
        CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL))
);

ALTER SEQUENCE order_number_seq OWNED BY orders.number;

-- The kitchen list: every open order, ready first, oldest first within a status. The
-- partial predicate keeps the index as small as the queue (finished and cancelled orders,
-- the vast majority, are not in it) and its column order is the list's ORDER BY, so the
-- list is one index scan with no sort. The query lives in `postech_database::kitchen`;
-- its predicate must stay textually compatible with this one.
CREATE INDEX orders_kitchen_queue_idx ON orders (kitchen_priority, created_at, number)
    WHERE status NOT IN ('finished', 'cancelled');

-- "My orders, newest first" (`GET /clientes/me/pedidos`), and the referencing side of
-- orders_customer_id_fkey. Anonymous orders are left out: nobody lists them by customer.
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC)
    WHERE customer_id IS NOT NULL;

CREATE TRIGGER orders_set_updated_at
    BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION postech_set_updated_at();
