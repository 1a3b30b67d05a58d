-- Long-term memories with provenance, anchors to code, and FTS5 (BM25) recall.
-- source: who asserted it (user / agent / derived by consolidation or checkpoints).
-- provenance: where the text came from, in words (required: R17).
-- untrusted = 1: the text was taken from tool output or file content.
-- tier: 'project' memories form the capped project memory; 'archive' ones are recall-only.
CREATE TABLE memories (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('user', 'agent', 'derived')),
    provenance TEXT NOT NULL CHECK (length(provenance) > 0),
    session_ids TEXT NOT NULL DEFAULT '[]',
    untrusted INTEGER NOT NULL DEFAULT 0 CHECK (untrusted IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'unverified'
        CHECK (status IN ('verified', 'unverified', 'stale')),
    tier TEXT NOT NULL DEFAULT 'project' CHECK (tier IN ('project', 'archive')),
    created_at TEXT NOT NULL,
    verified_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE memory_anchors (
    id INTEGER PRIMARY KEY,
    memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    symbol TEXT
);

CREATE INDEX memory_anchors_by_path ON memory_anchors (path);
CREATE INDEX memory_anchors_by_memory ON memory_anchors (memory_id);

CREATE VIRTUAL TABLE memories_fts USING fts5(text, kind, tokenize = 'unicode61');

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, text, kind) VALUES (new.id, new.text, new.kind);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memories_fts WHERE rowid = old.id;
END;

CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, kind ON memories BEGIN
    UPDATE memories_fts SET text = new.text, kind = new.kind WHERE rowid = new.id;
END;
