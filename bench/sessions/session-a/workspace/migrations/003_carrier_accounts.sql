-- 003_carrier_accounts: which carriers we have contracts with
-- applied to prod 2024-01-22 by DBA (CHG0043302)

CREATE TABLE carrier_accounts (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    account_no   TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO carrier_accounts (code, name, account_no, active) VALUES
    ('MRDH', 'Meridian Haul', 'MH-40112', 1),
    ('NRTX', 'Northline Express', 'NX-7781-TG', 1),
    ('PKLX', 'Pakelux Spedition', 'PK-DE-20931', 1),
    ('CSWY', 'Coastway Freight', 'CW-1189', 0);
