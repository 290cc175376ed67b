-- The four menu categories. Their ids are part of the v1 wire contract (kiosks hard-code
-- them), so they are seeded here with fixed values instead of being generated.
CREATE TABLE categories (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT categories_name_key UNIQUE (name),
    CONSTRAINT categories_name_length_check CHECK (char_length(name) BETWEEN 1 AND 50)
);

INSERT INTO categories (id, name) VALUES
    ('fcab78d9-c377-41f4-bf34-03d1a8bdbd89', 'Lanche'),
    ('e8b1d3d4-738b-4207-9b2b-2c087858d7a7', 'Acompanhamento'),
    ('6b2e43a7-8764-48ec-8f7a-65134c8c1b9e', 'Bebida'),
    ('d290f1ee-6c54-4b01-90e6-d701748f0851', 'Sobremesa');
