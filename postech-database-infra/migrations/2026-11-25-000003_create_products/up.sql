-- The menu. Money is NUMERIC(10,2): exact decimal arithmetic, where v1's double precision
-- produced totals such as 50.699999999999996. Products are deactivated (`active = false`),
-- never deleted, because past orders point at them.
CREATE TABLE products (
    id              UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    category_id     UUID          NOT NULL,
    name            TEXT          NOT NULL,
    description     TEXT          NOT NULL,
    price           NUMERIC(10,2) NOT NULL,
    image_url       TEXT,
    stock_available INTEGER       NOT NULL DEFAULT 0,
    active          BOOLEAN       NOT NULL DEFAULT true,
    created_at      TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ   NOT NULL DEFAULT now(),
    -- RESTRICT: a category with products cannot disappear from under the menu.
    CONSTRAINT products_category_id_fkey FOREIGN KEY (category_id)
        REFERENCES categories (id) ON DELETE RESTRICT,
    CONSTRAINT products_name_length_check CHECK (char_length(name) BETWEEN 3 AND 100),
    CONSTRAINT products_description_length_check
        CHECK (char_length(description) BETWEEN 10 AND 500),
    CONSTRAINT products_price_range_check CHECK (price > 0 AND price <= 1000.00),
    CONSTRAINT products_stock_range_check CHECK (stock_available BETWEEN 0 AND 10000),
    CONSTRAINT products_image_url_length_check CHECK (char_length(image_url) <= 2048)
);

-- Serves the public menu filtered by category (`GET /produtos/?categoria_id=`), which only
-- ever shows active products; the partial predicate keeps retired items out of the index.
CREATE INDEX products_active_category_idx ON products (category_id, name) WHERE active;

-- PostgreSQL does not index the referencing side of a foreign key by itself. Without this,
-- every category-side check of products_category_id_fkey scans the whole table.
CREATE INDEX products_category_id_idx ON products (category_id);

CREATE TRIGGER products_set_updated_at
    BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION postech_set_updated_at();
