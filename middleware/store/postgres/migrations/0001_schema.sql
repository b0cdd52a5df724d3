-- The middleware's durable state on PostgreSQL: the SQLite schema at its version 7
-- (store/schema.sql + store/db.py MIGRATIONS 2..7) with PostgreSQL types. Instants are
-- timestamptz, hotel days are date, flags boolean, generated ids bigint identity. Texts the
-- store hands back byte for byte (webhook payloads, applied PMS payloads, facts) stay text;
-- JSON the store only parses (task ids, warnings, room codes) is jsonb.

-- ARI: the last state Channex accepted, one row per field of a cell.
CREATE TABLE ari_state (
    property_id text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('availability', 'restrictions')),
    entity_id   text NOT NULL,
    day         date NOT NULL,
    field       text NOT NULL,
    value       text NOT NULL,
    pushed_at   timestamptz NOT NULL,
    PRIMARY KEY (property_id, kind, entity_id, day, field)
);

-- Outbox: pending field changes, one row per cell field (see store/outbox.py).
CREATE TABLE outbox (
    property_id text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('availability', 'restrictions')),
    entity_id   text NOT NULL,
    day         date NOT NULL,
    field       text NOT NULL,
    value       text NOT NULL,
    enqueued_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    push_id     bigint,
    attempts    integer NOT NULL DEFAULT 0,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
    last_error  text,
    full_sync   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (property_id, kind, entity_id, day, field)
);
CREATE INDEX outbox_lane ON outbox (property_id, kind, status, push_id);
CREATE INDEX outbox_push ON outbox (push_id) WHERE push_id IS NOT NULL;

CREATE TABLE pushes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    property_id     text NOT NULL,
    kind            text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    status          text NOT NULL
        CHECK (status IN ('claimed', 'sent', 'partial', 'failed', 'rejected', 'released')),
    claimed_at      timestamptz NOT NULL,
    lease_until     timestamptz NOT NULL,
    finished_at     timestamptz,
    cells           integer NOT NULL,
    values_count    integer,
    bytes           integer,
    calls           integer,
    attempts        integer NOT NULL DEFAULT 1,
    payload_sha256  text,
    task_ids        jsonb,
    warnings        jsonb,
    error           text,
    duration_ms     integer,
    full_sync       boolean NOT NULL DEFAULT false
);
CREATE INDEX pushes_lane ON pushes (property_id, kind, id);
CREATE INDEX pushes_status ON pushes (status, lease_until);
CREATE INDEX pushes_finished ON pushes (finished_at);

CREATE TABLE push_cells (
    push_id   bigint NOT NULL,
    entity_id text NOT NULL,
    day       date NOT NULL,
    field     text NOT NULL,
    value     text NOT NULL,
    PRIMARY KEY (push_id, entity_id, day, field)
);

-- Per (property, endpoint class): retry backoff and the 429 pause. The row is also the lock
-- the lane's rate log and outbox writes are taken under (SELECT ... FOR UPDATE). `recorded`:
-- an outcome or a pause was written (the rows SQLite has); a row made only to lock is not
-- listed by `states` unless its lane has calls in the window, as on SQLite.
CREATE TABLE lanes (
    property_id     text NOT NULL,
    kind            text NOT NULL,
    failures        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    pause_count     integer NOT NULL DEFAULT 0,
    paused_until    timestamptz,
    last_push_at    timestamptz,
    last_success_at timestamptz,
    last_error      text,
    recorded        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (property_id, kind)
);

-- Rate limiter: the sliding log of recent calls per lane. `answered`: `call_answered` has
-- moved the entry to the answer time.
CREATE TABLE rate_calls (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    property_id text NOT NULL,
    kind        text NOT NULL,
    sent_at     timestamptz NOT NULL,
    answered    boolean NOT NULL DEFAULT false
);
CREATE INDEX rate_calls_lane ON rate_calls (property_id, kind, sent_at);

CREATE TABLE http_calls (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL,
    service       text NOT NULL,
    method        text NOT NULL,
    url           text NOT NULL,
    status        integer,
    duration_ms   integer NOT NULL,
    request_body  text,
    response_body text,
    error         text
);
CREATE INDEX http_calls_at ON http_calls (at);

