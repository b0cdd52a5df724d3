-- The middleware's durable state. Applied at start; PRAGMA user_version steps migrations
-- (see store/db.py: MIGRATIONS). Times are UTC ISO-8601 text with microseconds and "Z",
-- so they sort as text; hotel dates ("day") are YYYY-MM-DD in the property's timezone.

-- ARI: the last state Channex accepted, one row per field of a cell.
CREATE TABLE IF NOT EXISTS ari_state (
    property_id TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('availability', 'restrictions')),
    entity_id   TEXT NOT NULL,              -- Channex room_type_id or rate_plan_id
    day         TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,              -- canonical text: int, true/false, decimal string
    pushed_at   TEXT NOT NULL,
    PRIMARY KEY (property_id, kind, entity_id, day, field)
) WITHOUT ROWID;

-- Outbox: pending field changes; one row per cell field, so a newer write replaces an older
-- one (last write wins) and a lane's rows coalesce into one push.
CREATE TABLE IF NOT EXISTS outbox (
    property_id TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('availability', 'restrictions')),
    entity_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    enqueued_at TEXT NOT NULL,              -- when this cell field first became pending
    updated_at  TEXT NOT NULL,              -- last write
    push_id     INTEGER,                    -- set while a push carries this row
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
    last_error  TEXT,
    full_sync   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (property_id, kind, entity_id, day, field)
);
CREATE INDEX IF NOT EXISTS outbox_lane ON outbox (property_id, kind, status, push_id);

