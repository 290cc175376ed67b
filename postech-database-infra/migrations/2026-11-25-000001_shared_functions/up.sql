-- Keeps `updated_at` true without trusting every writer to remember it: v1 had no
-- modification timestamps at all, so "when did this change" could not be answered.
CREATE FUNCTION postech_set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;
