"""Context assembly: the messages for the next model call, within a token budget.

The sections, their order, budget shares and which may be dropped are declared once, in
:data:`cairn.memory.context_sections.SECTIONS`; each has one builder there. In short:

``system`` + ``skills``   the system message: the server's prompt and the skill index ONLY;
                          no stored or recalled text ever enters it (R17).
``directives``            the user's standing instructions, verbatim; never dropped.
``repo_map``              the workspace's files and top-level symbols (the host renders it
                          within the share it is given), fenced as data.
``project_memory``        trusted long-term memories, fenced as data, with provenance.
``sessions_digest``       earlier sessions' latest checkpoints, newest first and dated, from the
                          room this session does not need (so a new session starts warm); a
                          session with no checkpoint of its own lends them its checkpoint share.
``checkpoint``            this session's latest checkpoint, when older messages are left out.
``recalled``              memories relevant to the current request, fenced, with provenance.
``recent``                the newest messages, always everything after the checkpoint's
                          coverage: old tool outputs are shortened, then stubbed, before a
                          message is dropped, and a dropped one is announced, never silent.
``request``               the current request, when it is not yet in the transcript.

:class:`ContextAssembler` keeps one session's material between calls and re-reads only what
changed: one query a step reads the rows appended since and the change marks that say whether
the checkpoint or the memories must be read again. :func:`assemble` is the one-call form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cairn.memory.context_result import (
    AssembledContext,
    ContextBudgetError,
    ContextPart,
    MemoCounter,
    context_summary,
)
from cairn.memory.context_sections import (
    ORDER,
    Budget,
    MemoryLines,
    by_value,
    checkpoint_block,
    digest_block,
    directive_texts,
    directives_text,
    earlier_directives,
    omission_note,
    project_memory_block,
    recalled_block,
    repo_map_block,
)
from cairn.memory.context_tail import (
    MESSAGE_OVERHEAD_TOKENS,
    TailEntry,
    TailFit,
    TranscriptTail,
    fit_recent,
    fit_tail,
    message_tokens,
    newest_tool_indexes,
)
from cairn.memory.gist import gist
from cairn.memory.ports import TokenCounter, approx_tokens
from cairn.memory.records import CheckpointRecord, Memory
from cairn.memory.store import MemoryStore
from cairn.memory.store_context import ContextMarks, SessionCheckpoint

__all__ = [
    "AssembledContext",
    "ContextAssembler",
    "ContextBudgetError",
    "ContextPart",
    "assemble",
    "context_summary",
    "message_tokens",
]

_fit_recent = fit_recent  # the name bench/memory_recall.py imports
MIN_CHECKPOINT_SHARE = 0.15  # of the conversation's room, when a lagging checkpoint makes way
PREVIOUS_SESSIONS = 8
WORKED_FILES = 64  # files the earlier sessions worked in, passed to the repository map


class ContextAssembler:
    """Context assembly for one session, reusing between calls whatever did not change."""

    def __init__(
        self,
        store: MemoryStore,
        session_id: str,
        *,
        count_tokens: TokenCounter = approx_tokens,
        recall_limit: int = 8,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.count = MemoCounter(count_tokens)
        self.recall_limit = recall_limit
        self.tail = TranscriptTail(store, session_id, self.count)
        self._marks: ContextMarks | None = None
        self._checkpoint: CheckpointRecord | None = None
        self._previous: list[SessionCheckpoint] = []
        self._worked: tuple[tuple[tuple[str, int], ...], tuple[str, ...]] = ((), ())  # (of, paths)
        self._covered = 0  # complete messages the checkpoint covers
        self._covered_seq = 0  # ... counted up to this seq (a running total: R18)
        self._memories: list[Memory] = []
        self._stale: frozenset[str] = frozenset()  # gists of memories found stale
        self._project = MemoryLines([], {})
        self._recalled: tuple[str, MemoryLines] | None = None
        self._blocks: dict[tuple, str] = {}  # built texts by (builder, inputs), cleared on change

    @property
    def session_tokens(self) -> int:
        """Tokens of the whole session so far (kept up to date, never re-counted)."""
        return self.tail.session_tokens

    async def _refresh(self) -> None:
        if self.tail.loaded:  # the steady state: one query
            marks, rows = await self.store.context_changes(self.session_id, after_seq=self.tail.last_seq)
            self.tail.extend(rows)
        else:
            await self.tail.load()
            marks = await self.store.context_marks()
        old, self._marks = self._marks, marks
        if old is None or marks.checkpoint_head != old.checkpoint_head:
            self._checkpoint = await self.store.latest_checkpoint(self.session_id)
            self._previous = await self.store.previous_session_checkpoints(
                exclude=self.session_id, limit=PREVIOUS_SESSIONS
            )
            await self._read_worked()
            await self._count_covered()
            self._blocks.clear()
        if old is None or marks.memory_version != old.memory_version:
            self._memories = await self.store.project_memories()
            # What consolidation found no longer true (a file says otherwise, an anchor is
            # gone): an earlier session's checkpoint still says it, the digest must not.
            self._stale = frozenset(gist(m.text) for m in await self.store.list_memories(status="stale"))
            self._project = MemoryLines.of(
                by_value(
                    m
                    for m in self._memories
                    if m.kind != "directive" and not m.untrusted and not self._learned_here(m)
                ),
                self.count,
            )
            self._recalled = None
            self._blocks.clear()

    async def _read_worked(self) -> None:
        """The files the earlier sessions worked in, read again only when one of them moved on."""
        of = tuple((p.checkpoint.session_id, p.checkpoint.last_seq) for p in self._previous)
        if of != self._worked[0]:
            paths = await self.store.files_worked_in([session_id for session_id, _ in of], limit=WORKED_FILES)
            self._worked = (of, tuple(paths))

    def _learned_here(self, memory: Memory) -> bool:
        """Whether ``memory`` was learned in this session only (consolidated mid-session, when
        another session ended): this session's transcript and checkpoint hold it, and hold
        what has changed since, so project memory would show an older copy as current."""
        return bool(memory.session_ids) and set(memory.session_ids) == {self.session_id}

    async def _count_covered(self) -> None:
        """Keep ``_covered`` current by counting only what a newer checkpoint added."""
        cover = self._checkpoint.last_seq if self._checkpoint is not None else 0
        if cover < self._covered_seq:  # a checkpoint went away (forgotten): count afresh
            self._covered = self._covered_seq = 0
        if cover > self._covered_seq:
            self._covered += await self.store.complete_count_between(
                self.session_id, after_seq=self._covered_seq, up_to_seq=cover
            )
            self._covered_seq = cover

    def _block(self, key: tuple, build: Any) -> str:
        if key not in self._blocks:
            if len(self._blocks) > 64:
                self._blocks.clear()
            self._blocks[key] = build()
        return self._blocks[key]

    async def _recall(self, query: str) -> MemoryLines:
        if self._recalled is None or self._recalled[0] != query:
            # What a memory says, not which files were edited (the repository map shows the
            # files, history the edits), nor a directive (those are in their own section).
            found = await self.store.recall(query, limit=2 * self.recall_limit) if query.strip() else []
            said = [m for m in found if m.kind not in ("directive", "file")][: self.recall_limit]
            lines = MemoryLines.of(said, self.count)
            self._recalled = (query, lines)
        return self._recalled[1]

    async def assemble(
        self,
        *,
        system_prompt: str,
        skill_index: str = "",
        request: str | None = None,
        budget_tokens: int,
        repo_map: Callable[[int, tuple[str, ...]], str] | None = None,
    ) -> AssembledContext:
        """Messages for the next model call within ``budget_tokens`` (see the module docstring).

        ``repo_map(cap, worked)``: the repository map within ``cap`` tokens, the files the earlier
        sessions worked in (``worked``, newest first) shown first after those the request names
        (None: no map section).

        Raises :class:`ContextBudgetError` when the system prompt and the directives alone
        exceed the budget.
        """
        await self._refresh()
        count = self.count
        budget = Budget(budget_tokens)
        checkpoint = self._checkpoint
        sections: dict[str, list[tuple[dict, int]]] = {}

        # -- fixed: system prompt, directives, skill index ------------------------------------
        required = directive_texts(self._memories, checkpoint)
        required_text = directives_text(required, [], 0, count)
        fixed = count(system_prompt) + count(required_text) + 3 * MESSAGE_OVERHEAD_TOKENS
        if fixed > budget_tokens:
            raise ContextBudgetError(
                f"the system prompt and directives need ~{fixed} tokens, over the budget of {budget_tokens}"
            )
        # Directives from earlier sessions' checkpoints join while they fit the directives' share.
        directives = self._block(
            ("directives", budget_tokens, tuple(required)),
            lambda: directives_text(
                required, earlier_directives(self._previous), budget.share("directives"), count
            ),
        )
        if fixed + count(directives) - count(required_text) > budget_tokens:
            directives = required_text
        fixed += count(directives) - count(required_text)
        skills = self._block(
            ("skills", skill_index, fixed, budget_tokens),
            lambda: _trim(skill_index, fixed, budget_tokens, count),
        )
        system = {"role": "system", "content": system_prompt + (f"\n\n{skills}" if skills else "")}
        system_tokens = message_tokens({"content": system_prompt}, count)
        budget.take(system_tokens + (count(skills) if skills else 0))
        if directives:
            sections["directives"] = [self._message(directives, budget)]
        budget.fix_base()

        # -- the repository map: its share, before what varies from step to step ----------------
        if repo_map is not None:
            worked = self._worked[1]
            block = repo_map_block(lambda room: repo_map(room, worked), budget.share("repo_map"), count)
            if block:
                sections["repo_map"] = [self._message(block, budget)]

        # -- the request, project memory, recall ------------------------------------------------
        last = self.tail.entries[-1].message if self.tail.entries else None
        appended = bool(request) and not (
            last is not None and last["role"] == "user" and last.get("content") == request
        )
        request_message = {"role": "user", "content": request} if appended else None
        request_tokens = message_tokens(request_message, count) if request_message else 0
        query = request or self.tail.last_user
        digest_cap = budget.share("sessions_digest")
        if checkpoint is None:  # no past of its own yet: the earlier sessions' are what it continues
            digest_cap += budget.share("checkpoint")
        digest_want = count(self._digest(digest_cap, required)) if self._previous else 0
        shown_checkpoint = min(checkpoint.tokens, budget.share("checkpoint")) if checkpoint else 0
        need = self.tail.session_tokens + request_tokens + shown_checkpoint
        spare = budget.base - need - budget.share("recalled") - digest_want
        shown: set[int] = set()
        project = project_memory_block(self._project, max(budget.share("project_memory"), spare), shown)
        if project:
            sections["project_memory"] = [self._message(project, budget)]
        recalled = recalled_block(await self._recall(query), budget.share("recalled"), shown)
        if recalled:
            sections["recalled"] = [self._message(recalled, budget)]

        # -- checkpoint + recent messages ------------------------------------------------------
        budget.take(request_tokens)
        window, stats = await self._conversation(budget, sections)
        sections["recent"] = list(zip(window.messages, window.tokens))
        if request_message is not None:
            sections["request"] = [(request_message, request_tokens)]

        # -- the digest of earlier sessions, from what the session itself does not need --------
        if self._previous:
            quantum = max(32, digest_cap // 8)  # few distinct caps: the digest is rebuilt rarely
            cap = min(digest_cap, budget.remaining) // quantum * quantum
            known = self._project.said(shown) | self._recalled_lines().said(shown) | self._stale
            digest = self._digest(cap, required, frozenset(known)) if cap > 0 else ""
            if digest and message_tokens({"content": digest}, count) <= budget.remaining:
                sections["sessions_digest"] = [self._message(digest, budget)]

        messages, parts = [system], [ContextPart("system", 0, system_tokens)]
        if skills:
            parts.append(ContextPart("skills", 0, count(skills)))
        for name in sorted(sections, key=ORDER.__getitem__):
            for message, tokens in sections[name]:
                messages.append(message)
                parts.append(ContextPart(name, len(messages) - 1, tokens))
        return AssembledContext(messages, parts, budget=budget_tokens, **stats)

    def _message(self, text: str, budget: Budget) -> tuple[dict, int]:
        message = {"role": "user", "content": text}
        tokens = message_tokens(message, self.count)
        budget.take(tokens)
        return message, tokens

    def _digest(self, cap: int, shown: list[str], known: frozenset[str] = frozenset()) -> str:
        return self._block(
            ("digest", cap, tuple(shown), known),
            lambda: digest_block(self._previous, cap, shown, self.count, known),
        )

    def _recalled_lines(self) -> MemoryLines:
        return self._recalled[1] if self._recalled is not None else MemoryLines([], {})

    async def _conversation(
        self, budget: Budget, sections: dict[str, list[tuple[dict, int]]]
    ) -> tuple[TailFit, dict[str, int]]:
        """The recent window, and the checkpoint when older messages are left out.

        Everything after the checkpoint's coverage stays: if it does not fit (the checkpoint
        lags), the checkpoint gets less room and older tool outputs are cut to a stub before any
        message is dropped; a message that still cannot fit is announced in a note."""
        tail, count = self.tail, self.count
        room = budget.remaining
        await tail.reach(room)
        entries = tail.entries
        window = fit_tail(entries, room, whole=True) if tail.at_start and tail.min_tokens <= room else None
        checkpoint = self._checkpoint
        cover = checkpoint.last_seq if checkpoint else 0
        lost = 0
        if window is None or window.start:  # older messages must be left out
            lagging = checkpoint is None  # with no checkpoint, every message left out is lost
            if checkpoint is not None:
                cap = min(budget.share("checkpoint"), room)
                text = self._checkpoint_text(checkpoint, cap)
                window = fit_tail(entries, room - message_tokens({"content": text}, count), whole=False)
                lagging = self._lost(window, cover) > 0
                if lagging:  # the checkpoint makes way for what it does not cover yet
                    need = _need_after(entries, cover, room)
                    cap = max(int(room * MIN_CHECKPOINT_SHARE), min(cap, room - need))
                    text = self._checkpoint_text(checkpoint, cap)
                sections["checkpoint"] = [self._message(text, budget)]
                room = budget.remaining
            if lagging:  # old tool outputs go down to a stub before any message is dropped
                reserve = message_tokens({"content": omission_note(10**6)}, count)
                window = fit_tail(entries, room - reserve, whole=False, level=2)
                lost = self._lost(window, cover)
                if lost:  # said, never silent
                    note = {"role": "user", "content": omission_note(lost)}
                    window.messages.insert(0, note)
                    window.tokens.insert(0, message_tokens(note, count))
        assert window is not None  # every branch above chose one
        budget.take(window.total)
        tail.forget_beyond(max(room, budget.total))
        stats = {
            "blanked_tool_outputs": window.shortened,
            "dropped_messages": tail.older_count + window.start,
            "lost_messages": lost,
        }
        return window, stats

    def _checkpoint_text(self, checkpoint: CheckpointRecord, cap: int) -> str:
        return self._block(("checkpoint", cap), lambda: checkpoint_block(checkpoint, cap, self.count))

    def _lost(self, window: TailFit, cover: int) -> int:
        """Messages after the checkpoint's coverage (``cover``) older than the window."""
        entries = self.tail.entries
        lost = 0
        index = window.start - 1
        while index >= 0 and entries[index].seq > cover:
            lost += 1
            index -= 1
        if index < 0 and (not entries or entries[0].seq > cover + 1):
            lost += max(0, self.tail.older_count - self._covered)
        return lost


