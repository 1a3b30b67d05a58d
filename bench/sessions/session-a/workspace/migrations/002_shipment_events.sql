-- 002_shipment_events: one row per carrier scan
-- applied to prod 2023-09-14 by DBA (CHG0041877)
--
-- dedupe_key = sha1(carrier|carrier_ref|event_code|scanned_at) so that
-- re-importing a manifest never duplicates events.

CREATE TABLE shipment_events (
    id           INTEGER PRIMARY KEY,
    shipment_id  INTEGER NOT NULL REFERENCES shipments (id),
    code         TEXT NOT NULL,
    scanned_at   TEXT NOT NULL,
    location     TEXT,
    source_file  TEXT,
    raw          TEXT,
    dedupe_key   TEXT NOT NULL
);

CREATE UNIQUE INDEX ux_shipment_events_dedupe ON shipment_events (dedupe_key);
CREATE INDEX ix_shipment_events_scanned_at ON shipment_events (scanned_at);
