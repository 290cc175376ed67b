DROP INDEX customers_registration_pending_idx;
ALTER TABLE customers
    DROP COLUMN identity_confirmed_at,
    DROP COLUMN email_verified_at,
    DROP COLUMN email_verification_code_sha256,
    DROP COLUMN email_verification_expires_at,
    DROP COLUMN email_verification_failures;
