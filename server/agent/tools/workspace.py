"""Read-only workspace tools: ``read_file``, ``list_files`` and ``search``.

All paths go through the context's `ConfinedWorkspace`; text comes from the editor buffer when
one is open (`textfiles.read_current`); walks honour `.gitignore` and run in worker threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from cairn.server.agent.tools import search as engine
from cairn.server.agent.tools.base import ToolResult
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.errors import ToolError
from cairn.server.agent.tools.ignore import visible_entries
from cairn.server.agent.tools.textedits import split_lines
from cairn.server.agent.tools.textfiles import read_current
from cairn.server.agent.tools.threads import run_cancellable

DEFAULT_READ_LINES = 2000
MAX_LINE_CHARS = 2000
# Room kept for read_file's header and footer when it pages to fit the model's window.
PAGE_NOTE_CHARS = 200
MAX_LIST_SCAN = 20_000
# A first page of a file this short is widened to the whole file: small models ask for lines
# 1-10, never see the rest (a docstring's examples, the end of a function) and page
# through it step by step; the whole of a short file costs little more than a page of it.
WHOLE_FILE_LINES = 150


@dataclass(frozen=True)
class FileShown:
    """read_file's result ``data``: which file it showed, and whether all of it (the loop's
    repeat guard treats reading that file again, unchanged, as a repeat whatever the range)."""

    path: str
    whole: bool


async def read_file(
    ctx: ToolContext,
    path: str,
    start_line: Annotated[int, Field(ge=1)] | None = None,
    end_line: Annotated[int, Field(ge=1)] | None = None,
) -> ToolResult:
    """Read a text file of the workspace, with line numbers.

    Shows the editor's unsaved text when the file is open there. Without a range, shows the
    first 2000 lines; the header says how many lines the file has. A range from line 1 of a
    short file shows all of it.

    Args:
        path: File path relative to the workspace root.
        start_line: First line to show (1-based, inclusive).
        end_line: Last line to show (1-based, inclusive).
    """
    current = await read_current(ctx, path)
    lines = [line.rstrip("\r\n") for line in split_lines(current.text)]
    total = len(lines)
    first = start_line or 1
    if end_line is not None and end_line < first:
        raise ToolError(f"end_line ({end_line}) is before start_line ({first}).")
    if total and first > total:
        raise ToolError(f"{current.path!r} has {total} lines; start_line {first} is past the end.")
    if total <= WHOLE_FILE_LINES and first == 1:  # a first page of a short file: all of it
        end_line = None
    last = min(total, end_line if end_line is not None else first + DEFAULT_READ_LINES - 1)
    source = (
        f"editor buffer, version {current.version}"
        if current.from_buffer and current.version is not None
        else "editor buffer"
        if current.from_buffer
        else "disk"
    )
    if total == 0:
        return ToolResult(f"{current.path} (empty file, from {source})", data=FileShown(current.path, True))
    # A small model's window holds fewer lines: stop at a whole line within its room (the
    # header and footer's room kept aside) rather than have the registry cut mid-line.
    room = (ctx.output_chars - PAGE_NOTE_CHARS) if ctx.output_chars else None
    body: list[str] = []
    used = 0
    for number in range(first, last + 1):
        line = lines[number - 1]
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f" [... line cut at {MAX_LINE_CHARS} characters]"
        numbered = f"{number:>6}\t{line}"
        used += len(numbered) + 1
        if room is not None and body and used > room:
            last = number - 1
            break
        body.append(numbered)
    header = f"{current.path} (lines {first}-{last} of {total}, from {source})"
    footer = ""
    if last < total:
        footer = f"\n[{total - last} more lines; read them with start_line={last + 1}]"
    shown = FileShown(current.path, whole=first == 1 and last == total)
    return ToolResult(header + "\n" + "\n".join(body) + footer, data=shown)


async def list_files(
    ctx: ToolContext,
    path: str = ".",
    pattern: str | None = None,
    recursive: bool = True,
    include_ignored: bool = False,
    max_entries: Annotated[int, Field(ge=1, le=5000)] = 500,
) -> str:
    """List files and directories of the workspace (directories end with '/').

    Skips .git and whatever .gitignore ignores unless include_ignored is true. Symbolic links
    are shown but never followed.

    Args:
        path: Directory relative to the workspace root.
        pattern: Only show paths matching this gitignore-style glob, e.g. '*.py' or 'src/**/*.ts'.
        recursive: List the whole tree below path, not just its direct entries.
        include_ignored: Also show files ignored by .gitignore.
        max_entries: Maximum number of entries to show.
    """
    wanted = engine.glob_filter(pattern)

    def collect(stop: threading.Event) -> tuple[list[str], int]:
        shown: list[str] = []
        matched = 0
        entries = visible_entries(
            ctx.workspace, path, respect_ignore=not include_ignored, recursive=recursive
        )
        for entry in entries:
            if stop.is_set() or matched >= MAX_LIST_SCAN:
                break
            if not wanted(entry.path):
                continue
            matched += 1
            if len(shown) < max_entries:
                suffix = {"dir": "/", "symlink": "@ (symlink, not followed)"}.get(entry.kind, "")
                shown.append(entry.path + suffix)
        return shown, matched

    shown, matched = await run_cancellable(collect)
    where = ctx.workspace.relpath(path)
    if not shown:
        return f"No entries under {where}" + (f" matching {pattern!r}" if pattern else "") + "."
    lines = shown
    if matched > len(shown):
        more = f"{matched - len(shown):,}" + ("+" if matched >= MAX_LIST_SCAN else "")
        lines = shown + [f"[... {more} more entries not shown; narrow path or pattern]"]
    return "\n".join(lines)


async def search(
    ctx: ToolContext,
    query: str,
    path: str = ".",
    regex: bool = False,
    glob: str | None = None,
    ignore_case: bool = False,
    include_ignored: bool = False,
    max_results: Annotated[int, Field(ge=1, le=1000)] = 100,
) -> str:
    """Search the workspace's text files for a string or regular expression.

    Prints one 'path:line: text' per matching line. Respects .gitignore, skips binary files,
    and searches the editor's unsaved text for open files.

    Args:
        query: Text to find (a Python regular expression when regex is true).
        path: Directory or file to search, relative to the workspace root.
        regex: Treat query as a regular expression.
        glob: Only search files matching this gitignore-style glob, e.g. '*.py'.
        ignore_case: Match regardless of case.
        include_ignored: Also search files ignored by .gitignore.
        max_results: Stop after this many matching lines.
    """
    matcher = engine.compile_matcher(query, regex=regex, ignore_case=ignore_case)
    start = ctx.workspace.relpath(path)
    buffers = _buffer_snapshot(ctx)
    report = await run_cancellable(
        lambda stop: engine.search_workspace(
            ctx.workspace,
            start,
            matcher,
            engine.glob_filter(glob),
            buffers=buffers,
            max_results=max_results,
            respect_ignore=not include_ignored,
            stop=stop,
        )
    )
    return engine.format_report(report, query, start)


def _buffer_snapshot(ctx: ToolContext) -> dict[str, str]:
    """Text of every open buffer, taken on the event loop's thread before the search starts."""
    open_paths = getattr(ctx.buffers, "open_paths", None)
    if open_paths is None:
        return {}
    snapshot = {}
    for rel in open_paths():
        buffer = ctx.buffers.get(rel)
        if buffer is not None:
            snapshot[rel] = buffer.text
    return snapshot
