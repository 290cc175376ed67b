-- Every status change of an order, timestamped (API-V1.md: "Each change is timestamped in
-- a status history"). Append-only by convention; the app writes a row in the same
-- transaction as the change on `orders`.
CREATE TABLE order_status_history (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    UUID        NOT NULL,
    -- NULL for the row that records the order's creation.
    from_status TEXT,
    to_status   TEXT        NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Who made the change: `customer`, `system`, `payment-webhook`, `admin:<username>`, ...
    actor       TEXT        NOT NULL,
    CONSTRAINT order_status_history_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT order_status_history_from_status_check CHECK (
        from_status IN ('received', 'paid', 'in_preparation', 'ready', 'finished', 'cancelled')
    ),
    CONSTRAINT order_status_history_to_status_check CHECK (
        to_status IN ('received', 'paid', 'in_preparation', 'ready', 'finished', 'cancelled')
    ),
    -- Only the moves of the API-V1.md state machine can be recorded. v1 accepted any
    -- status on the admin PATCH; since the app writes history in the same transaction as
    -- the change, an illegal move now fails the whole transaction.
    -- (Written over a concatenation rather than OR-ed comparisons: a comparison with a NULL
    -- `from_status` is NULL, and CHECK lets NULL through.)
    CONSTRAINT order_status_history_transition_check CHECK (
        (coalesce(from_status, '') || '>' || to_status) IN (
            '>received',
            'received>paid', 'received>cancelled',
            'paid>in_preparation', 'paid>cancelled',
            'in_preparation>ready',
            'ready>finished'
        )
    ),
    CONSTRAINT order_status_history_actor_length_check CHECK (char_length(actor) BETWEEN 1 AND 150)
);

-- An order's history in time order (`GET /admin/pedidos/{id}`), and the referencing side
-- of order_status_history_order_id_fkey.
CREATE INDEX order_status_history_order_changed_idx ON order_status_history (order_id, changed_at, id);
