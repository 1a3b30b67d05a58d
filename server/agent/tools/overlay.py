"""`OverlaySink`: how the CLI takes edit proposals (staged and shown as a diff, or with
``--apply`` written through to disk as each one is accepted).

Staged (the default): accepted proposals are kept in memory, and later reads, searches and
edits in the same session see the proposed text, exactly as an editor's unsaved buffer would
be seen; nothing is ever written. Write-through (``cairn ask --apply``): each accepted proposal
is written at once through the `ConfinedWorkspace` (atomic, confined, protected paths refused),
so a command the agent runs next (a test, a doctest) sees the edited file; a proposal is refused
as ``stale`` when the file on disk is no longer the text it was computed against. Either way
`staged` and `diff()` report every net change against the disk text it started from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.context import ApplyOutcome, BufferText, EditProposal
from cairn.server.agent.tools.errors import PathNotFound, ToolError
from cairn.server.agent.tools.textedits import diff_text
from cairn.server.agent.tools.textfiles import MAX_TEXT_BYTES, decode_text


@dataclass
class StagedFile:
    """One file's staged state: its disk text when first staged (None: a new file), the
    proposed text now, and a version bumped on every accepted proposal."""

    path: str
    original: str | None
    text: str
    version: int


class OverlaySink:
    """In-memory staging of edit proposals for the CLI; see the module docstring."""

    def __init__(self, workspace: ConfinedWorkspace, *, write_through: bool = False) -> None:
        self._workspace = workspace
        self._write_through = write_through
        self._staged: dict[str, StagedFile] = {}

    # BufferSource
    def get(self, rel_path: str) -> BufferText | None:
        """The staged text of ``rel_path``, or None when nothing is staged for it.

        Written-through files are read from disk like any other: the disk holds their text, and
        a change someone made there since must be what the agent sees next.
        """
        staged = None if self._write_through else self._staged.get(rel_path)
        return BufferText(staged.text, staged.version) if staged else None

    def open_paths(self) -> Iterable[str]:
        """Paths with staged text (searched instead of their disk text)."""
        return [] if self._write_through else list(self._staged)

    # EditSink
    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        """Stage ``proposal`` if it was computed against the current text, else ``stale``."""
        staged = self._staged.get(proposal.path)
        current: str | None
        version: int | None
        try:
            await asyncio.to_thread(self._workspace.check_writable, proposal.path)
            if staged is not None and not self._write_through:
                current, version = staged.text, staged.version
            else:
                current = await asyncio.to_thread(self._disk_text, proposal.path)
                version = None
        except ToolError as exc:
            return ApplyOutcome("failed", str(exc))
        if proposal.creates_file:
            if current is not None or (staged is not None and not self._write_through):
                return ApplyOutcome("stale", "the file exists now")
        elif current is None:
            return ApplyOutcome("stale", "the file does not exist any more")
        elif proposal.base_text != current or proposal.base_version != version:
            return ApplyOutcome("stale", "the file changed since it was read")
        if self._write_through:
            try:
                await asyncio.to_thread(self._write, proposal)
            except (ToolError, OSError) as exc:
                return ApplyOutcome("failed", f"writing it failed: {exc}")
        if staged is None:
            self._staged[proposal.path] = StagedFile(proposal.path, current, proposal.new_text, 1)
        else:
            staged.text = proposal.new_text
            staged.version += 1
        if self._write_through:
            return ApplyOutcome("applied", "written to disk")
        return ApplyOutcome("staged", "not written until the user applies the changes")

    def _write(self, proposal: EditProposal) -> None:
        data = proposal.new_text.encode("utf-8")
        self._workspace.write_bytes(proposal.path, data, exclusive=proposal.creates_file)

    def _disk_text(self, rel: str) -> str | None:
        try:
            return decode_text(rel, self._workspace.read_bytes(rel, MAX_TEXT_BYTES))
        except PathNotFound:
            return None

    # Reviewing and writing
    @property
    def staged(self) -> list[StagedFile]:
        """Files with a net change (staged, or written through), in the order first changed."""
        return [s for s in self._staged.values() if s.text != s.original]

    def diff(self) -> str:
        """One unified diff of every change (staged or written) against the disk text it started from."""
        return "".join(
            diff_text(s.path, s.original or "", s.text, created=s.original is None) for s in self.staged
        )
