-- The kitchen event stream (postech-app, `GET /v1/api/admin/pedidos/eventos`) reads
-- `order_status_history` as its event log: one row per order creation and per status change,
-- written in the same transaction as the change.
--
-- Identity values are handed out when a row is inserted, not when its transaction commits, so
-- a reader that remembered "the last id I saw" could skip a row of id 10 that commits after
-- the row of id 11 it already read. Each row therefore records the id of the transaction that
-- wrote it, and a reader remembers the snapshot it read under (`pg_current_snapshot()`): the
-- rows written after it are exactly those whose transaction that snapshot did not see
-- (`NOT pg_visible_in_snapshot(transaction_id, <snapshot>)`), whatever their commit order.
--
-- NULL for the rows written before this migration: no reader holds a snapshot that old. Added
-- without a default so that adding it rewrites nothing; a trigger sets it on every new row, so
-- that no writer (the app, an import, a script) can leave it out or set it wrong.
ALTER TABLE order_status_history ADD COLUMN transaction_id xid8;

-- "Rows whose transaction is at or above a snapshot's xmin": the readers' range, small as
-- the writes since the oldest transaction still running when the reader's snapshot was taken.
CREATE INDEX order_status_history_transaction_idx
    ON order_status_history (transaction_id, id);

CREATE FUNCTION postech_stamp_transaction_id() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.transaction_id := pg_current_xact_id();
    RETURN NEW;
END;
$$;

CREATE TRIGGER order_status_history_stamp_transaction_id
    BEFORE INSERT ON order_status_history
    FOR EACH ROW EXECUTE FUNCTION postech_stamp_transaction_id();

-- Wakes the app pods listening on `postech_kitchen` (LISTEN/NOTIFY reaches every session of
-- the database, so every pod hears every pod's changes). Delivered at commit, never for a
-- rolled-back transaction; PostgreSQL folds identical notifications of one transaction into
-- one, hence a fixed empty payload: a notification only says "read the log again", and the
-- readers re-read the state from the tables.
CREATE FUNCTION postech_notify_kitchen() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('postech_kitchen', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER order_status_history_notify_kitchen
    AFTER INSERT ON order_status_history
    FOR EACH STATEMENT EXECUTE FUNCTION postech_notify_kitchen();
