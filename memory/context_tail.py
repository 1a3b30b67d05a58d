"""A session's transcript tail, kept in memory and extended by what is appended.

Context assembly shows the newest messages that fit its budget. ``TranscriptTail`` reads a
session backwards, one page at a time, until it holds more than any budget can show, then reads
only the rows appended since (one query a step) and forgets rows no budget can reach, so a
step costs the same at message 30 and at message 30,000. Each message's token count is the one
stored with it (counted once, when it was appended) or counted once here, and so is the
shortened form of each tool output.

:func:`fit_tail` picks the window: old tool outputs are shortened before any message is
dropped, the newest tool outputs stay whole, and a window never starts with a tool result whose
call was left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cairn.memory.extract import notable_lines
from cairn.memory.ports import TokenCounter
from cairn.memory.records import StoredMessage
from cairn.memory.store import MemoryStore

MESSAGE_OVERHEAD_TOKENS = 4
KEEP_TOOL_OUTPUTS = 2  # the newest tool outputs are never shortened
MAX_NOTABLE_LINES = 5
PAGE_ROWS = 64
STUB = "[tool output omitted to save space; use the history tool to see it]"


def message_tokens(message: dict, count: TokenCounter) -> int:
    """Estimated tokens of one chat message, tool calls included."""
    total = MESSAGE_OVERHEAD_TOKENS + count(message.get("content") or "")
    if message.get("tool_calls"):
        total += count(json.dumps(message["tool_calls"]))
    return total


def shorten_tool_output(message: dict, count: TokenCounter) -> dict:
    """A tool result without its body; errors and live resources (ports, URLs, pids) outlive the
    rest of the output, so their lines are kept."""
    text = message.get("content") or ""
    errors, resources = notable_lines(text)
    kept = list(dict.fromkeys(errors + resources))[:MAX_NOTABLE_LINES]
    note = ("; kept lines:\n" + "\n".join(kept)) if kept else ""
    return {
        **message,
        "content": f"[tool output omitted to save space ({count(text)} tokens); "
        f"use the history tool to see it{note}]",
    }


@dataclass(slots=True)
class TailEntry:
    """One stored message with its token count and, for a tool result, its shortened forms.

    ``forms[level]`` is (message, tokens) at shortening level 0 (whole), 1 (the body replaced
    by a note that keeps error and live-resource lines) and 2 (a bare stub, the last resort
    before dropping messages); a message that is not a tool result has one form at every level.
    """

    row: StoredMessage
    forms: tuple[tuple[dict, int], tuple[dict, int], tuple[dict, int]]

    @property
    def message(self) -> dict:
        return self.row.message

    @property
    def seq(self) -> int:
        return self.row.seq

    @property
    def tokens(self) -> int:
        return self.forms[0][1]

    @property
    def short_tokens(self) -> int:
        return self.forms[1][1]

    @property
    def is_tool(self) -> bool:
        return self.forms[1][0] is not self.forms[0][0]


@dataclass
class TranscriptTail:
    """The newest complete messages of one session, read incrementally."""

    store: MemoryStore
    session_id: str
    count: TokenCounter
    entries: list[TailEntry] = field(default_factory=list)
    loaded: bool = False
    at_start: bool = False  # nothing older than entries[0] exists
    older_count: int = 0  # complete messages older than entries[0] (not held)
    session_tokens: int = 0  # tokens of the whole session, kept up to date as rows arrive
    min_tokens: int = 0  # the entries' tokens with every tool output shortened
    last_user: str = ""  # the newest user message's text (what recall searches by)
    last_seq: int = 0

    async def load(self) -> None:
        """The first read: one page from the newest message back, and the session's totals."""
        rows = await self.store.message_rows_before(self.session_id, limit=PAGE_ROWS)
        self.loaded = True
        self.at_start = len(rows) < PAGE_ROWS
        self.extend(rows)
        if not self.at_start and rows:
            self.older_count, _ = await self.store.transcript_totals(
                self.session_id, up_to_seq=rows[0].seq - 1
            )
            _, self.session_tokens = await self.store.transcript_totals(
                self.session_id, up_to_seq=rows[-1].seq
            )
        if not self.last_user and not self.at_start:
            newest_user = await self.store.last_user_message(self.session_id)
            self.last_user = (newest_user.message.get("content") or "") if newest_user else ""

    def extend(self, rows: list[StoredMessage]) -> None:
        """Rows appended since the last read (``store.context_changes`` reads them)."""
        self._add(rows, at_end=True)

    async def reach(self, horizon: int) -> None:
        """Hold enough rows to fill ``horizon`` tokens even with every tool output shortened
        (usually already true: reads older pages only when a budget grew)."""
        while not self.at_start and self.min_tokens < horizon and self.entries:
            rows = await self.store.message_rows_before(
                self.session_id, before_seq=self.entries[0].seq, limit=PAGE_ROWS
            )
            self.at_start = len(rows) < PAGE_ROWS
            self.older_count = max(0, self.older_count - len(rows))
            self._add(rows, at_end=False)

    def forget_beyond(self, horizon: int) -> None:
        """Drop the oldest rows that no window of ``horizon`` tokens can reach."""
        drop = 0
        remaining = self.min_tokens
        while drop < len(self.entries) - 1 and remaining - self.entries[drop].short_tokens >= horizon:
            remaining -= self.entries[drop].short_tokens
            drop += 1
        if drop:
            del self.entries[:drop]
            self.min_tokens = remaining
            self.older_count += drop
            self.at_start = False

    def _add(self, rows: list[StoredMessage], *, at_end: bool) -> None:
        entries = [self._entry(row) for row in rows]
        if at_end:
            self.entries.extend(entries)
            for entry in entries:
                self.session_tokens += entry.tokens
                if entry.message["role"] == "user":
                    self.last_user = entry.message.get("content") or ""
            if rows:
                self.last_seq = rows[-1].seq
        else:
            self.entries[:0] = entries
        self.min_tokens += sum(entry.short_tokens for entry in entries)

    def _entry(self, row: StoredMessage) -> TailEntry:
        message = row.message
        # The count stored with the message (the model's own counter) is used as is.
        tokens = (
            MESSAGE_OVERHEAD_TOKENS + row.tokens
            if row.tokens is not None
            else message_tokens(message, self.count)
        )
        whole = (message, tokens)
        if message["role"] != "tool":
            return TailEntry(row, (whole, whole, whole))
        short = shorten_tool_output(message, self.count)
        short_tokens = min(tokens, message_tokens(short, self.count))
        stub = {**message, "content": STUB}
        stub_tokens = min(short_tokens, message_tokens(stub, self.count))
        return TailEntry(row, (whole, (short, short_tokens), (stub, stub_tokens)))


