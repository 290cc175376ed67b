-- The menu cache of postech-app: each pod keeps the public product list as prepared answers
-- and drops them when it hears `postech_menu`. Anything that changes what the kiosk shows
-- writes `products` (an admin change, a checkout's or a cancellation's stock change, an
-- import, a script), so a statement trigger on the table is the one place that cannot be
-- forgotten. Delivered at commit only; PostgreSQL folds identical notifications of one
-- transaction into one, hence the fixed empty payload: "read the menu again".
CREATE FUNCTION postech_notify_menu() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('postech_menu', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER products_notify_menu
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION postech_notify_menu();
