DROP TABLE v1_import_notes;

-- Fails while an imported order under 5.00 exists: reverting would otherwise have to delete
-- or alter history. Remove the imported orders first if reverting is really meant.
ALTER TABLE orders DROP CONSTRAINT orders_total_range_check;
ALTER TABLE orders ADD CONSTRAINT orders_total_range_check CHECK (total BETWEEN 5.00 AND 1000.00);

ALTER TABLE orders DROP COLUMN imported_from_v1;
