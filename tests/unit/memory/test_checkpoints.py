"""The background checkpoint writer: thresholds, one task per session, exact values verbatim."""

from __future__ import annotations

import asyncio
import json

from cairn.memory.checkpoint_format import fit, parse_narrative, render
from cairn.memory.checkpoints import CheckpointWriter, thresholds_for, usable_window
from cairn.memory.ports import approx_tokens
from cairn.memory.testing import FakeTextModel

NARRATIVE = (
    "## Next action\nRun the tests.\n## Task tree\n- fix login (in progress)\n"
    "## Current work\nEditing the handler.\n## Open notes\nNone yet."
)


def test_thresholds_include_20_40_60_80_and_get_finer_for_big_windows():
    for window in (8_000, 32_000, 128_000, 1_000_000):
        assert {0.2, 0.4, 0.6, 0.8} <= set(thresholds_for(window))
    assert len(thresholds_for(1_000_000)) > len(thresholds_for(128_000)) > len(thresholds_for(32_000))
    assert usable_window(200_000, 8_000) == 200_000 - 8_000 - 20_000
    assert usable_window(8_000, 4_096) >= 4_000


class GatedModel(FakeTextModel):
    """A model that waits for permission before answering (to observe queueing)."""

    def __init__(self):
        super().__init__(lambda messages: NARRATIVE)
        self.gate = asyncio.Event()

    async def complete(self, messages, *, max_tokens=None):
        await self.gate.wait()
        return await super().complete(messages, max_tokens=max_tokens)


async def _fill(store, session, n, start=0):
    for i in range(start, start + n):
        await store.append_message(session, {"role": "user", "content": f"message {i}"})


async def test_observe_never_blocks_and_a_newer_request_replaces_the_queued_one(store):
    session = await store.new_session()
    model = GatedModel()
    writer = CheckpointWriter(store, model)
    await _fill(store, session, 3)
    # usable window of 10k tokens = 6,500 tokens
    writer.observe(session, 2_500, 10_000)  # 38%: crosses 20% -> task starts, waits on model
    await asyncio.sleep(0.05)
    await _fill(store, session, 2, start=3)
    writer.observe(session, 3_000, 10_000)  # 46%: queued
    writer.observe(session, 4_000, 10_000)  # 62%: replaces the queued request
    writer.observe(session, 4_100, 10_000)  # 63%: no new threshold, nothing
    model.gate.set()
    await writer.drain()
    written = writer.written(session)
    assert [c.threshold for c in written] == [0.2, 0.6]
    assert [(c.first_seq, c.last_seq) for c in written] == [(1, 3), (4, 5)]
    assert len(model.calls) == 2
    await writer.close()


async def test_thresholds_re_arm_after_the_context_shrinks(store):
    session = await store.new_session()
    writer = CheckpointWriter(store, None)
    await _fill(store, session, 2)
    writer.observe(session, 2_500, 10_000)
    await writer.drain()
    writer.observe(session, 500, 10_000)  # after a compaction
    await _fill(store, session, 2, start=2)
    writer.observe(session, 2_500, 10_000)
    await writer.drain()
    assert [c.last_seq for c in writer.written(session)] == [2, 4]


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


async def test_close_cancels_a_stuck_writer_and_releases_its_lease(store):
    session = await store.new_session()
    await _fill(store, session, 2)
    model = GatedModel()  # never released
    writer = CheckpointWriter(store, model)
    writer.observe(session, 9_000, 10_000)
    await asyncio.sleep(0.05)
    await writer.close(timeout=0.1)
    assert await store.latest_checkpoint(session) is None
    assert await store.try_acquire_lease(f"checkpoint:{session}", 1) is True
    writer.observe(session, 9_500, 10_000)  # closed: ignored
    assert writer.written(session) == []


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