-- One row per push of a lane's batch: the claim, its outcome, and the outbound audit.
CREATE TABLE IF NOT EXISTS pushes (
    id              INTEGER PRIMARY KEY,
    property_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL
        CHECK (status IN ('claimed', 'sent', 'partial', 'failed', 'rejected', 'released')),
    claimed_at      TEXT NOT NULL,
    lease_until     TEXT NOT NULL,
    finished_at     TEXT,
    cells           INTEGER NOT NULL,
    values_count    INTEGER,
    bytes           INTEGER,
    calls           INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 1,
    payload_sha256  TEXT,
    task_ids        TEXT,                   -- JSON array of Channex task ids
    warnings        TEXT,                   -- JSON array of Channex meta.warnings
    error           TEXT,
    duration_ms     INTEGER,
    full_sync       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pushes_lane ON pushes (property_id, kind, id);
CREATE INDEX IF NOT EXISTS pushes_status ON pushes (status, lease_until);

-- What a claimed push carries, snapshotted at claim time: a write to a field while it is in
-- flight replaces the outbox value, so completion records into ari_state what actually flew.
-- Removed when the push finishes.
CREATE TABLE IF NOT EXISTS push_cells (
    push_id   INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    day       TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (push_id, entity_id, day, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_push ON outbox (push_id) WHERE push_id IS NOT NULL;

-- Per (property, endpoint class): retry backoff and the 429 pause.
CREATE TABLE IF NOT EXISTS lanes (
    property_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    pause_count     INTEGER NOT NULL DEFAULT 0,
    paused_until    TEXT,
    last_push_at    TEXT,
    last_success_at TEXT,
    last_error      TEXT,
    PRIMARY KEY (property_id, kind)
);

-- Rate limiter: send times of recent calls per lane (a sliding window that survives restarts).
CREATE TABLE IF NOT EXISTS rate_calls (
    property_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sent_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_calls_lane ON rate_calls (property_id, kind, sent_at);

-- Audit: one row per outbound HTTP call, bodies masked and truncated.
CREATE TABLE IF NOT EXISTS http_calls (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    service       TEXT NOT NULL,
    method        TEXT NOT NULL,
    url           TEXT NOT NULL,
    status        INTEGER,
    duration_ms   INTEGER NOT NULL,
    request_body  TEXT,
    response_body TEXT,
    error         TEXT
);

-- Inbound webhook events, stored raw before the 200.
CREATE TABLE IF NOT EXISTS webhook_events (
    id          INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    event       TEXT NOT NULL,
    property_id TEXT,
    booking_id  TEXT,
    revision_id TEXT,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL
        CHECK (status IN ('received', 'queued', 'duplicate', 'noted', 'ignored', 'failed')),
    detail      TEXT
);
CREATE INDEX IF NOT EXISTS webhook_events_status ON webhook_events (status, id);

-- Booking revisions to apply: one row per revision id, the dedup key.
CREATE TABLE IF NOT EXISTS revisions (
    revision_id     TEXT PRIMARY KEY,
    booking_id      TEXT,
    property_id     TEXT,
    source          TEXT NOT NULL,          -- webhook | feed | admin
    status          TEXT NOT NULL
        CHECK (status IN ('pending', 'applied', 'acked', 'stale', 'parked')),
    revision_status TEXT,                   -- new | modified | cancelled (once fetched)
    inserted_at     TEXT,                   -- Channex's inserted_at (once fetched)
    received_at     TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    reason          TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_due ON revisions (status, next_attempt_at);

-- Channex booking <-> sistema-os bookings (one per room).
CREATE TABLE IF NOT EXISTS bookings (
    channex_booking_id TEXT PRIMARY KEY,
    property_id        TEXT,
    ota_code           TEXT,
    status             TEXT NOT NULL,       -- new | modified | cancelled
    last_revision_id   TEXT,
    last_inserted_at   TEXT,
    imported           INTEGER NOT NULL DEFAULT 0,
    updated_at         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS booking_rooms (
    channex_booking_id TEXT NOT NULL,
    room_index         INTEGER NOT NULL,
    pms_booking_id     TEXT,
    status             TEXT NOT NULL,       -- active | cancelled
    applied            TEXT,                -- JSON of the last PMS payload applied
    last_revision_id   TEXT,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (channex_booking_id, room_index)
);

-- Things a person must see: Channex notices, parked bookings, dead letters, warnings.
CREATE TABLE IF NOT EXISTS notices (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    property_id TEXT,
    ref         TEXT,
    detail      TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX IF NOT EXISTS notices_open ON notices (resolved_at, kind);

-- Process heartbeats and small named values (last full sync, ...).
CREATE TABLE IF NOT EXISTS heartbeats (
    name   TEXT PRIMARY KEY,
    at     TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- ARI sync requests (from /webhook/pms, /sync/*, the poll and the nightly schedule), processed
-- by the worker: a durable 202, so a trigger is never lost between the answer and the PMS read.
CREATE TABLE IF NOT EXISTS sync_requests (
    id              INTEGER PRIMARY KEY,
    requested_at    TEXT NOT NULL,
    source          TEXT NOT NULL,          -- pms_webhook | sync_full | sync_incremental | poll | nightly | booking
    full_sync       INTEGER NOT NULL DEFAULT 0,
    room_codes      TEXT,                   -- JSON array, NULL = all
    date_from       TEXT,                   -- NULL = today
    date_to         TEXT,                   -- NULL = end of the horizon
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    finished_at     TEXT,
    error           TEXT
);
CREATE INDEX IF NOT EXISTS sync_requests_due ON sync_requests (status, next_attempt_at);

-- Channex parity: read-backs wanted (an `ari` webhook named these days), merged per lane.
CREATE TABLE IF NOT EXISTS parity_requests (
    property_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    date_from    TEXT NOT NULL,
    date_to      TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (property_id, kind)
);

-- Channex parity: fields found to differ from the PMS and queued to heal, until a read-back
-- finds them equal (then the time from drift to healed is observed and the row removed).
CREATE TABLE IF NOT EXISTS parity_drift (
    property_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    field       TEXT NOT NULL,
    found_at    TEXT NOT NULL,
    heals       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (property_id, kind, entity_id, day, field)
) WITHOUT ROWID;


-- Properties put live: nothing is pushed to Channex for a property before its row is here.
-- Written once, by the first `sync full` (route or CLI), with when and by whom.
CREATE TABLE IF NOT EXISTS live_properties (
    property_id TEXT PRIMARY KEY,
    live_since  TEXT NOT NULL,
    put_live_by TEXT NOT NULL
);

-- What a person reads about each fetched booking revision (channel, code, guest, stay, rooms,
-- amount, who collects): JSON of `domain.revision_facts`, no e-mail, phone or card number.
CREATE TABLE IF NOT EXISTS revision_facts (
    revision_id TEXT PRIMARY KEY,
    fetched_at  TEXT NOT NULL,
    facts       TEXT NOT NULL
);
