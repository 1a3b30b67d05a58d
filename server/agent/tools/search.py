"""Text search over the workspace: the engine behind the ``search`` tool.

Pure Python, run in a worker thread (`threads.run_cancellable`) and checking its stop flag
between files, so a cancelled request stops scanning promptly. It honours `.gitignore`, skips
binary and oversized files, prefers open-buffer text over the disk, and stops at a result cap.
Known limit: one pathological regular expression on one long line cannot be interrupted.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pathspec

from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.errors import FileTooLarge, ToolError
from cairn.server.agent.tools.ignore import visible_entries
from cairn.server.agent.tools.textedits import split_lines
from cairn.server.agent.tools.textfiles import looks_binary

MAX_SEARCH_FILE_BYTES = 2 * 1024 * 1024
MAX_SHOWN_LINE_CHARS = 240


@dataclass(frozen=True)
class SearchHit:
    """One matching line (1-based line number; text without its line ending, trimmed)."""

    path: str
    line: int
    text: str


@dataclass
class SearchReport:
    """Hits plus what was scanned and skipped, for an honest summary to the model."""

    hits: list[SearchHit] = field(default_factory=list)
    files_scanned: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    truncated: bool = False


@dataclass(frozen=True)
class Matcher:
    """A line predicate, plus a whole-text pre-check that lets most files be skipped unsplit.

    The pre-check is exact only for literals (a regex's lookarounds may see past a line end),
    so regular expressions are always tested line by line.
    """

    pattern: re.Pattern[str]
    literal: bool

    def line_matches(self, line: str) -> bool:
        return self.pattern.search(line) is not None

    def may_match(self, text: str) -> bool:
        return not self.literal or self.pattern.search(text) is not None


def compile_matcher(query: str, *, regex: bool, ignore_case: bool) -> Matcher:
    """The matcher for ``query`` (a literal unless ``regex``); `ToolError` if invalid."""
    if not query:
        raise ToolError("The search query is empty.")
    flags = re.IGNORECASE if ignore_case else 0
    try:
        pattern = re.compile(query if regex else re.escape(query), flags)
    except re.error as exc:
        raise ToolError(f"Invalid regular expression {query!r}: {exc}") from None
    return Matcher(pattern, literal=not regex)


def glob_filter(glob: str | None) -> Callable[[str], bool]:
    """A path predicate for a gitignore-style glob (``*.py``, ``src/**/*.ts``); all if None."""
    if not glob:
        return lambda rel: True
    spec = pathspec.GitIgnoreSpec.from_lines([glob])
    return lambda rel: spec.match_file(rel)


def _in_scope(rel: str, start: str) -> bool:
    return start == "." or rel == start or rel.startswith(start + "/")


def search_workspace(
    workspace: ConfinedWorkspace,
    start: str,
    matcher: Matcher,
    wanted: Callable[[str], bool],
    *,
    buffers: Mapping[str, str],
    max_results: int,
    respect_ignore: bool,
    stop: threading.Event,
) -> SearchReport:
    """Search files below ``start`` (a directory or one file; workspace-relative).

    ``buffers`` maps paths to open-buffer text that replaces the disk's (files only present in
    a buffer are searched too). Stops at ``max_results`` hits or when ``stop`` is set.
    """
    report = SearchReport()
    for rel in _candidates(workspace, start, buffers, respect_ignore):
        if stop.is_set() or report.truncated:
            break
        if not wanted(rel):
            continue
        text = buffers.get(rel)
        if text is not None and not _buffer_allowed(workspace, rel):
            continue
        if text is None:
            text = _disk_text(workspace, rel, report)
            if text is None:
                continue
        report.files_scanned += 1
        if not matcher.may_match(text):
            continue
        for number, line in enumerate(split_lines(text), start=1):
            line = line.rstrip("\r\n")
            if matcher.line_matches(line):
                if len(report.hits) >= max_results:
                    report.truncated = True
                    break
                shown = line.strip()
                if len(shown) > MAX_SHOWN_LINE_CHARS:
                    shown = shown[:MAX_SHOWN_LINE_CHARS] + "..."
                report.hits.append(SearchHit(rel, number, shown))
    return report


def _candidates(
    workspace: ConfinedWorkspace, start: str, buffers: Mapping[str, str], respect_ignore: bool
) -> Iterator[str]:
    """Files to search, lazily (so a stop request is seen during the walk too)."""
    seen = set()
    if workspace.kind(start) == "file":
        seen.add(start)
        yield start
    else:
        for entry in visible_entries(workspace, start, respect_ignore=respect_ignore):
            if entry.kind == "file":
                seen.add(entry.path)
                yield entry.path
    # Files that exist only in a buffer (unsaved new files, staged CLI creations).
    yield from sorted(rel for rel in buffers if rel not in seen and _in_scope(rel, start))


def _buffer_allowed(workspace: ConfinedWorkspace, rel: str) -> bool:
    """Buffer text is used only for paths the agent could read on disk (no symlink, not secret)."""
    try:
        workspace.check_readable(rel)
    except ToolError:
        return False
    return True


def _disk_text(workspace: ConfinedWorkspace, rel: str, report: SearchReport) -> str | None:
    try:
        data = workspace.read_bytes(rel, MAX_SEARCH_FILE_BYTES)
    except FileTooLarge:
        report.skipped_large += 1
        return None
    except ToolError:
        return None  # vanished, replaced by a symlink, protected: not searched
    if looks_binary(data):
        report.skipped_binary += 1
        return None
    return data.decode("utf-8", "replace")


def format_report(report: SearchReport, query: str, start: str) -> str:
    """The tool's text: ``path:line: text`` per hit, then a one-line summary."""
    lines = [f"{hit.path}:{hit.line}: {hit.text}" for hit in report.hits]
    where = "the workspace" if start == "." else start
    summary = (
        f"{len(report.hits)} match{'es' if len(report.hits) != 1 else ''} for {query!r} "
        f"in {where} ({report.files_scanned} files searched"
    )
    if report.skipped_binary or report.skipped_large:
        summary += f"; skipped {report.skipped_binary} binary, {report.skipped_large} oversized"
    summary += ")"
    if report.truncated:
        summary += "; more matches exist: narrow the path or glob, or raise max_results"
    lines.append(summary)
    return "\n".join(lines)
