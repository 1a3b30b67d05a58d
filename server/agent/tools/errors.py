"""The exception family tools raise for failures the model should see and can act on.

`ToolRegistry.call` turns a `ToolError` into an error result the agent reads (and can retry
after), so a refused path or an edit whose anchor is missing never ends the run. Anything else
that escapes a tool is a bug and propagates.
"""

from __future__ import annotations

from dataclasses import dataclass


class ToolError(Exception):
    """A failure explained to the model: bad input, a refused path, a missing file, ..."""


class PathRefused(ToolError):
    """A path the agent may not use: outside the workspace, through a symlink, protected, ..."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"Refused path {path!r}: {reason}")
        self.path = path
        self.reason = reason


class PathNotFound(ToolError):
    """A path inside the workspace that does not exist."""

    def __init__(self, path: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"No such file or directory in the workspace: {path!r}{suffix}")
        self.path = path


@dataclass(frozen=True)
class MissingPath:
    """A tool result's ``data`` when the tool reported ``path`` missing (`PathNotFound`): the
    agent loop keeps these so an answer cannot state the path as fact (`missing_paths.py`)."""

    path: str


class FileUnsuitable(ToolError):
    """A file that exists but cannot be used as asked (binary, too large, a directory, ...)."""


class FileTooLarge(FileUnsuitable):
    """A file over the size limit of the operation."""
