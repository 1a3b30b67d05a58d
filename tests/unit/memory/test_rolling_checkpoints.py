"""Rolling checkpoints: a long session keeps getting checkpoints that cover it up to a recent
point, each range read and summarised once, and the newest request is the active intent
(issue 10, causes 1 and 2)."""

from __future__ import annotations

import asyncio
import json

from cairn.memory.checkpoints import ROLLING_SHARE, CheckpointWriter, usable_window
from cairn.memory.ports import approx_tokens
from cairn.memory.testing import FakeTextModel

# What a real summariser often writes: nothing that helps (the exact values must come from
# the deterministic extraction).
BLAND = (
    "## Next action\nContinue.\n## Task tree\nThe user and assistant worked on the code.\n"
    "## Current work\nThe user and assistant worked on the code.\n## Open notes\nNone."
)
WINDOW = 8_192


def _read_call(n: int) -> dict:
    args = json.dumps({"path": f"src/mod_{n % 17}.py"})
    return {"id": f"c{n}", "type": "function", "function": {"name": "read_file", "arguments": args}}


async def _agent_step(store, session: str, n: int) -> None:
    """One model call that reads a file: an assistant tool call and the tool's output."""
    await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [_read_call(n)]})
    body = f"src/mod_{n % 17}.py (lines 1-20 of 20, from disk)\n" + "\n".join(
        f"{i:>6}\tresult_{n}_{i} = compute_step({i}, scale={n})" for i in range(1, 21)
    )
    await store.append_message(
        session,
        {"role": "tool", "tool_call_id": f"c{n}", "name": "read_file", "content": body},
        tokens=approx_tokens(body),
    )


async def _ask(store, session: str, text: str) -> None:
    await store.append_message(
        session, {"role": "user", "content": text}, user_text=text, tokens=approx_tokens(text)
    )


def _tail_tokens(rows, covered: int) -> int:
    return sum(r.tokens or approx_tokens(r.message.get("content") or "") for r in rows if r.seq > covered)


async def test_a_300_step_session_keeps_getting_checkpoints_that_cover_it(store):
    model = FakeTextModel(lambda messages: BLAND)
    writer = CheckpointWriter(store, model)
    session = await store.new_session()
    read_rows = 0
    original = store.message_rows

    async def counting_rows(*args, **kwargs):
        nonlocal read_rows
        rows = await original(*args, **kwargs)
        read_rows += len(rows)
        return rows

    store.message_rows = counting_rows
    requests: list[str] = []
    usable = usable_window(WINDOW, writer.output_reserve)
    worst_tail = 0
    for step in range(300):
        if step % 10 == 0:
            requests.append(f"Now make compute_step handle scale {step} in src/mod_{step % 17}.py.")
            await _ask(store, session, requests[-1])
        if step == 12:
            await _ask(store, session, "Always run `make lint` before pushing.")
        if step == 271:
            await _ask(store, session, "From now on, never log with print(); use `structlog` instead.")
        await _agent_step(store, session, step)
        writer.observe(session, WINDOW)  # what the lead calls after each agent step
        await writer.drain()
        latest = await store.latest_checkpoint(session)
        store.message_rows = original
        worst_tail = max(
            worst_tail, _tail_tokens(await store.message_rows(session), latest.last_seq if latest else 0)
        )
        store.message_rows = counting_rows

    checkpoints = await store.checkpoints(session_id=session)
    assert len(checkpoints) >= 6, len(checkpoints)
    # Every range is read once (incremental), never the whole history again.
    assert read_rows == checkpoints[-1].last_seq
    assert [c.first_seq for c in checkpoints[1:]] == [c.last_seq + 1 for c in checkpoints[:-1]]
    # The tail no checkpoint covers never grows past the share of the usable window.
    assert worst_tail <= (ROLLING_SHARE + 0.1) * usable
    latest = checkpoints[-1].data
    assert latest["active_intent"] == requests[-1]
    assert "Always run `make lint` before pushing." in latest["directives"]
    assert "From now on, never log with print(); use `structlog` instead." in latest["directives"]
    assert len(model.calls) == len(checkpoints)
    await writer.close()


class GatedModel(FakeTextModel):
    """A model that waits for permission before answering (to observe queueing)."""

    def __init__(self):
        super().__init__(lambda messages: BLAND)
        self.gate = asyncio.Event()

    async def complete(self, messages, *, max_tokens=None):
        await self.gate.wait()
        return await super().complete(messages, max_tokens=max_tokens)


async def _big(store, session: str, n: int, tokens: int) -> None:
    for i in range(n):
        await store.append_message(session, {"role": "user", "content": f"message {i}"}, tokens=tokens)