CREATE TABLE webhook_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL,
    event       text NOT NULL,
    property_id text,
    booking_id  text,
    revision_id text,
    payload     text NOT NULL,
    status      text NOT NULL
        CHECK (status IN ('received', 'queued', 'duplicate', 'noted', 'ignored', 'failed')),
    detail      text
);
CREATE INDEX webhook_events_status ON webhook_events (status, id);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

CREATE TABLE revisions (
    revision_id     text PRIMARY KEY,
    booking_id      text,
    property_id     text,
    source          text NOT NULL,
    status          text NOT NULL CHECK (status IN
        ('pending', 'applied', 'acked', 'stale', 'parked', 'handled', 'unknown')),
    revision_status text,
    inserted_at     timestamptz,
    received_at     timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    reason          text,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX revisions_due ON revisions (status, next_attempt_at);

CREATE TABLE revision_handling (
    revision_id  text PRIMARY KEY,
    handled_by   text NOT NULL,
    reason       text NOT NULL,
    handled_at   timestamptz NOT NULL,
    prior_status text NOT NULL,
    prior_reason text,
    channex_ack  text NOT NULL DEFAULT 'pending'
        CHECK (channex_ack IN ('pending', 'acked', 'failed', 'not_needed', 'not_sent')),
    ack_detail   text,
    ack_at       timestamptz
);

CREATE TABLE bookings (
    channex_booking_id text PRIMARY KEY,
    property_id        text,
    ota_code           text,
    status             text NOT NULL,
    last_revision_id   text,
    last_inserted_at   timestamptz,
    imported           boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL
);
CREATE TABLE booking_rooms (
    channex_booking_id text NOT NULL,
    room_index         integer NOT NULL,
    pms_booking_id     text,
    status             text NOT NULL,
    applied            text,
    last_revision_id   text,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (channex_booking_id, room_index)
);

CREATE TABLE notices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    property_id text,
    ref         text,
    detail      text NOT NULL,
    resolved_at timestamptz
);
CREATE INDEX notices_open ON notices (resolved_at, kind);
CREATE INDEX notices_resolved_at ON notices (resolved_at);

CREATE TABLE heartbeats (
    name   text PRIMARY KEY,
    at     timestamptz NOT NULL,
    detail text
);
CREATE TABLE kv (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE sync_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_at    timestamptz NOT NULL,
    source          text NOT NULL,
    full_sync       boolean NOT NULL DEFAULT false,
    room_codes      jsonb,
    date_from       date,
    date_to         date,
    status          text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    finished_at     timestamptz,
    error           text,
    property_id     text
);
CREATE INDEX sync_requests_due ON sync_requests (status, next_attempt_at);
CREATE INDEX sync_requests_property ON sync_requests (property_id, status);

CREATE TABLE parity_requests (
    property_id  text NOT NULL,
    kind         text NOT NULL,
    date_from    date NOT NULL,
    date_to      date NOT NULL,
    requested_at timestamptz NOT NULL,
    PRIMARY KEY (property_id, kind)
);
CREATE TABLE parity_drift (
    property_id text NOT NULL,
    kind        text NOT NULL,
    entity_id   text NOT NULL,
    day         date NOT NULL,
    field       text NOT NULL,
    found_at    timestamptz NOT NULL,
    heals       integer NOT NULL DEFAULT 1,
    PRIMARY KEY (property_id, kind, entity_id, day, field)
);

CREATE TABLE live_properties (
    property_id text PRIMARY KEY,
    live_since  timestamptz NOT NULL,
    put_live_by text NOT NULL
);

CREATE TABLE revision_facts (
    revision_id text PRIMARY KEY,
    fetched_at  timestamptz NOT NULL,
    facts       text NOT NULL
);

CREATE TABLE wakeups (
    wakeup_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work      text NOT NULL CHECK (work IN ('process_bookings', 'poll_feed', 'parity_check')),
    asked_by  text NOT NULL,
    asked_at  timestamptz NOT NULL,
    taken_until timestamptz,
    done_at   timestamptz,
    result    text
);
CREATE INDEX wakeups_open ON wakeups (work, done_at);
