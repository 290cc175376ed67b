DROP FUNCTION postech_set_updated_at();
