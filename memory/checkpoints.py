"""The background checkpoint writer: the agent never waits for it.

After each agent step the agent calls :meth:`CheckpointWriter.observe`. Whenever the part of
the transcript no checkpoint covers yet grows past :data:`ROLLING_SHARE` of the usable window,
a checkpoint is written that merges the previous one with the new messages only (the range
after the previous checkpoint is read and extracted, nothing before it), so the latest
checkpoint always covers the session up to a recent point, however long the session runs.
The share is small enough that a range is covered before it can leave the assembled context.

One asyncio task per session; requests arriving while it runs collapse into one re-check.
Across processes the work is single-flight (a lease row per session) and snapshot-then-
write-if-current: the range after the latest checkpoint is read, summarised without any lock
held, and stored only if no other writer stored a checkpoint meanwhile, so each range is
summarised once (R12).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from importlib import resources

from cairn.memory.checkpoint_format import fit_keeping_new, merge, parse_narrative, render
from cairn.memory.extract import extract
from cairn.memory.ports import TextModel, TokenCounter, approx_tokens
from cairn.memory.records import CheckpointRecord, StoredMessage
from cairn.memory.store import MemoryStore
from cairn.memory.value_changes import changes_in

log = logging.getLogger(__name__)

SAFETY_MARGIN_TOKENS = 20_000  # MiMo Code's margin below the window, scaled down for small ones
TRANSCRIPT_CHARS_PER_MESSAGE = 800
# A checkpoint is due when the uncovered tail reaches this share of the usable window. Context
# assembly keeps at least about half of what the fixed sections leave for recent messages, so
# a tail of 30% is summarised before any of it has to leave the context.
ROLLING_SHARE = 0.30
MIN_TRIGGER_TOKENS = 256
CALL_LOOKBACK = 16  # messages read back for the calls a range's first tool outputs answer


def usable_window(window_tokens: int, output_reserve: int) -> int:
    """Tokens the conversation may use: window - output reserve - margin (at least half)."""
    margin = min(SAFETY_MARGIN_TOKENS, window_tokens // 10)
    reserve = min(output_reserve, window_tokens // 4)
    return max(window_tokens // 2, window_tokens - reserve - margin)


def usable_budget(window_tokens: int, output_reserve: int, budget_tokens: int | None = None) -> int:
    """The usable window, or the next call's input budget when the caller knows it and it is
    smaller (it already leaves out tool schemas and the reply)."""
    usable = usable_window(window_tokens, output_reserve)
    return min(usable, budget_tokens) if budget_tokens else usable


def trigger_tokens(window_tokens: int, output_reserve: int, budget_tokens: int | None = None) -> int:
    """Uncovered-tail size (tokens) at which a new checkpoint is written."""
    usable = usable_budget(window_tokens, output_reserve, budget_tokens)
    return max(MIN_TRIGGER_TOKENS, int(usable * ROLLING_SHARE))


def load_prompt() -> str:
    """The checkpoint narrative prompt (a file, not a literal)."""
    return (resources.files("cairn.memory") / "prompts" / "checkpoint.md").read_text("utf-8")


def transcript_for_model(rows: list[StoredMessage], max_chars: int = 24_000) -> str:
    """Messages as compact text for the summariser, newest kept when over ``max_chars``.

    A user message the user did not write (a code action's prompt) is labelled as Cairn's.
    """
    lines: list[str] = []
    for row in rows:
        message = row.message
        text = message.get("content") or ""
        role = message["role"]
        if role == "user" and row.user_text is not None and row.user_text != text:
            role, text = (
                ("user (their words)", row.user_text)
                if row.user_text
                else ("cairn (code action prompt)", text)
            )
        for call in message.get("tool_calls") or []:
            fn = call.get("function") or {}
            text += f"\n[calls {fn.get('name')}({fn.get('arguments', '')})]"
        limit = TRANSCRIPT_CHARS_PER_MESSAGE // (2 if message["role"] == "tool" else 1)
        if len(text) > limit:
            text = text[:limit] + " …"
        lines.append(f"[{row.seq}] {role}: {text}")
    joined = "\n".join(lines)
    return joined[-max_chars:]


@dataclass
class _SessionState:
    window: int = 0
    budget: int | None = None
    task: asyncio.Task | None = None
    recheck: bool = False  # a request arrived while the task ran (newer ones collapse into it)
    written: list[CheckpointRecord] = field(default_factory=list)


async def calls_before(store: MemoryStore, session_id: str, rows: list[StoredMessage]) -> list[StoredMessage]:
    """The messages before ``rows`` that may hold the calls its first tool outputs answer (one
    step's calls and outputs are a few messages; none when the range starts with another role)."""
    if not rows or rows[0].message["role"] != "tool":
        return []
    return await store.message_rows_before(session_id, before_seq=rows[0].seq, limit=CALL_LOOKBACK)


class CheckpointWriter:
    """Writes rolling structured checkpoints in the background, at most one task per session."""

    def __init__(
        self,
        store: MemoryStore,
        model: TextModel | None,
        *,
        count_tokens: TokenCounter = approx_tokens,
        output_reserve: int = 4_096,
        max_checkpoint_tokens: int = 3_000,
        lease_ttl: float = 120.0,
        lease_wait: float = 30.0,
    ) -> None:
        self.store = store
        self.model = model
        self.count_tokens = count_tokens
        self.output_reserve = output_reserve
        self.max_checkpoint_tokens = max_checkpoint_tokens
        self.lease_ttl = lease_ttl
        self.lease_wait = lease_wait
        self._sessions: dict[str, _SessionState] = {}
        self._closed = False
        self.model_calls = 0

    def observe(self, session_id: str, window_tokens: int, *, budget_tokens: int | None = None) -> None:
        """Note that the session grew; write a checkpoint in the background if it is due.

        Call after each agent step (after the step's messages are stored). Costs O(1) here:
        the check (one indexed query over the uncovered tail) and any write run in a task;
        a call while that task runs only asks it to check once more when done. Never
        blocks and never raises for a background failure (those are logged). Must be called
        from the event loop's thread.
        """
        if self._closed or window_tokens <= 0:
            return
        state = self._sessions.setdefault(session_id, _SessionState())
        state.window, state.budget = window_tokens, budget_tokens
        if state.task is not None and not state.task.done():
            state.recheck = True
            return
        state.task = asyncio.get_running_loop().create_task(
            self._run(session_id), name=f"cairn-checkpoint-{session_id[:8]}"
        )

    async def _run(self, session_id: str) -> None:
        state = self._sessions[session_id]
        while not self._closed:
            state.recheck = False
            try:
                await self._write_if_due(session_id, state)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checkpoint for session %s failed", session_id)
            if not state.recheck:
                return

    async def _write_if_due(self, session_id: str, state: _SessionState) -> None:
        tail = await self.store.uncovered_tail(session_id)
        if tail.tokens < trigger_tokens(state.window, self.output_reserve, state.budget):
            return
        usable = usable_budget(state.window, self.output_reserve, state.budget)
        # ``threshold`` records how large the tail had grown, as a share of the usable window.
        record = await self.write_now(session_id, threshold=round(tail.tokens / usable, 3))
        if record is not None:
            state.written.append(record)

    async def write_now(self, session_id: str, *, threshold: float | None = None) -> CheckpointRecord | None:
        """Write a checkpoint for everything after the latest one (None if nothing to do)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.lease_wait
        name = f"checkpoint:{session_id}"
        while True:
            async with self.store.lease(name, ttl=self.lease_ttl) as held:
                if held:
                    return await self._summarise_and_store(session_id, threshold)
            if loop.time() > deadline:
                log.info("checkpoint for %s skipped: another process holds %s", session_id, name)
                return None
            await asyncio.sleep(0.05)  # the other writer will cover the range it snapshotted

    async def _summarise_and_store(self, session_id: str, threshold: float | None) -> CheckpointRecord | None:
        previous = await self.store.latest_checkpoint(session_id)
        base = previous.last_seq if previous else 0
        rows = await self.store.message_rows(session_id, after_seq=base)
        if not rows:
            return None
        narrative: dict[str, str] = {}
        if self.model is not None:
            narrative = await self._narrative(self.model, previous, rows)
        before = previous.data if previous else None
        calls = await calls_before(self.store, session_id, rows)
        found, changes = extract(rows, calls_from=calls), changes_in(rows, calls_from=calls)
        data = fit_keeping_new(
            before, merge(before, found, narrative, changes), self.max_checkpoint_tokens, self.count_tokens
        )
        record = await self.store.save_checkpoint_if_current(
            session_id,
            base_last_seq=base,
            first_seq=rows[0].seq,
            last_seq=rows[-1].seq,
            data=data,
            tokens=self.count_tokens(render(data)),
            threshold=threshold,
        )
        if record is None:
            log.debug("checkpoint for %s discarded: a newer one was written meanwhile", session_id)
        return record

    async def _narrative(
        self, model: TextModel, previous: CheckpointRecord | None, rows: list[StoredMessage]
    ) -> dict[str, str]:
        before = render(previous.data) if previous else "(no earlier checkpoint)"
        messages = [
            {"role": "system", "content": load_prompt()},
            {
                "role": "user",
                "content": f"Previous checkpoint:\n{before}\n\nNew messages:\n{transcript_for_model(rows)}",
            },
        ]
        self.model_calls += 1
        try:
            return parse_narrative(await model.complete(messages, max_tokens=600))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the verbatim sections are still worth writing
            log.warning("checkpoint narrative failed (%s); writing the exact values only", exc)
            return {}

    async def latest_checkpoint(self, session_id: str) -> CheckpointRecord | None:
        """The newest stored checkpoint of the session (from any process)."""
        return await self.store.latest_checkpoint(session_id)

    def written(self, session_id: str) -> list[CheckpointRecord]:
        """Checkpoints this writer stored for the session (for tests and progress)."""
        state = self._sessions.get(session_id)
        return list(state.written) if state else []

    @property
    def running(self) -> int:
        """How many sessions have a checkpoint being written right now."""
        return sum(1 for s in self._sessions.values() if s.task is not None and not s.task.done())

    async def drain(self) -> None:
        """Wait until no checkpoint task is running or queued."""
        while True:
            tasks = [s.task for s in self._sessions.values() if s.task and not s.task.done()]
            if not tasks:
                return
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self, *, timeout: float | None = 10.0) -> None:
        """Stop accepting work, let running writes finish (cancelled after ``timeout``)."""
        self._closed = True
        tasks = [s.task for s in self._sessions.values() if s.task and not s.task.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
