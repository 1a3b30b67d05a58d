"""What a tool call runs with: the confined workspace and the ports the host implements.

The LSP layer and the CLI plug in through three small protocols, so no tool imports pygls:
`BufferSource` (text of open editor buffers), `EditSink` (where edit proposals go: the editor's
``workspace/applyEdit``, or the CLI's in-memory overlay) and `Approver` (asks the user before
a shell command runs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from cairn.server.agent.tools.confine import ConfinedWorkspace

# Same values as cairn.server.settings.ShellPolicy (kept local so tools depend on nothing above).
ShellPolicy = Literal["ask", "allow", "deny"]


@dataclass(frozen=True)
class BufferText:
    """The text of an open editor buffer and its document version (None when unversioned)."""

    text: str
    version: int | None = None


@dataclass(frozen=True)
class EditProposal:
    """A whole-file change the agent proposes, relative to the text it was computed from.

    ``path`` is workspace-relative with '/' separators. ``base_text``/``base_version`` are what
    the change was computed against (``base_version`` is the buffer version, None for disk
    text): a sink must refuse the proposal as ``stale`` when the document no longer matches.
    ``creates_file`` marks a new file (``base_text`` is then "").
    """

    path: str
    base_text: str
    base_version: int | None
    new_text: str
    description: str
    creates_file: bool = False


ApplyStatus = Literal["applied", "staged", "rejected", "stale", "failed"]


@dataclass(frozen=True)
class ApplyOutcome:
    """What became of a proposal: ``applied`` (in the editor), ``staged`` (CLI overlay, written
    only with --apply), ``rejected`` (by the user), ``stale`` (the document changed since it
    was read: re-read and retry) or ``failed`` (with ``message`` saying why)."""

    status: ApplyStatus
    message: str = ""

    @property
    def accepted(self) -> bool:
        """True when the change took effect or is queued to."""
        return self.status in ("applied", "staged")


@dataclass(frozen=True)
class ApprovalRequest:
    """A question for the user before something with side effects runs (a shell command)."""

    kind: Literal["shell"]
    title: str
    command: str
    cwd: str
    detail: str = ""


@runtime_checkable
class BufferSource(Protocol):
    """Open editor buffers, looked up by workspace-relative path.

    Implementations may also offer ``open_paths() -> Iterable[str]`` (the paths that have a
    buffer); `search` then searches unsaved buffer text too.
    """

    def get(self, rel_path: str) -> BufferText | None:
        """The buffer for ``rel_path`` or None when it is not open."""
        ...


@runtime_checkable
class EditSink(Protocol):
    """Where edit proposals go (editor: ``workspace/applyEdit``; CLI: `OverlaySink`)."""

    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        """Apply, stage or refuse ``proposal``; never raise for a stale or refused edit."""
        ...


@runtime_checkable
class Approver(Protocol):
    """Asks the user whether something may run."""

    async def ask(self, request: ApprovalRequest) -> bool:
        """True when the user approved ``request``."""
        ...


class NoBuffers:
    """A `BufferSource` with nothing open (the CLI before any edit, tests)."""

    def get(self, rel_path: str) -> BufferText | None:
        return None

    def open_paths(self) -> Iterable[str]:
        return ()


class FixedApprover:
    """An `Approver` with a fixed answer (``FixedApprover(False)`` refuses everything)."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.requests: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> bool:
        self.requests.append(request)
        return self.answer


class RefusingSink:
    """An `EditSink` that accepts nothing (read-only runs)."""

    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        return ApplyOutcome("rejected", "edits are disabled in this session")


@dataclass
class ToolContext:
    """Everything a tool call may use. ``trusted`` False means no shell at all (R16).

    ``shell_timeout`` is the user's upper bound in seconds; ``sandbox_writable`` lists extra
    directories shell commands may write besides the workspace and the temp directory.
    """

    workspace: ConfinedWorkspace
    buffers: BufferSource = field(default_factory=NoBuffers)
    edits: EditSink = field(default_factory=RefusingSink)
    approver: Approver = field(default_factory=lambda: FixedApprover(False))
    trusted: bool = False
    shell_policy: ShellPolicy = "ask"
    shell_timeout: float = 120.0
    sandbox_writable: tuple[str, ...] = ()
    session_id: str | None = None  # the agent session this call belongs to (memory tools)
    # The most characters one result may take in this model's context (set by the agent loop
    # from the model's window; None: only the registry's own cap). Tools that return lists or
    # lines stop at a whole item within it and say what is left, instead of being cut.
    output_chars: int | None = None

    @property
    def protected_paths(self) -> tuple[Path, ...]:
        """Absolute paths never read or written (enforced by `workspace`)."""
        return self.workspace.protected.secret_files

    @classmethod
    def create(
        cls, root: str | Path, *, protected_paths: Iterable[str | Path] = (), **kwargs: object
    ) -> ToolContext:
        """Open a `ConfinedWorkspace` on ``root`` and build the context around it."""
        return cls(ConfinedWorkspace(root, secret_files=protected_paths), **kwargs)  # type: ignore[arg-type]
