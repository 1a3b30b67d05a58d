-- Who wrote what. A user message may carry text Cairn wrote (a code action's prompt, skill
-- text, an attached selection); `user_text` holds the user's own words of it:
--   NULL  = unknown (rows written before this column): the whole content counts as the user's,
--   ''    = the user wrote nothing (e.g. a code-action click),
--   other = the words the user typed.
-- Extraction takes directives and the active intent only from the user's own words.
ALTER TABLE messages ADD COLUMN user_text TEXT;

-- "Is there a session or checkpoint consolidation has not covered yet?" is asked before a new
-- session's first model call: these make it an index probe, not a table scan.
CREATE INDEX sessions_by_updated_at ON sessions (updated_at);
CREATE INDEX checkpoints_by_created_at ON checkpoints (created_at);
