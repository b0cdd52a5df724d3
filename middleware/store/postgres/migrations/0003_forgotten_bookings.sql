-- Retention of finished bookings (`store.retention`; SQLite migration 9): what is kept of a
-- forgotten booking, and the index that finds a booking's revisions. No PostgreSQL
-- `Retention` implementation yet: the table keeps the schema the same as SQLite's.
CREATE TABLE forgotten_bookings (
    channex_booking_id text PRIMARY KEY,
    property_id        text,
    ota_code           text,
    departure          date,
    forgotten_at       timestamptz NOT NULL,
    last_revision_id   text
);
CREATE INDEX revisions_booking ON revisions (booking_id);
