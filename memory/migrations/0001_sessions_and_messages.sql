-- Sessions and their raw transcript, searchable with FTS5 (BM25).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    title TEXT,
    origin TEXT NOT NULL DEFAULT 'chat',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per chat message. `seq` orders a session's messages; `complete` = 0 marks a reply
-- that was cut off (no finish reason) and must never be replayed as if it were whole.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT,
    tool_calls TEXT,
    tool_call_id TEXT,
    name TEXT,
    tokens INTEGER,
    complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (session_id, seq)
);

CREATE VIRTUAL TABLE messages_fts USING fts5(body, tokenize = 'unicode61');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body)
    VALUES (new.id, coalesce(new.content, '') || ' ' || coalesce(new.tool_calls, ''));
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.id;
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, tool_calls ON messages BEGIN
    UPDATE messages_fts
    SET body = coalesce(new.content, '') || ' ' || coalesce(new.tool_calls, '')
    WHERE rowid = new.id;
END;
