"""Paths a tool reported missing must never reach the answer as fact.

A small model asked where something is guesses a name (``agent_loop.py``), reads it, is told
it does not exist, and then answers with that name anyway. `MissingPathGuard` remembers every
path a tool reported missing (`tools.errors.MissingPath` in a result's ``data``) and checks the
final answer:

1. The first answer that names such a path (and the path still does not exist: the agent may
   have created it since) is not accepted: the model gets ONE corrective turn, a short, concrete
   message that says which path does not exist and which existing files have the closest names
   (from the repository map). A small model copies a name it is shown far more reliably than it
   follows an abstract rule ("do not name missing files"), and one turn bounds the cost.
2. If the corrected answer still names a missing path, it is annotated instead: a note under
   the answer says the path does not exist. A second correction would cost another slow turn
   for a model that has shown it repeats the name, and a note cannot fail.

The retraction is shown where the answer streams (the first answer has already been seen).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cairn.server.agent.tools.base import ToolResult
from cairn.server.agent.tools.errors import MissingPath

MAX_SUGGESTIONS = 3


def normalize(path: str) -> str:
    """The form a path is compared in: no ``./`` prefix, no trailing slash."""
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def names_path(text: str, path: str) -> bool:
    """Whether ``text`` names ``path`` itself, not a longer path that ends or starts with it
    (``loop.py`` is not named by ``server/agent/loop.py`` nor by ``loop.pyc``)."""
    if not path:
        return False
    pattern = r"(?<![\w/.-])(?:\./)?" + re.escape(path) + r"(?![\w/-]|\.\w)"
    return re.search(pattern, text) is not None


def _below(path: str) -> str:
    """A pattern for the paths ``text`` names inside directory ``path``."""
    return r"(?<![\w/.-])((?:\./)?" + re.escape(path) + r"/[\w./-]*[\w-])"


@dataclass
class MissingPathGuard:
    """One run's record of missing paths, and the check of its final answer."""

    exists: Callable[[str], bool]  # does the path exist now (disk or an open buffer)
    similar: Callable[[str], list[str]] = lambda path: []  # existing files with close names
    reported: dict[str, str] = field(default_factory=dict)  # path -> the tool that reported it
    corrected: bool = False

    def observe(self, tool: str, outcome: ToolResult) -> None:
        """Remember the path of a not-found result."""
        if isinstance(outcome.data, MissingPath):
            path = normalize(outcome.data.path)
            if path and path != ".":
                self.reported.setdefault(path, tool)

    def stated(self, answer: str) -> list[str]:
        """The reported-missing paths ``answer`` names that still do not exist, and the paths
        it names below a directory reported missing (``src/a.py`` when ``src`` is missing)."""
        named: list[str] = []
        for path in list(self.reported):
            found = [path] if names_path(answer, path) else []
            found += [normalize(m.rstrip(".")) for m in re.findall(_below(path), answer)]
            for item in dict.fromkeys(found):
                if item not in named and not self.exists(item):
                    self.reported.setdefault(item, self.reported[path])
                    named.append(item)
        return named

    def correction(self, paths: list[str]) -> str:
        """The corrective message for the model's next turn (used once per run)."""
        self.corrected = True
        lines = []
        for path in paths:
            line = f"`{path}` does not exist in this workspace ({self.reported[path]} reported it missing)."
            near = [p for p in self.similar(path) if p != path][:MAX_SUGGESTIONS]
            if near:
                line += " The repository map shows: " + ", ".join(f"`{p}`" for p in near) + "."
            lines.append(line)
        return (
            "Your answer names a file that does not exist. "
            + " ".join(lines)
            + " Answer again, naming only paths that exist (read one of them first if you need to)."
        )

    def retraction(self, paths: list[str]) -> str:
        """What the user sees after the first answer when it is sent back for correction."""
        named = ", ".join(f"`{p}`" for p in paths)
        return f"\n\n> Cairn: {named} does not exist in this workspace; asking for a corrected answer.\n\n"

    def annotated(self, answer: str, paths: list[str]) -> str:
        """``answer`` with a note under it: the paths it names do not exist."""
        notes = []
        for path in paths:
            near = [p for p in self.similar(path) if p != path][:MAX_SUGGESTIONS]
            hint = " (closest existing: " + ", ".join(f"`{p}`" for p in near) + ")" if near else ""
            notes.append(
                f"> Note from Cairn: `{path}` does not exist in this workspace "
                f"({self.reported[path]} reported it missing){hint}."
            )
        return answer.rstrip() + "\n\n" + "\n".join(notes)
