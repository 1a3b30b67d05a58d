-- Sentence vectors of messages: `history`'s second signal, beside its words (memory/store_vectors.py).
-- Written in the background after a message is stored, only where an embedding model is
-- installed (the `embed` extra); a message without a vector is ranked by its words alone.
-- `model` names the encoder (vectors of two models are never compared); `vector` is the
-- message's searchable text (message_search_body) as little-endian float32, empty when that
-- text is empty, NULL when the message changed since (to be embedded again). Messages are
-- embedded in id order, so what waits is the NULL rows and the messages above the highest
-- `message_id` here: both found through indexes, whatever the history's length.
-- `id` only grows (a vector written again gets a new one), so a process reads only new rows.
CREATE TABLE message_vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB
);

CREATE INDEX message_vectors_to_redo ON message_vectors (message_id) WHERE vector IS NULL;

-- A finished or replaced message is embedded again.
CREATE TRIGGER message_vectors_stale AFTER UPDATE OF content, tool_calls ON messages BEGIN
    UPDATE message_vectors SET vector = NULL WHERE message_id = new.id;
END;
