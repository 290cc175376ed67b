-- Registration without a transaction held across the Cognito call, and without squatting
-- (issues #12 and #13). A CPF registration commits its row first, *pending*, then creates the
-- Cognito identity, then records that it did (`identity_confirmed_at`); a reconciler finishes
-- or undoes rows left pending. The row becomes usable beyond kiosk ordering only once the
-- customer typed back the code e-mailed to them (`email_verified_at`).
ALTER TABLE customers
    ADD COLUMN identity_confirmed_at timestamptz,
    ADD COLUMN email_verified_at timestamptz,
    -- SHA-256 (hex) of the pending e-mail verification code, never the code itself.
    ADD COLUMN email_verification_code_sha256 text,
    ADD COLUMN email_verification_expires_at timestamptz,
    ADD COLUMN email_verification_failures integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT customers_email_verification_code_check
        CHECK (email_verification_code_sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT customers_email_verification_failures_check
        CHECK (email_verification_failures >= 0);

-- Customers registered before this migration were created together with their identity in
-- one transaction, and are kept usable (their e-mail counts as verified: they registered
-- under the v1 rules, and their step-up still needs the e-mailed one-time code).
UPDATE customers
SET identity_confirmed_at = created_at,
    email_verified_at = CASE WHEN email IS NOT NULL THEN created_at END
WHERE cognito_username IS NOT NULL;

-- The reconciler's sweep reads the rows whose identity is still unconfirmed or whose
-- e-mail is still unverified: a partial index keeps it off the whole table.
CREATE INDEX customers_registration_pending_idx ON customers (created_at)
    WHERE cognito_username IS NOT NULL
      AND (identity_confirmed_at IS NULL OR email_verified_at IS NULL);
