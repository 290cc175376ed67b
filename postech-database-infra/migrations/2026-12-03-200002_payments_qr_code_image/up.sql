-- The QR code as a picture: a PNG, base64-encoded, as Mercado Pago's Pix answer carries it
-- (`point_of_interaction.transaction_data.qr_code_base64`), or as the app renders it from
-- `qr_data` for the simulated provider. Stored with the charge, so a repeated QR-code request
-- returns the provider's own picture without asking the provider again. NULL for charges
-- created before this column existed: the app renders those from `qr_data`.
ALTER TABLE payments ADD COLUMN qr_code_base64 TEXT;

-- Mercado Pago's pictures are a few kilobytes; 256 KiB is far above any QR code of a Pix
-- payload and keeps a broken answer from filling the table.
ALTER TABLE payments ADD CONSTRAINT payments_qr_code_base64_length_check
    CHECK (char_length(qr_code_base64) <= 262144);
