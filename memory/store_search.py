"""Searching what memory holds: the raw transcript (`history`) and everything else (`recall`).

FTS5 finds the candidates (stemmed words, stopwords left out of the query); they are ranked by
BM25 computed here (:mod:`cairn.memory.ranking`): a message's own words weigh most, the start
of its neighbours and its date less (see migration 0004), each word weighed by how many
messages hold it in their own words; messages where query words occur together get a boost,
the agent's own prose less. With a sentence encoder (the `embed` extra) the nearest messages by
meaning join the candidates and every candidate's score also counts its meaning and its
neighbours' (:mod:`cairn.memory.fusion`). Identical messages (the same file read
five times) collapse into one hit. What is shown is exact text: see :mod:`cairn.memory.snippets`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cairn.memory.dates import past_date_spans
from cairn.memory.fts import adjacency_parts, match_query, quoted, topic_terms
from cairn.memory.fusion import MEANING_ONLY_FLOOR, MEANING_QUESTION_WEIGHT, fuse
from cairn.memory.gist import gist
from cairn.memory.note_sources import checkpoint_field, label_start, note_kind, note_provenance
from cairn.memory.ranking import idf, saturation, token_count
from cairn.memory.records import HistoryHit, RecallHit, StoredMessage
from cairn.memory.snippets import CLOSE, OPEN, spans, window
from cairn.memory.statements import is_question
from cairn.memory.store_base import id_list
from cairn.memory.store_memories import LongTermMixin
from cairn.memory.store_transcript import TranscriptMixin
from cairn.memory.store_vectors import VectorsMixin

# bm25() column weights of messages_fts: the message itself, its neighbours, its date.
BODY_WEIGHT, CONTEXT_WEIGHT, STAMP_WEIGHT = 1.0, 0.5, 0.3
COLUMNS = {"body": BODY_WEIGHT, "context": CONTEXT_WEIGHT, "stamp": STAMP_WEIGHT}  # in that order
ADJACENCY_WEIGHT = 0.5  # share of the "words together" score added to a hit's score
CANDIDATES_PER_HIT = 8  # how deep to rank before collapsing duplicates
NOTE_WINDOW_CHARS = 400
# The agent's own prose restates what the user said and tools returned, at length: at full
# weight its long replies outrank the short message that holds the fact. A file read or a diff
# names its subject on every line, and can be read again from the workspace; what the user
# said is only here.
ROLE_WEIGHT: dict[str, float] = {"assistant": 0.25, "tool": 0.5}
# A search that names when ("what did I buy 10 days ago?") means what was said then: a message
# of those days counts this many times its score, and joins the candidates by meaning however
# far it is (the floor keeps a search about something never said from finding anything; a day
# is what was asked about).
DATED_FACTOR = 2.0
# A search for what the assistant itself said ("the ratio you recommended", "the move you made
# after 27. Kg2") looks for the prose ROLE_WEIGHT lowers: there it counts in full.
ASKS_WHAT_YOU_SAID = re.compile(
    r"\byou\s+(?:told|said|mentioned|recommended|suggested|made|gave|wrote|showed|explained|"
    r"provided|listed|proposed|described|shared|named|picked|chose)\b|"
    r"\byour\s+(?:answer|reply|suggestion|recommendation|advice|explanation|move)\b",
    re.IGNORECASE,
)
# A question repeats the words of the search that looks for its answer: at full weight the
# same question asked again, in any later session, outranks the message that answered it.
QUESTION_WEIGHT = 0.5


class _Cosines(Mapping[int, float]):
    """A query's cosine with each embedded message, read from the search's array on demand
    (a dict of every message's cosine would cost more than the matrix product)."""

    def __init__(self, values: Any, row_of: dict[int, int]) -> None:
        self._values = values
        self._row_of = row_of

    def __getitem__(self, message_id: int) -> float:
        row = self._row_of[message_id]
        if row >= len(self._values):  # embedded since this search's product: not in it
            raise KeyError(message_id)
        return float(self._values[row])

    def __iter__(self) -> Iterator[int]:
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)


@dataclass(frozen=True)
class _Meaning:
    """A query's cosine with every embedded message, and the nearest candidates."""

    cosine: _Cosines
    nearest: list[int]


