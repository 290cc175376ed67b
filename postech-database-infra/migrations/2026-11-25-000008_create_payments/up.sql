-- Payment attempts of an order (Mercado Pago QR code, or the simulated provider of local
-- runs). An order may have several attempts over time: a rejected or expired one does not
-- block a new one.
CREATE TABLE payments (
    id                  UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id            UUID          NOT NULL,
    -- `mercadopago` or `simulated`.
    provider            TEXT          NOT NULL,
    -- The provider's payment id (Mercado Pago `data.id` of the webhook), once known.
    provider_payment_id TEXT,
    -- The provider's id of the QR code / in-store order we created (`qrcode_id`).
    provider_reference  TEXT,
    status              TEXT          NOT NULL DEFAULT 'pending',
    amount              NUMERIC(10,2) NOT NULL,
    qr_data             TEXT,
    qr_code_url         TEXT,
    expires_at          TIMESTAMPTZ,
    -- When the provider approved the payment (`data_confirmacao`); set exactly when approved.
    confirmed_at        TIMESTAMPTZ,
    created_at          TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    -- Webhook lookups go by the provider's id; a replayed notification finds the same row.
    -- Unique per provider: two providers' id spaces may overlap.
    CONSTRAINT payments_provider_payment_id_key UNIQUE (provider, provider_payment_id),
    CONSTRAINT payments_provider_reference_key UNIQUE (provider, provider_reference),
    CONSTRAINT payments_provider_check CHECK (provider ~ '^[a-z][a-z0-9_]{1,31}$'),
    CONSTRAINT payments_status_check CHECK (
        status IN ('pending', 'approved', 'rejected', 'cancelled', 'expired')
    ),
    CONSTRAINT payments_amount_range_check CHECK (amount > 0 AND amount <= 1000.00),
    CONSTRAINT payments_confirmed_at_check CHECK ((status = 'approved') = (confirmed_at IS NOT NULL))
);

-- At most one pending payment per order: the QR-code route returns the pending one instead
-- of charging twice, and two concurrent requests cannot both create one.
CREATE UNIQUE INDEX payments_one_pending_per_order_key ON payments (order_id)
    WHERE status = 'pending';

-- At most one approved payment per order: an order is never paid twice.
CREATE UNIQUE INDEX payments_one_approved_per_order_key ON payments (order_id)
    WHERE status = 'approved';

-- "The stored payment of this order" (`GET /pagamentos/{pedido_id}/status`): the latest
-- attempt; also the referencing side of payments_order_id_fkey.
CREATE INDEX payments_order_created_idx ON payments (order_id, created_at DESC);

CREATE TRIGGER payments_set_updated_at
    BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION postech_set_updated_at();
