-- Structured checkpoints written in the background, cross-process leases, and small settings.
-- A checkpoint covers a session's messages with seq in [first_seq, last_seq]; the unique key
-- makes "each range summarised once" a constraint, not a hope.
CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    threshold REAL,
    data TEXT NOT NULL,
    tokens INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (session_id, last_seq)
);

-- Single-flight across processes: a row names the owner and when its claim expires, so a
-- crashed owner blocks nobody for longer than the lease (unlike a file lock left behind).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
