-- SQLite migration 11 (perf): the pump's per-tick reads (`outbox.due_lanes`, `outbox.claim`).
-- "A push of this lane in flight" walked the lane's whole push history, and the due scan read
-- every outbox row, claimed and dead ones too. Both partial indexes hold only the rows those
-- reads want: a handful of claims, the unclaimed pending rows.
CREATE INDEX IF NOT EXISTS pushes_claimed ON pushes (property_id, kind) WHERE status = 'claimed';
CREATE INDEX IF NOT EXISTS outbox_unclaimed ON outbox (property_id, kind, updated_at, enqueued_at)
    WHERE status = 'pending' AND push_id IS NULL;
