"""`history` with a sentence encoder: messages found by meaning as well as by words.

A small fake encoder stands for the model (one axis per concept, so the tests say which
texts mean the same); the real model's vectors are tested in test_minilm.py. Needs NumPy
(the `embed` extra): skipped without it, where `history` ranks by words alone.
"""

from __future__ import annotations

import sqlite3

import pytest

from cairn.memory import store_vectors
from cairn.memory.embedding_worker import EmbeddingWorker
from cairn.memory.store import MemoryStore

np = pytest.importorskip("numpy")

CONCEPTS = {
    "pet": 0, "dog": 0, "retriever": 0, "puppy": 0,
    "database": 1, "postgres": 1, "sqlite": 1,
    "holiday": 2, "trip": 2, "lisbon": 2, "vacation": 2,
}  # fmt: skip


class ConceptEncoder:
    """Each text as the unit vector of the concepts its words name (a constant for none)."""

    model_id = "concepts-test"
    dim = 4

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: list[str]):
        self.texts += texts
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace("?", " ").replace(".", " ").split():
                if word in CONCEPTS:
                    out[row, CONCEPTS[word]] += 1.0
            if not out[row].any():
                out[row, 3] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
async def meaning_store(db_path, workspace, clock):
    opened = await MemoryStore.open(db_path, workspace_root=workspace, clock=clock, encoder=ConceptEncoder())
    try:
        yield opened
    finally:
        await opened.close()


async def _chat(store, lines):
    session = await store.new_session()
    return [await store.append_message(session, {"role": "user", "content": line}) for line in lines], session


async def test_a_message_is_found_by_meaning_when_no_word_matches(meaning_store):
    [dog, _, _], _ = await _chat(
        meaning_store,
        ["I adopted a golden retriever last weekend.", "The build is green again.", "Lunch at noon."],
    )
    assert await meaning_store.embed_pending() == 3
    hits = await meaning_store.search_history("which pet do I have", limit=1)
    assert [h.message_id for h in hits] == [dog]


async def test_without_an_encoder_only_words_find_messages(store):
    await _chat(store, ["I adopted a golden retriever last weekend.", "The build is green again."])
    assert await store.embed_pending() == 0
    assert await store.search_history("which pet do I have") == []


async def test_a_message_not_yet_embedded_is_still_found_by_its_words(meaning_store):
    [dog], _ = await _chat(meaning_store, ["My retriever is called Max."])
    hits = await meaning_store.search_history("retriever Max")
    assert [h.message_id for h in hits] == [dog]


async def test_an_edited_message_is_embedded_again(meaning_store, db_path):
    [note], _ = await _chat(meaning_store, ["We use Postgres."])
    await meaning_store.embed_pending()
    await meaning_store.finish_message(note, {"role": "user", "content": "Our holiday is in Lisbon."})
    assert await meaning_store.embed_pending() == 1
    hits = await meaning_store.search_history("vacation plans", limit=1)
    assert [h.message_id for h in hits] == [note]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM message_vectors").fetchone()[0] == 1


async def test_the_searching_request_is_not_found_by_meaning(meaning_store):
    [dog, question], _ = await _chat(meaning_store, ["My puppy chews shoes.", "Which pet do I have?"])
    await meaning_store.embed_pending()
    hits = await meaning_store.search_history("which pet do I have", exclude_ids=[question])
    assert [h.message_id for h in hits] == [dog]


async def test_the_worker_embeds_in_the_background_and_closes(meaning_store):
    worker = EmbeddingWorker(meaning_store)
    await _chat(meaning_store, ["The database moved to SQLite.", "Trip to Lisbon in June."])
    worker.observe()
    worker.observe()  # while running: one more pass, never a second task
    await worker.drain()
    assert await meaning_store.embed_pending() == 0
    await worker.close()
    worker.observe()  # closed: nothing starts
    await worker.drain()


