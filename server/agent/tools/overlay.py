"""`OverlaySink`: how the CLI takes edit proposals (shown as a diff, written only on --apply).

It is both the CLI's `EditSink` and its `BufferSource`: accepted proposals are kept in memory
and later reads, searches and edits in the same session see the proposed text, exactly as an
editor's unsaved buffer would be seen. `diff()` renders every staged change against the disk;
`write_all()` writes them through the `ConfinedWorkspace` (atomic, confined, protected paths
refused), after checking that nobody changed those files on disk in the meantime.
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

    def __init__(self, workspace: ConfinedWorkspace) -> None:
        self._workspace = workspace
        self._staged: dict[str, StagedFile] = {}

    # BufferSource
    def get(self, rel_path: str) -> BufferText | None:
        """The staged text of ``rel_path``, or None when nothing is staged for it."""
        staged = self._staged.get(rel_path)
        return BufferText(staged.text, staged.version) if staged else None

    def open_paths(self) -> Iterable[str]:
        """Paths with staged text (searched instead of their disk text)."""
        return list(self._staged)

    # EditSink
    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        """Stage ``proposal`` if it was computed against the current text, else ``stale``."""
        staged = self._staged.get(proposal.path)
        current: str | None
        version: int | None
        try:
            await asyncio.to_thread(self._workspace.check_writable, proposal.path)
            if staged is not None:
                current, version = staged.text, staged.version
            else:
                current = await asyncio.to_thread(self._disk_text, proposal.path)
                version = None
        except ToolError as exc:
            return ApplyOutcome("failed", str(exc))
        if proposal.creates_file:
            if staged is not None or current is not None:
                return ApplyOutcome("stale", "the file exists now")
        elif current is None:
            return ApplyOutcome("stale", "the file does not exist any more")
        elif proposal.base_text != current or proposal.base_version != version:
            return ApplyOutcome("stale", "the file changed since it was read")
        if staged is None:
            self._staged[proposal.path] = StagedFile(proposal.path, current, proposal.new_text, 1)
        else:
            staged.text = proposal.new_text
            staged.version += 1
        return ApplyOutcome("staged", "not written until the user applies the changes")

    def _disk_text(self, rel: str) -> str | None:
        try:
            return decode_text(rel, self._workspace.read_bytes(rel, MAX_TEXT_BYTES))
        except PathNotFound:
            return None

    # Reviewing and writing
    @property
    def staged(self) -> list[StagedFile]:
        """Staged files with a net change, in the order first staged."""
        return [s for s in self._staged.values() if s.text != s.original]

    def diff(self) -> str:
        """One unified diff of every staged change against the disk text it started from."""
        return "".join(
            diff_text(s.path, s.original or "", s.text, created=s.original is None) for s in self.staged
        )

    async def write_all(self) -> list[str]:
        """Write every staged change to disk (``--apply``); returns the paths written.

        All files are checked first: if any changed on disk since it was staged nothing is
        written and `ToolError` says which. Each file is then replaced atomically.
        """
        return await asyncio.to_thread(self._write_all_sync)

    def _write_all_sync(self) -> list[str]:
        pending = self.staged
        changed = [s.path for s in pending if self._disk_text(s.path) != s.original]
        if changed:
            raise ToolError(
                "Changed on disk since the edits were proposed, nothing written: " + ", ".join(changed)
            )
        written: list[str] = []
        for item in pending:
            try:
                self._workspace.write_bytes(
                    item.path, item.text.encode("utf-8"), exclusive=item.original is None
                )
            except (ToolError, OSError) as exc:
                done = ", ".join(written) or "none"
                raise ToolError(f"Writing {item.path} failed ({exc}); written before it: {done}") from exc
            written.append(item.path)
            item.original = item.text
        return written