def _need_after(entries: list[TailEntry], cover: int, limit: int) -> int:
    """Tokens the messages after ``cover`` need with old tool outputs stubbed (up to ``limit``)."""
    protected = newest_tool_indexes(entries)
    need = 0
    for index in range(len(entries) - 1, -1, -1):
        if entries[index].seq <= cover or need > limit:
            break
        need += entries[index].forms[0 if index in protected else 2][1]
    return need


def _trim(skills: str, fixed: int, budget: int, count: TokenCounter) -> str:
    while skills and fixed + count(skills) > budget:
        skills = skills[: len(skills) * 3 // 4]  # the index is a list: keep its head
    return skills


async def assemble(
    store: MemoryStore,
    session_id: str,
    *,
    system_prompt: str,
    skill_index: str = "",
    request: str | None = None,
    budget_tokens: int,
    count_tokens: TokenCounter = approx_tokens,
    recall_limit: int = 8,
    repo_map: Callable[[int, tuple[str, ...]], str] | None = None,
) -> AssembledContext:
    """Messages for the next model call of ``session_id`` within ``budget_tokens``.

    ``request`` is the current user request (used for recall, and appended when it is not
    already the last stored message). The one-call form of :class:`ContextAssembler`, which
    an agent run keeps between steps.
    """
    assembler = ContextAssembler(store, session_id, count_tokens=count_tokens, recall_limit=recall_limit)
    return await assembler.assemble(
        system_prompt=system_prompt,
        skill_index=skill_index,
        request=request,
        budget_tokens=budget_tokens,
        repo_map=repo_map,
    )
