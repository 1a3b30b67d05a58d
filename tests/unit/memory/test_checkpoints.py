"""The checkpoint: one section table, exact values verbatim, cumulative, fitted to a cap."""

from __future__ import annotations

import json

from cairn.memory.checkpoint_format import (
    FIELDS,
    SECTIONS,
    empty_checkpoint,
    fit,
    merge,
    parse_narrative,
    render,
)
from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.extract import Extraction
from cairn.memory.ports import approx_tokens
from cairn.memory.testing import FakeTextModel

NARRATIVE = (
    "## Next action\nRun the tests.\n## Task tree\n- fix login (in progress)\n"
    "## Current work\nEditing the handler.\n## Open notes\nNone yet."
)


async def test_checkpoint_keeps_exact_values_byte_for_byte_and_is_cumulative(store):
    session = await store.new_session()
    writer = CheckpointWriter(store, FakeTextModel(lambda m: NARRATIVE))
    call = {
        "id": "c1",
        "type": "function",
        "function": {
            "name": "shell",
            "arguments": json.dumps({"command": "docker compose -f ops/dev.yml up -d"}),
        },
    }
    await store.append_message(
        session,
        {
            "role": "user",
            "content": "Fix the flaky test in tests/test_api.py. Never commit directly to `release/2.x`.",
        },
    )
    await store.append_message(
        session, {"role": "assistant", "content": "Starting the stack.", "tool_calls": [call]}
    )
    await store.append_message(
        session,
        {
            "role": "tool",
            "tool_call_id": "c1",
            "name": "shell",
            "content": 'postgres listening on 127.0.0.1:55432\nError: relation "users_v2" does not exist',
        },
    )
    first = await writer.write_now(session)
    await store.append_message(
        session,
        {"role": "assistant", "content": "We decided to pin psycopg to 3.1.18 because 3.2.0 breaks COPY."},
    )
    second = await writer.write_now(session)
    assert (second.first_seq, second.last_seq) == (4, 4) and first.last_seq == 3
    text = render(second.data)
    for exact in [
        "Never commit directly to `release/2.x`.",
        "docker compose -f ops/dev.yml up -d",
        "postgres listening on 127.0.0.1:55432",
        'relation "users_v2" does not exist',
        "tests/test_api.py",
        "We decided to pin psycopg to 3.1.18 because 3.2.0 breaks COPY.",
        "Run the tests.",
    ]:
        assert exact in text, exact
    assert second.data["active_intent"].startswith("Fix the flaky test")
    assert second.tokens == approx_tokens(text)
    assert await writer.write_now(session) is None  # nothing new: nothing written


async def test_model_failure_still_writes_the_verbatim_sections(store):
    def broken(messages):
        raise RuntimeError("model down")

    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": "Use port 8443 for TLS."})
    writer = CheckpointWriter(store, FakeTextModel(broken))
    record = await writer.write_now(session)
    assert record is not None and "port 8443" in render(record.data)
    assert record.data["narrative"] == {}


def test_fit_never_drops_directives_or_the_active_intent():
    data = {
        "active_intent": "do it",
        "directives": [f"Always do thing {i}." for i in range(30)],
        "knowledge": [f"Fact number {i} is 10{i}." for i in range(300)],
        "narrative": {},
    }
    small = fit(data, 600)
    assert small["directives"] == data["directives"] and small["active_intent"] == "do it"
    assert 0 < len(small["knowledge"]) < 300
    assert small["knowledge"][-1] == "Fact number 299 is 10299."  # newest kept


def test_parse_narrative_ignores_unknown_sections():
    parsed = parse_narrative("## Next action\nA\n## Secret plan\nB\n### Open notes:\nC")
    assert parsed == {"next_action": "A", "open_notes": "C"}


def test_sentence_final_versions_and_addresses_are_values():
    from cairn.memory.extract import exact_values

    assert "1.80.1" in exact_values("Local toolchain is rustc 1.80.1.")
    assert "10.43.118.27" in exact_values("orbit-query sits behind cluster IP 10.43.118.27.")


def test_trimming_drops_chatter_before_identifying_statements():
    from cairn.memory.checkpoint_format import empty_checkpoint, fit

    data = empty_checkpoint()
    data["knowledge"] = [
        "We're at e41b9c0 right now.",
        "18 callers use that codec.",
        "The benchmark shows 326 MB/s on my side.",
    ] + [f"Filler line number {i} " * 5 for i in range(40)]
    fitted = fit(data, max_tokens=200)
    assert "We're at e41b9c0 right now." in fitted["knowledge"]
    assert "18 callers use that codec." not in fitted["knowledge"]


def test_one_section_table_drives_merge_fit_render_and_the_narrative():
    # Eleven sections, each named once, in the order a checkpoint presents them.
    assert len(SECTIONS) == 11 and len({s.title for s in SECTIONS}) == 11
    assert [s.key for s in SECTIONS][:3] == ["active_intent", "next_action", "directives"]
    for field in FIELDS:
        assert field.section in {s.key for s in SECTIONS}
        assert field.merge in ("latest", "standing", "append", "supersede")
    # Every extracted list reaches the merged data and the rendered markdown.
    found = Extraction()
    for field in FIELDS:
        if field.extractor is not None:
            getattr(found, field.extractor).append(f"item-for-{field.key} value_{field.key}")
    data = merge(None, found, {})
    text = render(data)
    for field in FIELDS:
        if field.extractor is not None:
            assert data[field.key], field.key
            assert f"value_{field.key}" in text, field.key
    assert set(empty_checkpoint()) == {f.key for f in FIELDS} | {"narrative"}
    # The model may write prose only for the sections the table marks as narrative.
    narrative_titles = [s.title for s in SECTIONS if s.narrative]
    reply = "\n".join(f"## {t}\nprose {n}" for n, t in enumerate(narrative_titles))
    assert set(parse_narrative(reply)) == {s.key for s in SECTIONS if s.narrative}
    # Never-trimmed fields survive any cap.
    pinned = [f.key for f in FIELDS if f.weight is None]
    assert {"active_intent", "directives"} <= set(pinned)
    small = fit({**data, "knowledge": [f"Fact {i} is 10{i}." for i in range(300)]}, 300)
    for key in pinned:
        assert small[key] == data[key]
