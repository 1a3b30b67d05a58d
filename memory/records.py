"""Plain value objects returned by the store (no database handles inside)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["user", "agent", "derived"]
Status = Literal["verified", "unverified", "stale"]
Tier = Literal["project", "archive"]

SOURCES: tuple[str, ...] = ("user", "agent", "derived")
STATUSES: tuple[str, ...] = ("verified", "unverified", "stale")
TIERS: tuple[str, ...] = ("project", "archive")


@dataclass(frozen=True)
class Anchor:
    """A memory's link to code: a workspace-relative POSIX path and optionally a symbol."""

    path: str
    symbol: str | None = None


@dataclass(frozen=True)
class Memory:
    """One long-term memory with its provenance (who said it, where it came from)."""

    id: int
    kind: str
    text: str
    source: Source
    provenance: str
    session_ids: tuple[str, ...]
    untrusted: bool
    status: Status
    tier: Tier
    created_at: str
    verified_at: str | None
    updated_at: str
    anchors: tuple[Anchor, ...] = ()
    score: float | None = None  # BM25 rank from recall (lower is better), else None


@dataclass(frozen=True)
class StoredMessage:
    """A transcript message as stored: the OpenAI dict plus its bookkeeping.

    ``user_text`` (user messages only) is the user's own words: None when unknown (rows from
    before it was recorded: the whole content counts as the user's), '' when the user wrote
    nothing (a code-action click: the content is Cairn's prompt).
    """

    id: int
    session_id: str
    seq: int
    message: dict[str, Any]
    tokens: int | None
    complete: bool
    created_at: str
    user_text: str | None = None

    @property
    def own_words(self) -> str:
        """What the user wrote in this message ('' for other roles and for Cairn's prompts)."""
        if self.message.get("role") != "user":
            return ""
        if self.user_text is None:
            return self.message.get("content") or ""
        return self.user_text


@dataclass(frozen=True)
class HistoryHit:
    """One raw-transcript search result.

    ``snippet`` is exact text of the message (the whole message when ``whole``, else its
    matching lines with a few around them), never altered. ``seen`` counts identical messages
    collapsed into this hit (the newest is shown; ``last_seen`` is its date) and
    ``duplicate_ids`` lists the others.
    """

    message_id: int
    session_id: str
    seq: int
    role: str
    snippet: str
    created_at: str
    name: str | None = None  # the tool's name for a tool result
    whole: bool = True
    seen: int = 1
    duplicate_ids: tuple[int, ...] = ()
    score: float = 0.0  # combined rank (lower is better)
    # A user message Cairn wrote some of: None when the user wrote all of it, '' when none of it
    # (a code action's prompt), else the user's own words inside it.
    user_text: str | None = None


RecallKind = Literal["memory", "checkpoint", "session"]


@dataclass(frozen=True)
class RecallHit:
    """One `recall` result: a long-term memory, a checkpoint line or a session note.

    ``untrusted`` marks text that may come from files or tool output (R17): it is shown as
    data with its provenance and never treated as an instruction.
    """

    kind: RecallKind
    text: str
    created_at: str
    session_id: str | None
    provenance: str
    untrusted: bool
    section: str = ""  # memory kind, or the checkpoint section key
    ref: int | None = None  # memory id, or checkpoint id
    score: float = 0.0
    memory: Memory | None = None


@dataclass(frozen=True)
class SessionInfo:
    """A session's header row."""

    id: str
    title: str | None
    origin: str
    created_at: str
    updated_at: str
    message_count: int = 0


@dataclass(frozen=True)
class CheckpointRecord:
    """A stored checkpoint: it was written for messages ``first_seq..last_seq``, and its
    structured sections merge every earlier checkpoint of the session (so they reach back to
    the session's start, whole items dropped where the size cap needs it)."""

    id: int
    session_id: str
    first_seq: int
    last_seq: int
    threshold: float | None
    data: dict[str, Any]
    tokens: int
    created_at: str


@dataclass(frozen=True)
class UncoveredTail:
    """The messages of a session after its latest checkpoint (``covered_seq``; 0: none yet)."""

    covered_seq: int
    last_seq: int
    messages: int
    tokens: int  # the stored counts; estimated from the text where none was stored


@dataclass(frozen=True)
class MemoryInsert:
    """Consolidation plan step: add a memory."""

    kind: str
    text: str
    source: Source
    provenance: str
    session_ids: tuple[str, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    untrusted: bool = False
    status: Status = "unverified"
    tier: Tier = "project"
    verified_at: str | None = None


@dataclass(frozen=True)
class MemoryUpdate:
    """Consolidation plan step: change fields of a memory if it is unchanged since the snapshot."""

    id: int
    expected_updated_at: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MemoryDelete:
    """Consolidation plan step: remove a memory if it is unchanged since the snapshot."""

    id: int
    expected_updated_at: str
