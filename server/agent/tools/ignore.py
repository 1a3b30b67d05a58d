"""Which workspace paths listing and search skip: VCS internals, and what `.gitignore` says.

Git's rules, as far as they matter here: a `.gitignore` applies to the directory it is in and
below, patterns are relative to that directory, deeper files win over shallower ones, the last
matching line wins within a file (`!` re-includes), `.git/info/exclude` acts like a root file
of lower precedence, and nothing inside an ignored directory can be re-included (so ignored
directories are not entered at all). Pattern matching is pathspec's `GitIgnoreSpec`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pathspec

from cairn.server.agent.tools.confine import ConfinedWorkspace, Entry
from cairn.server.agent.tools.errors import ToolError

log = logging.getLogger(__name__)

MAX_IGNORE_FILE_BYTES = 512 * 1024
ALWAYS_SKIPPED = frozenset({".git", ".hg", ".svn"})  # version-control internals


class IgnoreRules:
    """The ignore rules of one workspace, loaded directory by directory as a walk reaches them."""

    def __init__(self, workspace: ConfinedWorkspace) -> None:
        self._workspace = workspace
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        lines = self._lines(".git/info/exclude") + self._lines(".gitignore")
        self._specs[""] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None

    def _lines(self, rel: str) -> list[str]:
        try:
            data = self._workspace.read_bytes(rel, MAX_IGNORE_FILE_BYTES)
        except ToolError:
            return []  # absent, a symlink, too large: no rules from it
        return data.decode("utf-8", "replace").splitlines()

    def _load(self, rel_dir: str) -> None:
        if rel_dir not in self._specs:
            lines = self._lines(f"{rel_dir}/.gitignore")
            self._specs[rel_dir] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None

    def prepare(self, rel_dir: str) -> None:
        """Load the rules of every directory from the root down to ``rel_dir``."""
        parts = [] if rel_dir in ("", ".") else rel_dir.split("/")
        for depth in range(1, len(parts) + 1):
            self._load("/".join(parts[:depth]))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` (workspace-relative, '/'-separated) is skipped."""
        parts = rel.split("/")
        if parts[-1] in ALWAYS_SKIPPED:
            return True
        verdict = None
        for depth in range(len(parts)):  # the root's rules first, the deepest last
            base = "/".join(parts[:depth])
            spec = self._specs.get(base)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            include = spec.check_file(sub).include
            if include is not None:
                verdict = include
        return bool(verdict)

    def descend(self, rel_dir: str) -> bool:
        """The walk's pruning hook: enter ``rel_dir`` only if it is not ignored."""
        if self.ignored(rel_dir, True):
            return False
        self._load(rel_dir)
        return True


def visible_entries(
    workspace: ConfinedWorkspace,
    start: str,
    *,
    respect_ignore: bool = True,
    recursive: bool = True,
    with_stat: bool = False,
) -> Iterator[Entry]:
    """Entries below ``start`` in walk order, minus ignored ones (`.git` is always skipped).

    ``recursive`` False gives only the direct entries of ``start``; ``with_stat``: regular
    files carry their size and modification time (the repository map's cache key).
    """
    if respect_ignore:
        rules = IgnoreRules(workspace)
        rules.prepare(workspace.relpath(start))

        def skipped(rel: str, is_dir: bool) -> bool:
            return rules.ignored(rel, is_dir)

        def descend(rel: str) -> bool:
            return recursive and rules.descend(rel)
    else:

        def skipped(rel: str, is_dir: bool) -> bool:
            return rel.rsplit("/", 1)[-1] in ALWAYS_SKIPPED

        def descend(rel: str) -> bool:
            return recursive and not skipped(rel, True)

    for entry in workspace.walk(start, descend=descend, with_stat=with_stat):
        if not skipped(entry.path, entry.kind == "dir"):
            yield entry
