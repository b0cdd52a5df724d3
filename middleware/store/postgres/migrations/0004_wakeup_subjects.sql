-- SQLite migration 10 (webwork): the web makes no Channex call for the console and the
-- handled-ack, so wake-ups gain the kinds the web asks the worker for and a `subject` (a
-- revision, a calendar month: `store.wakeups.latest`). The unserved categorias are kept per
-- property (`store.pms_rooms`, key `pms_unserved_by_property`): the record without
-- properties and its open notices go; each hotel's next PMS read finds its own again.
ALTER TABLE wakeups DROP CONSTRAINT wakeups_work_check;
ALTER TABLE wakeups ADD CONSTRAINT wakeups_work_check CHECK (work IN ('process_bookings',
    'poll_feed', 'parity_check', 'ack_handled', 'read_back', 'read_catalog'));
ALTER TABLE wakeups ADD COLUMN subject text;
CREATE INDEX wakeups_subject ON wakeups (work, subject, wakeup_id);
DELETE FROM kv WHERE key = 'pms_unserved_categorias';
UPDATE notices SET resolved_at = now()
    WHERE kind = 'pms_categoria_not_served' AND resolved_at IS NULL;
