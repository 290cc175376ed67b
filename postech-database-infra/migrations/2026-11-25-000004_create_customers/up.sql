-- Customers, named or anonymous (every column but the id may be NULL: v1 created an
-- anonymous customer for an empty registration body, and the contract keeps that).
CREATE TABLE customers (
    id               UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    name             TEXT,
    email            TEXT,
    -- Exactly 11 digits, never the formatted `123.456.789-09`: v1 stored CPFs as typed, so
    -- the same person could be registered twice. Check digits are validated by the app (SDK
    -- `cpf` module); the database guarantees the one canonical form that makes UNIQUE work.
    cpf              CHAR(11),
    -- The customer's Amazon Cognito username (ARCHITECTURE.md: the CPF for customers). NULL
    -- for customers without a Cognito identity (anonymous ones).
    cognito_username TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT customers_cpf_key UNIQUE (cpf),
    CONSTRAINT customers_cognito_username_key UNIQUE (cognito_username),
    CONSTRAINT customers_cpf_digits_check CHECK (cpf ~ '^[0-9]{11}$'),
    CONSTRAINT customers_name_length_check CHECK (char_length(name) BETWEEN 1 AND 150),
    CONSTRAINT customers_email_format_check
        CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    CONSTRAINT customers_cognito_username_length_check
        CHECK (char_length(cognito_username) BETWEEN 1 AND 128)
);

-- E-mail addresses are unique whatever their case: `Ana@x.com` and `ana@x.com` are one
-- person. The same expression serves the app's case-insensitive lookup by e-mail.
CREATE UNIQUE INDEX customers_email_lower_key ON customers (lower(email));

CREATE TRIGGER customers_set_updated_at
    BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION postech_set_updated_at();