async def test_observe_never_blocks_and_newer_requests_collapse_into_one(store):
    session = await store.new_session()
    model = GatedModel()
    writer = CheckpointWriter(store, model)
    trigger = int(ROLLING_SHARE * usable_window(WINDOW, writer.output_reserve)) + 1
    await _big(store, session, 2, trigger // 2 + 1)
    writer.observe(session, WINDOW)  # over the share: a task starts and waits on the model
    await asyncio.sleep(0.05)
    assert writer.running == 1
    await _big(store, session, 3, trigger // 2 + 1)
    for _ in range(5):  # later steps while the first write is in flight: one re-check queued
        writer.observe(session, WINDOW)
    model.gate.set()
    await writer.drain()
    written = writer.written(session)
    assert [(c.first_seq, c.last_seq) for c in written] == [(1, 2), (3, 5)]
    assert len(model.calls) == 2
    await writer.close()


async def test_nothing_is_written_while_the_tail_is_small(store):
    session = await store.new_session()
    writer = CheckpointWriter(store, None)
    await _big(store, session, 3, 20)
    for _ in range(10):
        writer.observe(session, WINDOW)
        await writer.drain()
    assert await store.latest_checkpoint(session) is None
    await writer.close()


async def test_close_cancels_a_stuck_writer_and_releases_its_lease(store):
    session = await store.new_session()
    await _big(store, session, 2, 4_000)
    writer = CheckpointWriter(store, GatedModel())  # never released
    writer.observe(session, WINDOW)
    await asyncio.sleep(0.05)
    await writer.close(timeout=0.1)
    assert await store.latest_checkpoint(session) is None
    assert await store.try_acquire_lease(f"checkpoint:{session}", 1) is True
    writer.observe(session, WINDOW)  # closed: ignored
    assert writer.written(session) == []


def test_usable_window_keeps_the_reply_and_a_margin_out():
    assert usable_window(200_000, 8_000) == 200_000 - 8_000 - 20_000
    assert 4_000 <= usable_window(WINDOW, 4_096) < WINDOW - 2_048
    assert 0.25 <= ROLLING_SHARE <= 0.4


async def test_what_a_range_adds_beyond_the_checkpoints_cap_still_reaches_memory(store, tmp_path):
    # A long command output names more values than a checkpoint of max_checkpoint_tokens can
    # show; the checkpoint shows the newest, and the rest must not be lost before consolidation
    # (a real session's "done: ... shipments_new=42 ..." line never reached memory this way).
    from datetime import UTC, datetime

    from cairn.memory.checkpoint_format import render
    from cairn.memory.consolidate import consolidate

    writer = CheckpointWriter(store, None, max_checkpoint_tokens=400)
    session = await store.new_session()
    await _ask(store, session, "Run the import for both sample nights and tell me what it did.")
    for batch in range(3):  # three commands, ten summary lines each
        output = "\n".join(
            f"done: night={n} files_failed=0 rows={100 + n} shipments_new={40 + n}"
            for n in range(10 * batch, 10 * batch + 10)
        )
        args = json.dumps({"command": f"make import BATCH={batch}"})
        call = {"id": f"c{batch}", "type": "function", "function": {"name": "run_command", "arguments": args}}
        await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
        await store.append_message(
            session, {"role": "tool", "tool_call_id": f"c{batch}", "name": "run_command", "content": output}
        )
    record = await writer.write_now(session)
    assert record is not None
    shown = render(record.data)
    assert approx_tokens(shown) <= 400 and "shipments_new=40" not in shown  # the cap holds
    # Kept are the lines that say something; not the bare values listed from them ("v*",
    # "pixel_scale" crowded real hits out of recall) nor every file merely read.
    assert set(record.data["left_out"]) == {"discovered"}
    # recall finds it from the first turn on, before any consolidation
    assert any("shipments_new=40" in hit.text for hit in await store.search_memory("shipments_new=40"))

    await consolidate(store, workspace_root=tmp_path, model=None, now=datetime.now(UTC))
    texts = "\n".join(m.text for m in await store.list_memories())
    assert all(f"shipments_new={40 + n}" in texts for n in range(30))


async def test_a_range_that_starts_with_a_tool_output_reads_it_with_the_call_that_asked(store):
    # A checkpoint's range began with read_file's output, its call in the range before: read
    # without the call, a source line `raise ValueError(...)` became an "error" of the session
    # and the file's values lost their file and line.
    writer = CheckpointWriter(store, None)
    session = await store.new_session()
    await _ask(store, session, "Where are ZIP codes checked?")
    args = json.dumps({"path": "tollgate/rates/zones.py"})
    call = {"id": "r1", "type": "function", "function": {"name": "read_file", "arguments": args}}
    await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
    assert await writer.write_now(session) is not None  # the range ends at the call
    body = (
        "tollgate/rates/zones.py (lines 1-3 of 3, from disk)\n"
        '     1\tZONE_CHART = "TRF-2023-11-B"\n'
        "     2\tdef zone_of(zip_code):\n"
        '     3\t    raise ValueError(f"not a US ZIP code: {zip_code!r}")'
    )
    await store.append_message(
        session, {"role": "tool", "tool_call_id": "r1", "name": "read_file", "content": body}
    )
    record = await writer.write_now(session)
    assert record is not None and record.first_seq == 3
    assert record.data["errors"] == []
    assert (
        'ZONE_CHART = "TRF-2023-11-B" — from read_file tollgate/rates/zones.py:1' in record.data["discovered"]
    )


def test_left_out_keeps_statements_not_bare_values_or_files_read():
    from cairn.memory.checkpoint_format import empty_checkpoint, fit_keeping_new

    merged = {
        **empty_checkpoint(),
        "knowledge": [f"The retry limit of worker {n} is {n + 3} (config/workers.ini)." for n in range(40)],
        "values": [f"worker_{n}" for n in range(40)],
        "files_read": [f"src/worker_{n}.py (read_file)" for n in range(40)],
    }
    data = fit_keeping_new(None, merged, 300)
    assert set(data["left_out"]) == {"knowledge"}
