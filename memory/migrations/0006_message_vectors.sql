-- Sentence vectors of messages: `history`'s second signal, beside its words (memory/store_vectors.py).
-- Written in the background after a message is stored, only where an embedding model is
-- installed (the `embed` extra); a message without a row is ranked by its words alone.
-- `model` names the encoder (vectors of two models are never compared); `vector` is the
-- message's searchable text (message_search_body) as little-endian float32, empty when that
-- text is empty. `id` only grows, so a process reads only the rows added since its last look.
CREATE TABLE message_vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL
);

-- A finished or replaced message is embedded again.
CREATE TRIGGER message_vectors_stale AFTER UPDATE OF content, tool_calls ON messages BEGIN
    DELETE FROM message_vectors WHERE message_id = new.id;
END;
