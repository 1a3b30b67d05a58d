-- Search index v2, rebuilt from the rows already stored.
-- * Stemmed (porter): "research" finds "Researching".
-- * A message is indexed by its content and the *values* of its tool-call arguments, never by
--   the JSON syntax around them ({"path": ...} made every read match "path").
-- * The output of the memory search tools (history, recall) and their arguments are not
--   indexed: they only echo other messages, and made a search find the previous search.
-- * Each message also carries, at a low weight, the start of its neighbours (two before, one
--   after, same session): an answer is found by the words of the question it answers, a tool
--   result by the path or command that produced it. Its date is indexed as words too.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;

CREATE VIEW message_search_body AS
SELECT
    m.id,
    m.session_id,
    m.seq,
    CASE WHEN m.role = 'tool' AND m.name IN ('history', 'recall') THEN '' ELSE trim(
        coalesce(m.content, '') || ' ' || coalesce((
            SELECT group_concat(a.value, ' ')
            FROM json_each(CASE WHEN json_valid(m.tool_calls) THEN m.tool_calls ELSE '[]' END) AS c,
                json_tree(CASE
                    WHEN json_valid(json_extract(c.value, '$.function.arguments'))
                        THEN json_extract(c.value, '$.function.arguments')
                    ELSE json_quote(coalesce(json_extract(c.value, '$.function.arguments'), ''))
                END) AS a
            WHERE a.type IN ('text', 'integer', 'real')
                AND coalesce(json_extract(c.value, '$.function.name'), '') NOT IN ('history', 'recall')
        ), '')
    ) END AS body
FROM messages AS m;

CREATE VIEW message_search_row AS
SELECT
    b.id,
    b.body,
    trim(
        coalesce((SELECT substr(n.body, 1, 250) FROM message_search_body AS n
                  WHERE n.session_id = b.session_id AND n.seq = b.seq - 2), '') || ' ' ||
        coalesce((SELECT substr(n.body, 1, 250) FROM message_search_body AS n
                  WHERE n.session_id = b.session_id AND n.seq = b.seq - 1), '') || ' ' ||
        coalesce((SELECT substr(n.body, 1, 250) FROM message_search_body AS n
                  WHERE n.session_id = b.session_id AND n.seq = b.seq + 1), '')
    ) AS context,
    strftime('%Y-%m-%d', m.created_at) || ' ' ||
        cast(strftime('%d', m.created_at) AS INTEGER) || ' ' ||
        json_extract('["January","February","March","April","May","June","July","August",'
            || '"September","October","November","December"]',
            '$[' || (cast(strftime('%m', m.created_at) AS INTEGER) - 1) || ']') || ' ' ||
        strftime('%Y', m.created_at) || ' ' ||
        json_extract('["Sunday","Monday","Tuesday","Wednesday","Thursday","Friday","Saturday"]',
            '$[' || strftime('%w', m.created_at) || ']') AS stamp
FROM message_search_body AS b JOIN messages AS m ON m.id = b.id;

CREATE VIRTUAL TABLE messages_fts USING fts5(body, context, stamp, tokenize = 'porter unicode61');

INSERT INTO messages_fts (rowid, body, context, stamp)
SELECT id, body, context, coalesce(stamp, '') FROM message_search_row;

-- A new message is indexed, and the one before it learns its new neighbour.
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid IN (
        SELECT id FROM messages WHERE session_id = new.session_id AND seq = new.seq - 1);
    INSERT INTO messages_fts (rowid, body, context, stamp)
    SELECT id, body, context, coalesce(stamp, '') FROM message_search_row WHERE id IN (
        new.id, (SELECT id FROM messages WHERE session_id = new.session_id AND seq = new.seq - 1));
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.id;
END;

-- A finished or replaced message is re-indexed with the neighbours that quote it.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, tool_calls ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid IN (
        SELECT id FROM messages WHERE session_id = new.session_id
            AND seq BETWEEN new.seq - 1 AND new.seq + 2);
    INSERT INTO messages_fts (rowid, body, context, stamp)
    SELECT r.id, r.body, r.context, coalesce(r.stamp, '') FROM message_search_row AS r WHERE r.id IN (
        SELECT id FROM messages WHERE session_id = new.session_id
            AND seq BETWEEN new.seq - 1 AND new.seq + 2);
END;

-- Long-term memories: the same text, now stemmed.
DROP TRIGGER memories_fts_insert;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_update;
DROP TABLE memories_fts;

CREATE VIRTUAL TABLE memories_fts USING fts5(text, kind, tokenize = 'porter unicode61');

INSERT INTO memories_fts (rowid, text, kind) SELECT id, text, kind FROM memories;

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, text, kind) VALUES (new.id, new.text, new.kind);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memories_fts WHERE rowid = old.id;
END;

CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, kind ON memories BEGIN
    UPDATE memories_fts SET text = new.text, kind = new.kind WHERE rowid = new.id;
END;

-- What `recall` searches besides long-term memories, from the first checkpoint on: every line of
-- every checkpoint (section = its top-level key, "narrative.<key>" for the model's notes) and
-- the session titles (section 'title', ref = 0).
CREATE VIRTUAL TABLE notes_fts USING fts5(
    text, section UNINDEXED, session_id UNINDEXED, ref UNINDEXED, tokenize = 'porter unicode61'
);

CREATE VIEW checkpoint_lines AS
SELECT
    c.id AS checkpoint_id,
    c.session_id,
    t.value AS text,
    CASE
        WHEN t.path = '$' THEN t.key
        WHEN typeof(t.key) = 'integer' THEN replace(substr(t.path, 3), '"', '')
        ELSE replace(substr(t.path, 3), '"', '') || '.' || t.key
    END AS section
FROM checkpoints AS c, json_tree(CASE WHEN json_valid(c.data) THEN c.data ELSE '{}' END) AS t
WHERE t.type = 'text' AND length(trim(t.value)) > 0;

INSERT INTO notes_fts (text, section, session_id, ref)
SELECT text, section, session_id, checkpoint_id FROM checkpoint_lines;

INSERT INTO notes_fts (text, section, session_id, ref)
SELECT title, 'title', id, 0 FROM sessions WHERE length(trim(coalesce(title, ''))) > 0;

CREATE TRIGGER notes_fts_checkpoint_insert AFTER INSERT ON checkpoints BEGIN
    INSERT INTO notes_fts (text, section, session_id, ref)
    SELECT text, section, session_id, checkpoint_id FROM checkpoint_lines WHERE checkpoint_id = new.id;
END;

CREATE TRIGGER notes_fts_checkpoint_delete AFTER DELETE ON checkpoints BEGIN
    DELETE FROM notes_fts WHERE ref = old.id AND section != 'title';
END;

CREATE TRIGGER notes_fts_session_insert AFTER INSERT ON sessions
WHEN length(trim(coalesce(new.title, ''))) > 0 BEGIN
    INSERT INTO notes_fts (text, section, session_id, ref) VALUES (new.title, 'title', new.id, 0);
END;

CREATE TRIGGER notes_fts_session_update AFTER UPDATE OF title ON sessions BEGIN
    DELETE FROM notes_fts WHERE session_id = old.id AND section = 'title';
    INSERT INTO notes_fts (text, section, session_id, ref)
    SELECT new.title, 'title', new.id, 0 WHERE length(trim(coalesce(new.title, ''))) > 0;
END;

CREATE TRIGGER notes_fts_session_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM notes_fts WHERE session_id = old.id;
END;