class SearchMixin(TranscriptMixin, LongTermMixin, VectorsMixin):
    """`search_history` for raw wording, `search_memory` for memories, checkpoints and notes."""

    async def search_history(
        self,
        query: str,
        limit: int = 20,
        *,
        session_id: str | None = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[HistoryHit]:
        """The ``limit`` best transcript hits for ``query``, newest first.

        ``exclude_ids``: messages never returned (the request that is searching).
        """
        match = match_query(query, "any")
        if match is None or limit < 1:
            return []
        skipped = set(exclude_ids)  # read once: it may be any iterable
        excluded = id_list(skipped)
        sql = (
            f"SELECT f.rowid AS id, bm25(messages_fts, {BODY_WEIGHT}, {CONTEXT_WEIGHT}, "
            f"{STAMP_WEIGHT}) AS score FROM messages_fts AS f WHERE messages_fts MATCH ?"
        )
        params: tuple[Any, ...] = (match,)
        if excluded:
            sql += f" AND f.rowid NOT IN ({excluded})"
        if session_id is not None:
            sql += " AND f.rowid IN (SELECT id FROM messages WHERE session_id = ?)"
            params += (session_id,)
        rows = await self.fetchall(sql + " ORDER BY score LIMIT ?", params + (limit * CANDIDATES_PER_HIT,))
        pool = [row["id"] for row in rows]
        meaning = await self._meaning(query, limit * CANDIDATES_PER_HIT, session_id, skipped)
        if meaning is not None:
            by_words = set(pool)
            pool += [i for i in meaning.nearest if i not in by_words]
        dated = await self._said_then(query, session_id, skipped)
        if dated and meaning is not None:  # what was said then, nearest first, however far
            near = sorted(dated & meaning.cosine.keys(), key=lambda i: -meaning.cosine.get(i, 0.0))
            known = set(pool)
            pool += [i for i in near[: limit * CANDIDATES_PER_HIT] if i not in known]
        tainted = await self._request_neighbours(excluded, pool) if excluded and pool else set()
        scores = await self._column_scores(query, pool, own_words_only=tainted) if pool else {}
        if meaning is not None:
            # Found by meaning, if not by words (a tainted one matched only through the request):
            # only when near enough (`_meaning` stops at the floor).
            for message_id in meaning.nearest:
                scores.setdefault(message_id, 0.0)
            neighbours = await self._neighbour_cosines(list(scores), meaning.cosine, skipped)
            scores = fuse(scores, meaning.cosine, neighbours)
        for message_id in dated & scores.keys():
            scores[message_id] *= DATED_FACTOR
        if not scores:
            return []
        details = await self.fetchall(
            "SELECT m.id, m.session_id, m.seq, m.role, m.name, m.created_at, m.user_text, f.body "
            "FROM messages AS m "
            f"JOIN messages_fts AS f ON f.rowid = m.id WHERE m.id IN ({id_list(scores)})"
        )
        # A row with no words of its own (a memory search, or a call to one) matched through
        # its neighbours' words only: it has nothing to show.
        details = [row for row in details if (row["body"] or "").strip()]
        if not details:
            return []
        role_weight = {**ROLE_WEIGHT, "assistant": 1.0} if ASKS_WHAT_YOU_SAID.search(query) else ROLE_WEIGHT
        for row in details:
            scores[row["id"]] *= role_weight.get(row["role"], 1.0)
            if row["role"] == "user" and is_question(row["body"].strip()):
                scores[row["id"]] *= QUESTION_WEIGHT if meaning is None else MEANING_QUESTION_WEIGHT
        groups: dict[str, list[Any]] = {}
        for row in details:
            groups.setdefault(row["body"], []).append(row)
        ranked = sorted(groups.values(), key=lambda rows: min(scores[r["id"]] for r in rows))[:limit]
        shown = [max(rows, key=lambda r: (r["created_at"], r["id"])) for rows in ranked]
        shown_ids = id_list(r["id"] for r in shown)
        highlighted = {
            row["id"]: row["marked"]
            for row in await self.fetchall(
                f"SELECT rowid AS id, highlight(messages_fts, 0, '{OPEN}', '{CLOSE}') AS marked "
                f"FROM messages_fts WHERE messages_fts MATCH ? AND rowid IN ({shown_ids})",
                (match,),
            )
        }
        hits = []
        for row, rows in zip(shown, ranked):
            body = row["body"]
            found = window(body, spans(highlighted.get(row["id"], body), body))
            hits.append(
                HistoryHit(
                    message_id=row["id"],
                    session_id=row["session_id"],
                    seq=row["seq"],
                    role=row["role"],
                    snippet=found.text,
                    created_at=row["created_at"],
                    name=row["name"],
                    whole=found.whole,
                    seen=len(rows),
                    duplicate_ids=tuple(sorted(r["id"] for r in rows if r["id"] != row["id"])),
                    score=min(scores[r["id"]] for r in rows),
                    user_text=_cairn_wrote_some(row["user_text"], body),
                )
            )
        return sorted(hits, key=lambda h: (h.created_at, h.message_id), reverse=True)

    async def _said_then(self, query: str, session_id: str | None, excluded: set[int]) -> set[int]:
        """The messages written on the days ``query`` names ("10 days ago", "last Saturday",
        "last month"; see :func:`~cairn.memory.dates.past_date_spans`, seen from the store's
        clock), of ``session_id`` when given; empty when it names none."""
        spans = past_date_spans(query, self.clock())
        if not spans:
            return set()
        where = " OR ".join("(created_at >= ? AND created_at < ?)" for _ in spans)
        params: tuple[Any, ...] = tuple(day.isoformat() for span in spans for day in span)
        sql = f"SELECT id FROM messages WHERE ({where})"
        if session_id is not None:
            sql += " AND session_id = ?"
            params += (session_id,)
        return {row["id"] for row in await self.fetchall(sql, params)} - excluded

    async def _column_scores(
        self, query: str, candidates: list[int], *, own_words_only: set[int]
    ) -> dict[int, float]:
        """Scores of the candidates (lower is better): BM25 of each message's row (its own
        words, its neighbours', its date, weighed by ``COLUMNS``) as FTS5's ``bm25()`` counts
        it, but with each word's rarity counted in messages' own words and an idf that never
        reaches 0 (see :mod:`cairn.memory.ranking`); own words found together
        (`adjacency_parts`) count once more at ``ADJACENCY_WEIGHT``. ``own_words_only``:
        messages scored without their neighbours' words, left out when nothing else matches."""
        ids = id_list(candidates)
        words = topic_terms(query)
        own_phrases = tuple(f"body : {quoted(word)}" for word in words)
        held = "".join(", (SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?)" for _ in words)
        counts = await self.fetchone(f"SELECT (SELECT count(*) FROM messages){held}", own_phrases)
        total, *holding = counts if counts is not None else (0,)
        weight = {word: idf(total, n) for word, n in zip(words, holding)}
        lengths: dict[str, dict[int, int]] = {column: {} for column in COLUMNS}
        for row in await self.fetchall(f"SELECT rowid AS id, * FROM messages_fts WHERE rowid IN ({ids})"):
            for column in COLUMNS:
                lengths[column][row["id"]] = token_count(row[column])
        mean = {column: sum(n.values()) / max(len(n), 1) for column, n in lengths.items()}
        asked = [(column, word) for column in COLUMNS for word in words]
        found = " UNION ALL ".join(
            f"SELECT {part} AS part, rowid AS id, length(highlight(messages_fts, "
            f"{list(COLUMNS).index(column)}, '{OPEN}', '')) - length({column}) AS n "
            f"FROM messages_fts WHERE messages_fts MATCH ? AND rowid IN ({ids})"
            for part, (column, _) in enumerate(asked)
        )
        weighted: dict[tuple[str, int], float] = {}
        own: dict[str, dict[int, float]] = {word: {} for word in words}
        for row in await self.fetchall(found, tuple(f"{c} : {quoted(w)}" for c, w in asked)):
            column, word = asked[row["part"]]
            if column == "context" and row["id"] in own_words_only:
                continue
            weighted[(word, row["id"])] = weighted.get((word, row["id"]), 0.0) + COLUMNS[column] * row["n"]
            if column == "body":
                own[word][row["id"]] = -weight[word] * saturation(
                    row["n"], lengths["body"].get(row["id"], 0), mean["body"]
                )
        row_mean = sum(COLUMNS[c] * mean[c] for c in COLUMNS)
        scores = dict.fromkeys(candidates, 0.0)
        for (word, message_id), frequency in weighted.items():
            row_length = sum(COLUMNS[c] * lengths[c].get(message_id, 0) for c in COLUMNS)
            scores[message_id] -= weight[word] * saturation(frequency, row_length, row_mean)
        together = adjacency_parts(query, "body")
        if together:
            near = " UNION ALL ".join(
                f"SELECT {part} AS part, rowid AS id FROM messages_fts "
                f"WHERE messages_fts MATCH ? AND rowid IN ({ids})"
                for part in range(len(together))
            )
            for row in await self.fetchall(near, tuple(expression for expression, _ in together)):
                joined = together[row["part"]][1]
                scores[row["id"]] += ADJACENCY_WEIGHT * sum(own[w].get(row["id"], 0.0) for w in joined)
        return {i: score for i, score in scores.items() if score < 0 or i not in own_words_only}

    async def _meaning(
        self, query: str, depth: int, session_id: str | None, excluded: set[int]
    ) -> _Meaning | None:
        """The cosine of every embedded message with ``query`` and the ``depth`` nearest ones
        at least ``MEANING_ONLY_FLOOR`` near (of ``session_id`` when given, never an excluded
        one); None without an encoder."""
        similar = await self.vector_similarities(query)
        if similar is None:
            return None
        ids, values, row_of = similar
        allowed = None
        if session_id is not None:
            rows = await self.fetchall("SELECT id FROM messages WHERE session_id = ?", (session_id,))
            allowed = {row["id"] for row in rows}
        nearest: list[int] = []
        for row in (-values).argsort(kind="stable").tolist():
            if len(nearest) == depth or values[row] < MEANING_ONLY_FLOOR:
                break
            if ids[row] not in excluded and (allowed is None or ids[row] in allowed):
                nearest.append(ids[row])
        cosine = _Cosines(values, row_of)
        return _Meaning(cosine, nearest)

    async def _neighbour_cosines(
        self, candidates: list[int], cosine: Mapping[int, float], excluded: set[int]
    ) -> dict[int, float]:
        """Each candidate's best cosine among the messages just before and after it (an
        excluded one, the searching request, never counts)."""
        rows = await self.fetchall(
            "SELECT c.id AS id, n.id AS neighbour FROM messages AS c JOIN messages AS n "
            "ON n.session_id = c.session_id AND n.seq BETWEEN c.seq - 1 AND c.seq + 1 AND n.id != c.id "
            f"WHERE c.id IN ({id_list(candidates)})"
        )
        best: dict[int, float] = {}
        for row in rows:
            if row["neighbour"] in excluded or row["neighbour"] not in cosine:
                continue
            best[row["id"]] = max(best.get(row["id"], 0.0), cosine[row["neighbour"]])
        return best

    async def _request_neighbours(self, excluded: str, candidates: list[int]) -> set[int]:
        """The candidates next to an excluded message: the message just before a question
        would otherwise match through the question's words, indexed as its neighbour."""
        rows = await self.fetchall(
            "SELECT n.id FROM messages AS x JOIN messages AS n ON n.session_id = x.session_id "
            f"AND n.seq BETWEEN x.seq - 1 AND x.seq + 2 WHERE x.id IN ({excluded}) "
            f"AND n.id NOT IN ({excluded})"
        )
        return {row["id"] for row in rows} & set(candidates)

    async def calling_request_ids(self, session_id: str) -> set[int]:
        """The messages of the request now running in ``session_id``: its last user message,
        and its latest assistant step with whatever followed it (the tool calls being run).

        A search made by that request must not find the request itself.
        """
        rows = await self.fetchall(
            "WITH last_user AS (SELECT coalesce(max(seq), 0) AS seq FROM messages "
            "WHERE session_id = ? AND role = 'user'), "
            "step AS (SELECT coalesce(max(seq), 1 << 62) AS seq FROM messages "
            "WHERE session_id = ? AND role = 'assistant' AND seq > (SELECT seq FROM last_user)) "
            "SELECT id FROM messages WHERE session_id = ? "
            "AND (seq = (SELECT seq FROM last_user) OR seq >= (SELECT seq FROM step))",
            (session_id, session_id, session_id),
        )
        return {row["id"] for row in rows}

    async def messages_around(
        self, message_id: int, *, before: int = 2, after: int = 2
    ) -> list[StoredMessage]:
        """The message ``message_id`` with up to ``before``/``after`` neighbours of its session."""
        row = await self.fetchone("SELECT session_id, seq FROM messages WHERE id = ?", (message_id,))
        if row is None:
            return []
        rows = [
            r
            for r in await self.message_rows(
                row["session_id"], after_seq=row["seq"] - before - 1, complete=None
            )
            if r.seq <= row["seq"] + after
        ]
        return rows

    async def history_contains(self, text: str) -> bool:
        """Whether the words of ``text`` occur adjacently, in order, in one message."""
        match = match_query(text, "phrase")
        if match is None:
            return False
        row = await self.fetchone(
            "SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT 1", (f"body : {match}",)
        )
        return row is not None

    async def search_memory(self, query: str, limit: int = 10) -> list[RecallHit]:
        """Long-term memories, checkpoint lines and session notes matching ``query``, best first.

        A line repeated by later checkpoints of the same session is one hit (the newest).
        """
        match = match_query(query, "any")
        if match is None or limit < 1:
            return []
        pool = limit * CANDIDATES_PER_HIT
        hits = [
            RecallHit(
                kind="memory",
                text=m.text,
                created_at=m.updated_at,
                session_id=m.session_ids[-1] if m.session_ids else None,
                provenance=m.provenance,
                untrusted=m.untrusted,
                section=m.kind,
                ref=m.id,
                score=m.score or 0.0,
                memory=m,
            )
            for m in await self.recall(query, limit=pool)
        ]
        rows = await self.fetchall(
            f"SELECT n.rowid AS id, n.text, n.section, n.session_id, n.ref, bm25(notes_fts) AS score, "
            f"highlight(notes_fts, 0, '{OPEN}', '{CLOSE}') AS marked, "
            "coalesce(c.created_at, s.updated_at, '') AS created_at FROM notes_fts AS n "
            "LEFT JOIN checkpoints AS c ON c.id = n.ref AND n.section != 'title' "
            "LEFT JOIN sessions AS s ON s.id = n.session_id "
            "WHERE notes_fts MATCH ? ORDER BY score LIMIT ?",
            (match, pool),
        )
        newest: dict[tuple[str, str, str], Any] = {}
        for found_row in rows:
            row = {**dict(found_row), "section": checkpoint_field(found_row["section"])}
            key = (row["session_id"], row["section"], " ".join(row["text"].split()))
            kept = newest.get(key)
            if kept is None or row["created_at"] > kept["created_at"]:
                best = row["score"] if kept is None else min(row["score"], kept["score"])
                newest[key] = {**row, "score": best}
            else:
                kept["score"] = min(kept["score"], row["score"])
        for row in newest.values():
            found = spans(row["marked"], row["text"])
            if found and all(start >= label_start(row["text"]) for start, _ in found):
                continue  # only the label matched ("run_command" for a query about running)
            shown = window(row["text"], found, budget=NOTE_WINDOW_CHARS)
            hits.append(
                RecallHit(
                    kind=note_kind(row["section"]),
                    text=shown.text,
                    created_at=row["created_at"],
                    session_id=row["session_id"],
                    provenance=note_provenance(row["section"]).words,
                    untrusted=note_provenance(row["section"]).untrusted,
                    section=row["section"],
                    ref=row["ref"] or None,
                    score=row["score"],
                )
            )
        return distinct(sorted(hits, key=lambda h: h.score), limit)


def distinct(hits: list[RecallHit], limit: int) -> list[RecallHit]:
    """The best-ranked hit of each statement, up to ``limit``: the same line read from two
    places, edited once and kept by three checkpoints is one answer, not five slots. A
    session's title stays beside the same words in its checkpoint (it names the session)."""
    seen: set[tuple[bool, str]] = set()
    out: list[RecallHit] = []
    for hit in hits:
        key = (hit.kind == "session", gist(hit.text))
        if key in seen:
            continue
        seen.add(key)
        out.append(hit)
        if len(out) == limit:
            break
    return out


def _cairn_wrote_some(user_text: str | None, body: str) -> str | None:
    """``user_text`` when Cairn wrote some of the message (a code action's prompt, a file it
    attached), None when the user wrote all of it (their words are the whole message)."""
    if user_text is None or user_text.strip() == body.strip():
        return None
    return user_text