async def test_with_meaning_an_answer_ending_in_a_question_is_not_halved(meaning_store):
    # In conversation an answer often ends by asking back; halving it (as words alone do, so
    # that a question asked again does not outrank its answer) lost such answers.
    await _chat(meaning_store, ["My puppy is called Max, and yours?"])
    await _chat(meaning_store, ["My puppy is called Max, and yours."])
    await meaning_store.embed_pending()
    hits = await meaning_store.search_history("puppy name", limit=2)
    assert len(hits) == 2 and hits[0].score == pytest.approx(hits[1].score)


async def test_waiting_messages_are_found_by_index_not_by_reading_the_history(meaning_store):
    # R18: what the worker does after each step must not grow with the history.
    await _chat(meaning_store, [f"note {n} about the database" for n in range(40)])
    await meaning_store.embed_pending()
    plan = await meaning_store.fetchall("EXPLAIN QUERY PLAN " + store_vectors._PENDING, (32,))
    scans = [row["detail"] for row in plan if row["detail"].startswith("SCAN")]
    # The only scan allowed is of the partial index of stale vectors (as long as what waits).
    assert scans == ["SCAN message_vectors USING INDEX message_vectors_to_redo"]


async def test_a_search_sees_vectors_written_again_after_it_read_them(meaning_store):
    # Each search reads only the vectors added since the last one: one written again (after an
    # edit) must replace the old one, for the right message.
    ids, _ = await _chat(meaning_store, ["We use Postgres.", "The build is green.", "Lunch at noon."])
    await meaning_store.embed_pending()
    assert [h.message_id for h in await meaning_store.search_history("database", limit=1)] == [ids[0]]
    await meaning_store.finish_message(ids[1], {"role": "user", "content": "Our holiday is in Lisbon."})
    await meaning_store.embed_pending()
    assert [h.message_id for h in await meaning_store.search_history("vacation", limit=1)] == [ids[1]]
    assert [h.message_id for h in await meaning_store.search_history("database", limit=1)] == [ids[0]]


async def test_a_query_about_something_never_said_finds_nothing(meaning_store):
    # With an encoder every message has a "nearest" cosine to any query: without a floor on
    # messages found by meaning alone, a search always filled its limit, so `history` could
    # never say that nothing matches.
    await _chat(
        meaning_store,
        ["I adopted a golden retriever last weekend.", "My puppy chews shoes.", "The dog sleeps all day."],
    )
    assert await meaning_store.embed_pending() == 3
    assert await meaning_store.search_history("which database do we run", limit=5) == []


async def test_a_message_sharing_a_word_is_found_whatever_its_meaning(meaning_store):
    # The floor is for messages found by meaning alone: a word in common is enough.
    [lunch], _ = await _chat(meaning_store, ["Lunch at noon."])
    await _chat(meaning_store, ["My puppy chews shoes."])  # another session: not a neighbour
    await meaning_store.embed_pending()
    hits = await meaning_store.search_history("lunch with the database team", limit=5)
    assert [h.message_id for h in hits] == [lunch]


async def test_a_search_naming_a_day_finds_what_was_said_that_day(meaning_store, clock):
    """ "What did I buy 10 days ago?": the message of that day is found even when its words and
    meaning are weaker than another day's (here it shares no word, and is under the floor)."""
    from datetime import UTC, datetime

    clock.now = datetime(2023, 5, 9, 9, 0, tzinfo=UTC)
    [then], _ = await _chat(meaning_store, ["Picked up a new puppy at the shelter this morning."])
    clock.now = datetime(2023, 5, 18, 9, 0, tzinfo=UTC)
    [other], _ = await _chat(meaning_store, ["I want to buy a kitchen scale, which one should I buy?"])
    await meaning_store.embed_pending()
    clock.now = datetime(2023, 5, 20, 12, 0, tzinfo=UTC)
    undated = [h.message_id for h in await meaning_store.search_history("What did I buy?", limit=5)]
    assert then not in undated
    dated = await meaning_store.search_history("What did I buy 11 days ago?", limit=5)
    assert then in [h.message_id for h in dated]
    ranked = sorted(dated, key=lambda h: h.score)
    assert ranked[0].message_id == other  # its words still count: the day adds, never hides
    weeks = await meaning_store.search_history("What did I buy two weeks ago?", limit=5)
    assert then in [h.message_id for h in weeks]  # "two weeks ago" covers the days around it
