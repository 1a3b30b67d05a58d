"""Raw-transcript search: exact text, whole lines, newest first, no echoes, no duplicates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

PIN = "requests[socks]==2.31.0"


def _call(call_id: str, name: str, **arguments) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


async def _tool_round(store, session, call_id, name, output, **arguments):
    await store.append_message(
        session, {"role": "assistant", "content": None, "tool_calls": [_call(call_id, name, **arguments)]}
    )
    return await store.append_message(
        session, {"role": "tool", "tool_call_id": call_id, "name": name, "content": output}
    )


async def test_values_come_back_byte_for_byte_without_markers(store):
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": f"Pin {PIN} in requirements.txt"})
    [hit] = await store.search_history("requests socks pin")
    assert hit.snippet == f"Pin {PIN} in requirements.txt" and hit.whole


async def test_a_long_message_shows_its_matching_lines_whole_with_lines_around(store):
    session = await store.new_session()
    filler = [f"line {i}: nothing to see in this part of the file, only padding words" for i in range(60)]
    lines = filler[:30] + [f"PROXY_URL=http://host-02.int.example.net:3128 and {PIN}"] + filler[30:]
    content = "\n".join(lines)
    await store.append_message(session, {"role": "tool", "name": "read_file", "content": content})
    [hit] = await store.search_history("proxy url")
    assert not hit.whole and len(hit.snippet) <= 1000
    shown = hit.snippet.splitlines()
    assert lines[30] in shown  # the whole line, values intact
    for neighbour in lines[28:30] + lines[31:33]:  # two lines around
        assert neighbour in shown
    assert "\ue000" not in hit.snippet and "[" + "proxy" not in hit.snippet.lower()


async def test_hits_are_newest_first_with_date_session_and_id(store, clock):
    old = await store.new_session("monday")
    await store.append_message(old, {"role": "user", "content": "API port: the API port is 8080."})
    clock.now = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    new = await store.new_session("a week later")
    newer = await store.append_message(new, {"role": "user", "content": "Change the API port to 8443."})
    hits = await store.search_history("api port", limit=5)
    assert [h.message_id for h in hits][0] == newer
    assert [h.created_at[:10] for h in hits] == ["2026-03-09", "2026-03-02"]
    assert {h.session_id for h in hits} == {old, new}


async def test_the_request_that_searches_is_not_found(store):
    session = await store.new_session()
    earlier = await store.append_message(
        session, {"role": "user", "content": "The cache lives in .cache/cairn"}
    )
    await store.append_message(session, {"role": "assistant", "content": "Noted."})
    asking = await store.append_message(session, {"role": "user", "content": "Where does the cache live?"})
    await store.append_message(
        session, {"role": "assistant", "content": None, "tool_calls": [_call("h1", "history", query="cache")]}
    )
    excluded = await store.calling_request_ids(session)
    assert asking in excluded and earlier not in excluded
    hits = await store.search_history("where does the cache live", exclude_ids=excluded)
    assert [h.message_id for h in hits] == [earlier] or earlier in [h.message_id for h in hits]
    assert asking not in [h.message_id for h in hits]


async def test_memory_searches_are_not_indexed_so_a_search_never_finds_a_search(store):
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": "unrelated chatter"})
    await _tool_round(store, session, "h1", "history", "[message 1] the zebra port is 7777", query="zebra")
    await _tool_round(store, session, "r1", "recall", "- [memory #1] zebra", query="zebra")
    assert await store.search_history("zebra") == []


async def test_a_search_is_not_found_through_its_neighbours_words_either(store):
    """A memory search's row holds no words of its own, only its neighbours' (the question
    before it): it must not come back as an empty hit taking a place among the few shown."""
    session = await store.new_session()
    asked = await store.append_message(
        session, {"role": "user", "content": "Which port does the zebra service use?"}
    )
    await _tool_round(
        store, session, "h1", "history", "[message 1] the zebra port is 7777", query="zebra port"
    )
    await _tool_round(store, session, "r1", "recall", "- [memory #1] zebra", query="zebra port")
    await store.append_message(session, {"role": "assistant", "content": "The zebra service uses port 7777."})
    hits = await store.search_history("zebra port")
    assert all(hit.snippet.strip() for hit in hits)
    assert {hit.role for hit in hits} == {"user", "assistant"} and asked in {hit.message_id for hit in hits}


async def test_identical_messages_collapse_into_one_hit_with_a_count(store):
    session = await store.new_session()
    ids = [
        await _tool_round(store, session, f"c{i}", "read_file", "TIMEOUT_S = 30\n", path="settings.py")
        for i in range(5)
    ]
    [hit] = [h for h in await store.search_history("timeout_s") if h.role == "tool"]
    assert hit.seen == 5 and hit.message_id == ids[-1] and set(hit.duplicate_ids) == set(ids[:-1])


async def test_tool_call_json_keys_are_not_words_but_argument_values_are(store):
    session = await store.new_session()
    await _tool_round(store, session, "c1", "read_file", "x = 1", path="src/app.py")
    await store.append_message(session, {"role": "user", "content": "thanks"})
    found = await store.search_history("path", limit=10)
    assert found == []
    [*_, call] = [h for h in await store.search_history("app.py") if h.role == "assistant"]
    assert call.snippet == "src/app.py"


async def test_stopwords_do_not_outrank_the_topic_and_stems_match(store):
    session = await store.new_session()
    for chatter in ("What did you do when you were there?", "What did they say? When is it?"):
        await store.append_message(session, {"role": "user", "content": chatter})
    answer = await store.append_message(session, {"role": "user", "content": "Researching adoption agencies"})
    [best] = await store.search_history("What did Caroline research?", limit=1)
    assert best.message_id == answer


async def test_words_found_together_rank_first(store):
    session = await store.new_session()
    apart = await store.append_message(
        session, {"role": "user", "content": "the db is slow; some port scanner hit it and the db logs grew"}
    )
    together = await store.append_message(session, {"role": "user", "content": "moved the db port to 5433"})
    [best] = await store.search_history("db port", limit=1)
    assert best.message_id == together != apart


async def test_a_message_is_found_by_the_question_it_answers(store):
    session = await store.new_session()
    await store.append_message(
        session, {"role": "user", "content": "How did you get into watercolor painting?"}
    )
    answer = await store.append_message(session, {"role": "assistant", "content": "A friend gave me advice."})
    for other in range(5):
        await store.append_message(session, {"role": "user", "content": f"unrelated note {other}"})
    hits = await store.search_history("how did Evan get into watercolor painting", limit=3)
    assert answer in [h.message_id for h in hits]


async def test_dates_are_searchable_words(store, clock):
    session = await store.new_session()
    clock.now = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    may = await store.append_message(
        session, {"role": "user", "content": "We went hiking up the hill again."}
    )
    clock.now = datetime(2023, 6, 9, 13, 56, tzinfo=UTC)
    await store.append_message(session, {"role": "user", "content": "Hiking!"})
    [best] = await store.search_history("hiking on 8 May 2023", limit=1)
    assert best.message_id == may


async def test_history_contains_needs_the_words_in_the_message_itself(store):
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": "Which port does the API use?"})
    await store.append_message(session, {"role": "assistant", "content": "It listens on 8443."})
    assert await store.history_contains("listens on 8443")
    assert not await store.history_contains("port does the API use listens")  # only across messages


async def test_messages_around_a_hit(store):
    session = await store.new_session()
    ids = [await store.append_message(session, {"role": "user", "content": f"m{i}"}) for i in range(6)]
    around = await store.messages_around(ids[3], before=1, after=1)
    assert [r.id for r in around] == ids[2:5]
    assert await store.messages_around(10_000) == []


async def test_the_agents_long_restatement_does_not_outrank_the_users_fact(store):
    session = await store.new_session()
    fact = await store.append_message(
        session, {"role": "user", "content": "My Fitbit counts 9000 steps a day."}
    )
    await store.append_message(
        session,
        {
            "role": "assistant",
            "content": "Great! Fitbit step counts are a good habit. Fitbit steps, Fitbit goals: "
            "to raise your Fitbit steps per day, walk after meals.",
        },
    )
    [best] = await store.search_history("fitbit steps per day", limit=1)
    assert best.message_id == fact


async def test_a_neighbour_of_the_request_is_not_found_through_the_requests_words(store):
    session = await store.new_session()
    answer = await store.append_message(session, {"role": "user", "content": "Redis listens on port 6380."})
    await store.append_message(session, {"role": "assistant", "content": "Sure, noted."})
    await store.append_message(session, {"role": "user", "content": "Which port does redis listen on?"})
    await store.append_message(
        session, {"role": "assistant", "content": None, "tool_calls": [_call("h1", "history", query="redis")]}
    )
    hits = await store.search_history(
        "which port does redis listen on", exclude_ids=await store.calling_request_ids(session)
    )
    assert [h.message_id for h in hits] == [answer]


async def test_a_word_half_the_messages_hold_still_counts(store):
    # "deploy" is in half the messages: it still weighs something, so the message holding both
    # words outranks a shorter one holding only "port" (FTS5's idf made such a word worth 0).
    session = await store.new_session()
    both = await store.append_message(
        session, {"role": "user", "content": "deploy failed, so I moved it to port 8080"}
    )
    texts = ("deploy went fine", "deploy is green", "port forwarding notes for the vpn", "lunch", "coffee")
    for text in texts:
        other = await store.new_session()  # a session each: no neighbours in common
        await store.append_message(other, {"role": "user", "content": text})
    [best] = await store.search_history("deploy port", limit=1)
    assert best.message_id == both


async def test_the_answer_outranks_a_later_question_on_the_same_subject(store):
    """A later session's question on the subject repeats the search's words; the message
    holding the answer must rank above it (a small window shows only the best few hits)."""
    first = await store.new_session()
    answer = await store.append_message(
        first,
        {
            "role": "user",
            "content": "FRT-2304: sales wants a remote-area surcharge, 42.50 USD flat per shipment.",
        },
    )
    later = await store.new_session()
    await store.append_message(
        later, {"role": "user", "content": "Which ticket is the remote-area surcharge?"}
    )
    hits = await store.search_history("remote area surcharge amount")
    assert min(hits, key=lambda hit: hit.score).message_id == answer


async def test_what_the_user_said_outranks_file_text_that_repeats_the_words(store):
    """A file read or an edit's diff names its subject on every line; the user's sentence with
    the value names it once. File text can be read again from the workspace (and may have
    changed since); what the user said is only in the history."""
    session = await store.new_session()
    said = await store.append_message(
        session,
        {
            "role": "user",
            "content": "FRT-2304: sales wants a remote-area surcharge, 42.50 USD flat per shipment.",
        },
    )
    code = "\n".join(
        f"    {i}\tif remote_areas.is_remote(zip_{i}):  # remote area surcharge, see REMOTE_AREA_FEE"
        for i in range(12)
    )
    await _tool_round(store, session, "r1", "read_file", code, path="tollgate/rates/calculator.py")
    hits = await store.search_history("remote area surcharge amount")
    assert min(hits, key=lambda hit: hit.score).message_id == said


async def test_a_search_naming_a_day_ranks_that_days_messages_first(store, clock):
    clock.now = datetime(2023, 5, 13, 10, 0, tzinfo=UTC)  # a Saturday
    session = await store.new_session()
    saturday = await store.append_message(
        session, {"role": "user", "content": "Went to the jazz concert with Maya."}
    )
    clock.now = datetime(2023, 5, 16, 10, 0, tzinfo=UTC)
    tuesday = await store.append_message(
        session,
        {
            "role": "user",
            "content": "The jazz concert recordings from the festival are online, concert fans.",
        },
    )
    clock.now = datetime(2023, 5, 20, 12, 0, tzinfo=UTC)
    assert await _best(store, "jazz concert") == tuesday
    assert await _best(store, "Who went to the jazz concert last Saturday?") == saturday


async def test_a_search_for_what_the_assistant_said_counts_its_prose_in_full(store):
    """The agent's prose counts a quarter (it restates at length what the user and tools said);
    a search for what the assistant itself said ("the ratio you recommended") is looking for it."""
    session = await store.new_session()
    said = await store.append_message(
        session,
        {
            "role": "assistant",
            "content": "The ratio: 2 or 3 drops of tea tree oil per teaspoon of carrier oil.",
        },
    )
    asked = await store.append_message(
        session, {"role": "user", "content": "I put tea tree oil in my shampoo, and carrier oil too."}
    )
    assert await _best(store, "tea tree oil carrier oil") == asked
    assert await _best(store, "the tea tree oil to carrier oil ratio you recommended") == said


async def _best(store, query: str) -> int:
    """The id of the best-scored hit (hits are listed newest first)."""
    return min(await store.search_history(query, limit=5), key=lambda h: h.score).message_id