@dataclass
class TailFit:
    """The chosen window: messages, their tokens, and what was shortened or left out."""

    messages: list[dict]
    tokens: list[int]
    start: int  # index in the tail's entries of the window's first message
    shortened: int = 0

    @property
    def total(self) -> int:
        return sum(self.tokens)


def fit_tail(entries: list[TailEntry], budget: int, *, whole: bool, level: int = 1) -> TailFit:
    """The newest entries within ``budget`` tokens.

    ``whole``: the entries are the entire session. When it all fits with some old tool outputs
    shortened (oldest first), nothing is dropped; otherwise every tool output but the newest
    ``KEEP_TOOL_OUTPUTS`` is shortened to ``level`` and the oldest messages are left out. Work
    is proportional to the window, not to the session.
    """
    if not entries:
        return TailFit([], [], 0)
    protected = newest_tool_indexes(entries)
    if whole:
        fit = _fit_whole(entries, budget, protected)
        if fit is not None:
            return fit
    messages: list[dict] = []
    tokens: list[int] = []
    used = 0
    shortened = 0
    index = len(entries)
    while index > 0:
        entry = entries[index - 1]
        message, cost = entry.forms[0 if index - 1 in protected else level]
        if used + cost > budget and messages:
            break
        messages.append(message)
        tokens.append(cost)
        used += cost
        shortened += message is not entry.row.message
        index -= 1
    messages.reverse()
    tokens.reverse()
    while len(messages) > 1 and messages[0]["role"] == "tool":  # no orphaned tool result
        shortened -= messages[0] is not entries[index].row.message
        messages.pop(0)
        tokens.pop(0)
        index += 1
    if tokens and tokens[-1] > budget:  # the newest message alone is too big: keep its tail
        last = dict(messages[-1])
        keep = max(0, budget - MESSAGE_OVERHEAD_TOKENS - 20) * 3
        text = last.get("content") or ""
        last["content"] = "[…earlier part omitted…]\n" + text[-keep:] if keep else ""
        messages[-1] = last
        tokens[-1] = max(MESSAGE_OVERHEAD_TOKENS, min(tokens[-1], budget))
    return TailFit(messages, tokens, index, shortened)


def newest_tool_indexes(entries: list[TailEntry]) -> set[int]:
    """Positions of the newest ``KEEP_TOOL_OUTPUTS`` tool results (never shortened)."""
    found: set[int] = set()
    index = len(entries) - 1
    while index >= 0 and len(found) < KEEP_TOOL_OUTPUTS:
        if entries[index].is_tool:
            found.add(index)
        index -= 1
    return found


def _fit_whole(entries: list[TailEntry], budget: int, protected: set[int]) -> TailFit | None:
    """All entries, the oldest tool outputs shortened until they fit; None if they cannot."""
    floor = sum(e.tokens if i in protected else e.short_tokens for i, e in enumerate(entries))
    if floor > budget:
        return None
    start = 0
    while start < len(entries) - 1 and entries[start].is_tool:  # no orphaned tool result
        start += 1
    messages = [e.message for e in entries[start:]]
    tokens = [e.tokens for e in entries[start:]]
    total = sum(tokens)
    shortened = 0
    for offset, entry in enumerate(entries[start:]):
        if total <= budget:
            break
        if entry.is_tool and start + offset not in protected:
            total -= tokens[offset] - entry.short_tokens
            messages[offset], tokens[offset] = entry.forms[1]
            shortened += 1
    return TailFit(messages, tokens, start, shortened)


def fit_recent(messages: list[dict], budget: int, count: TokenCounter) -> tuple[list[dict], int, int]:
    """:func:`fit_tail` over plain messages (the whole session): (window, shortened, dropped)."""
    tail = TranscriptTail(None, "", count)  # type: ignore[arg-type]  # no store: the rows are given
    tail._add(
        [StoredMessage(0, "", seq, m, None, True, "") for seq, m in enumerate(messages, 1)], at_end=True
    )
    window = fit_tail(tail.entries, budget, whole=True)
    return window.messages, window.shortened, window.start
