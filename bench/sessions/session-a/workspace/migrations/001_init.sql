-- 001_init: core shipment table
-- applied to prod 2023-06-02 by DBA (CHG0039120)
--
-- Written to run unchanged on Postgres 15 and on sqlite (local dev/tests).

CREATE TABLE shipments (
    id                  INTEGER PRIMARY KEY,
    carrier             TEXT NOT NULL,
    carrier_ref         TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'CREATED',
    origin_postal       TEXT,
    dest_postal         TEXT,
    weight_kg           NUMERIC(10, 2),
    pieces              INTEGER,
    declared_value_usd  NUMERIC(12, 2),
    consignee           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (carrier, carrier_ref)
);

CREATE INDEX ix_shipments_status ON shipments (status);
CREATE INDEX ix_shipments_updated_at ON shipments (updated_at);
