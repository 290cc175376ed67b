ALTER TABLE payments DROP COLUMN qr_code_base64;
