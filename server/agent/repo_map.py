"""The repository map: the workspace's files and their top-level symbols, for the model's context.

A small model that cannot see the tree guesses file names (``agent_loop.py``) and states them
as fact. The map shows it what exists: one line per file (``path: CONSTANT = 5, Symbol,
other_symbol``), the files most related to the request and those changed lately (what the user
is in the middle of) first chosen, then listed in path order, and what does not fit the token
cap summarised per directory, so the whole tree is always accounted for.

What is walked is what ``list_files`` shows: ``.git`` and what ``.gitignore`` excludes are
skipped (`tools.ignore.visible_entries`), symlinks are listed but never followed, and files are
read through the confined workspace (`cairn.nofollow` underneath). Each file is parsed once per
(size, modification time): a refresh re-stats the tree (one ``fstatat`` per file) and re-parses
only what changed; ``mark_changed`` + ``update`` handle the few files an edit or the editor's
file events name, without a walk. Thread use: ``refresh`` and ``update`` run in a worker thread,
one at a time; they swap in a new table, so ``render`` on the event loop never sees half of one.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cairn.server.agent.repo_symbols import FileOutline, constant_name, outline, wants_text
from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.errors import ToolError
from cairn.server.agent.tools.ignore import visible_entries

MAX_MAP_FILES = 20_000  # files walked; a bigger tree is mapped in walk order up to this
MAX_PARSE_BYTES = 512 * 1024  # larger files are listed by name only
MAX_SYMBOLS_SHOWN = 8
MAX_CONSTANTS_SHOWN = 4
# A file modified at least RECENT_MARGIN_S after most of the tree (its median modification time),
# within RECENT_DAYS, is one the user is working on: a new session's first request rarely names
# it, yet it is what that session is most likely to need. Up to MAX_RECENT such files get
# RECENT_BONUS (about one rare request word), so the request's own matches still come first.
RECENT_MARGIN_S = 60
RECENT_DAYS = 7
MAX_RECENT = 24
RECENT_BONUS = 1.5
# A file the earlier sessions read or changed (memory says which): what a new session most
# likely continues with, below what the request names or what changed on disk lately.
WORKED_BONUS = 1.0
# A test file's match when the request does not mention tests (``TEST_WORDS``) counts this much.
TEST_MATCH_SHARE = 0.5
TEST_WORDS = frozenset({"test", "pytest", "fixture", "unittest", "spec"})
SUMMARIES_SHOWN = 8  # the most related files also show their module docstring's first line
# The DESCRIBED_FILES most related files also show, under their line, what their definitions that
# best match the request are for (at most DESCRIBED_PER_FILE each, with at least
# DESCRIBED_MIN_TERMS request words in the description): a question names behaviour, and the
# small model can then name the definition instead of restating the question.
DESCRIBED_FILES = 3
DESCRIBED_PER_FILE = 2
DESCRIBED_MIN_TERMS = 2
MAX_REQUEST_TERMS = 200
HEADING = (
    "Files of this workspace, most related to the request first, one per line with the path, then its "
    "constants or settings, top-level classes and functions. Only these paths exist; use these exact paths "
    "with read_file."
)

OMITTED_NOTE = "(files not listed above: list_files shows them)"
# What the host hands context assembly: ``(request, cap, worked) -> map text`` (``worked``: the
# files the earlier sessions worked in, from memory; empty without it).
MapRenderer = Callable[[str, int, Sequence[str]], str]

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_COMMON = frozenset(
    "a an and are as at be by do does for from has have how in is it its of on or that the this to "
    "what when where which who why with file files define defines defined function functions class "
    "classes method name names called call calls".split()
)


def stem(word: str) -> str:
    """A crude English stem, the same on both sides of a match (``repeats`` -> ``repeat``)."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def words(text: str) -> list[str]:
    """Lower-case stemmed words of identifiers and prose (``RepeatGuard`` -> repeat, guard)."""
    return [stem(w.lower()) for w in _WORD.findall(text)]


def path_words(path: str) -> frozenset[str]:
    """The words of a path without its final extension (``server/agent/loop.py``)."""
    name = path.rsplit("/", 1)[-1]
    base = path[: len(path) - len(name)] + (name.rsplit(".", 1)[0] if "." in name[1:] else name)
    return frozenset(words(base))


@dataclass(frozen=True)
class MapEntry:
    """One file of the map, with the cache key it was parsed under."""

    path: str
    size: int
    mtime_ns: int
    outline: FileOutline
    path_terms: frozenset[str] = field(repr=False)
    symbol_terms: frozenset[str] = field(repr=False)
    summary_terms: frozenset[str] = field(repr=False)

    @classmethod
    def of(cls, path: str, size: int, mtime_ns: int, found: FileOutline) -> MapEntry:
        names = [*found.symbols, *map(constant_name, found.constants)]
        symbol_terms = frozenset(w for s in names for w in words(s))
        # What the file says it does: its module docstring and what its definitions are for.
        prose = " ".join([found.about or found.summary, *(what for _, what in found.described)])
        return cls(path, size, mtime_ns, found, path_words(path), symbol_terms, frozenset(words(prose)))


class RepoMap:
    """One workspace's map, kept between runs (the host owns it)."""

    def __init__(self, *, max_files: int = MAX_MAP_FILES) -> None:
        self.max_files = max_files
        self._entries: dict[str, MapEntry] = {}
        self._dirty: set[str] = set()
        self._doc_freq: Counter[str] = Counter()
        self._recent: frozenset[str] = frozenset()
        self._rendered: dict[tuple, str] = {}
        self.version = 0  # changes whenever a file is added, removed or re-parsed
        self.built = False
        self.parsed = 0  # files parsed since this map was made (what the cache saves)

    # ---- keeping it current -------------------------------------------------------------------

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self._entries)

    def entry(self, path: str) -> MapEntry | None:
        return self._entries.get(path)

    def refresh(self, workspace: ConfinedWorkspace) -> None:
        """Walk the workspace (blocking: run it in a thread) and re-parse what changed."""
        old = self._entries
        new: dict[str, MapEntry] = {}
        for entry in visible_entries(workspace, ".", with_stat=True):
            if entry.kind != "file" or entry.size is None or entry.mtime_ns is None:
                continue
            if len(new) >= self.max_files:
                break
            known = old.get(entry.path)
            if known is not None and (known.size, known.mtime_ns) == (entry.size, entry.mtime_ns):
                new[entry.path] = known
            else:
                new[entry.path] = self._parse(workspace, entry.path, entry.size, entry.mtime_ns)
        self._dirty.clear()
        self.built = True
        self._install(new, changed=new.keys() != old.keys() or any(new[p] is not old.get(p) for p in new))

    def mark_changed(self, paths: Iterable[str]) -> None:
        """Files created, changed or deleted (workspace-relative): ``update`` looks at them."""
        self._dirty.update(p for p in paths if p)

    @property
    def stale(self) -> bool:
        return bool(self._dirty)

    def update(self, workspace: ConfinedWorkspace) -> None:
        """Re-stat only the files marked changed (blocking: run it in a thread)."""
        dirty, self._dirty = self._dirty, set()
        if not dirty or not self.built:
            return
        new = dict(self._entries)
        for path in dirty:
            try:
                rel = workspace.relpath(path)
                st = workspace.file_stat(rel)
            except ToolError:
                rel, st = path, None  # refused (a symlink, outside): not in the map
            if st is None:  # gone (or a directory: a deleted one takes its files along)
                new.pop(rel, None)
                if workspace_kind(workspace, rel) != "dir":
                    for gone in [p for p in new if p.startswith(rel + "/")]:
                        del new[gone]
                continue
            known = new.get(rel)
            if known is not None and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
                continue
            if known is None and (len(new) >= self.max_files or not self._visible(workspace, rel)):
                continue
            new[rel] = self._parse(workspace, rel, st.st_size, st.st_mtime_ns)
        self._install(new, changed=True)

    @staticmethod
    def _visible(workspace: ConfinedWorkspace, rel: str) -> bool:
        """Whether a new file is one the walk would list (not ignored, not under .git)."""
        parent = rel.rsplit("/", 1)[0] if "/" in rel else "."
        try:
            return any(e.path == rel for e in visible_entries(workspace, parent, recursive=False))
        except ToolError:
            return False

    def _parse(self, workspace: ConfinedWorkspace, path: str, size: int, mtime_ns: int) -> MapEntry:
        found = FileOutline()
        if wants_text(path) and size <= MAX_PARSE_BYTES:
            try:
                text = workspace.read_bytes(path, MAX_PARSE_BYTES).decode("utf-8")
            except (ToolError, OSError, UnicodeDecodeError):
                text = ""  # unreadable now: listed by name
            found = outline(path, text)
            self.parsed += 1
        return MapEntry.of(path, size, mtime_ns, found)

    def _install(self, entries: dict[str, MapEntry], *, changed: bool) -> None:
        if not changed:
            return
        freq: Counter[str] = Counter()
        for item in entries.values():
            freq.update(item.path_terms | item.symbol_terms | item.summary_terms)
        self._entries, self._doc_freq = entries, freq
        self._recent = recently_changed(entries.values(), time.time_ns())
        self._rendered = {}
        self.version += 1

    # ---- ranking ------------------------------------------------------------------------------

    def _weights(self, request: str) -> dict[str, float]:
        """Request words weighted by rarity in the map (a word in every path says nothing)."""
        total = max(1, len(self._entries))
        terms = [w for w in dict.fromkeys(words(request)) if w not in _COMMON and len(w) >= 3]
        weights = {}
        for term in terms[:MAX_REQUEST_TERMS]:
            seen = self._doc_freq.get(term, 0)
            if seen:
                weights[term] = math.log(1 + total / seen)
        return weights

    def _ranked(
        self, weights: dict[str, float], worked: frozenset[str] = frozenset()
    ) -> list[tuple[float, float, MapEntry]]:
        """Every file with its relevance to the request (``weights``) and the request's part of it,
        most relevant first.

        A request word in the path counts double, in a symbol once, in the docstring's first
        line half; a file changed lately gets ``RECENT_BONUS``, one the earlier sessions worked
        in (``worked``) ``WORKED_BONUS``; files with none of these keep a small prior (defines
        things, is not a test, is shallow), so the map of an unrelated request still shows the
        project's core."""
        scored = []
        about_tests = bool(TEST_WORDS & weights.keys())
        for item in self._entries.values():
            prior = (0.3 if item.outline.symbols else 0.0) - 0.05 * item.path.count("/")
            test = is_test_path(item.path)
            if test:
                prior -= 0.2
            if item.path in self._recent:
                prior += RECENT_BONUS
            if item.path in worked:
                prior += WORKED_BONUS
            matched = request_score(item, weights)
            if test and not about_tests:
                # A test describes the behaviour it checks in the words of the request; the code
                # that has the behaviour is what a request not about tests is after.
                matched *= TEST_MATCH_SHARE
            scored.append((matched + prior, matched, item))
        scored.sort(key=lambda triple: (-triple[0], triple[2].path))
        return scored

    # ---- rendering ----------------------------------------------------------------------------

    def render(self, request: str, cap: int, count: Callable[[str], int], worked: Iterable[str] = ()) -> str:
        """The map within ``cap`` tokens (by ``count``), chosen for ``request`` and the files the
        earlier sessions worked in (``worked``, workspace-relative); '' if none fits.

        The same inputs give the same text (memoised per map version), so the map keeps its
        place in a prompt prefix the model's cache can reuse from step to step."""
        focus = frozenset(p for p in worked if p in self._entries)
        key = (self.version, tuple(sorted(self._weights(request).items())), cap, focus)
        if key not in self._rendered:
            if len(self._rendered) > 16:
                self._rendered.clear()
            self._rendered[key] = self._render(request, cap, count, focus)
        return self._rendered[key]

    def _render(self, request: str, cap: int, count: Callable[[str], int], worked: frozenset[str]) -> str:
        if not self._entries:
            return ""
        weights = self._weights(request)
        scored = self._ranked(weights, worked)
        related = [item for _, matched, item in scored if matched > 1]
        relevant = {item.path: rank for rank, item in enumerate(related[:SUMMARIES_SHOWN])}
        used = count(HEADING) + 1
        reserve = min(cap // 5, 8 * len({_dir_of(p, 2) for p in self._entries}))
        chosen: dict[str, str] = {}
        for _, _, item in scored:
            rank = relevant.get(item.path)
            line = _line(item, weights, rank is not None)
            described = _described_lines(item, weights) if rank is not None and rank < DESCRIBED_FILES else []
            for text in ("\n".join([line, *described]), line) if described else (line,):
                cost = count(text) + 1
                if used + cost + reserve <= cap:
                    chosen[item.path] = text
                    used += cost
                    break  # else the line alone; else a shorter line further down may still fit
        if not chosen:
            return ""
        rest = [p for p in self._entries if p not in chosen]
        # The files most related to the request first, best first (a small model takes the first
        # fitting one), then the others in path order (the tree's shape).
        first = [p for p in relevant if p in chosen]
        lines = [chosen[p] for p in first] + [chosen[p] for p in sorted(chosen) if p not in relevant]
        omitted = _omitted_lines(rest, cap - used, count)
        return "\n".join([HEADING, *lines, *omitted])

    # ---- a missing path's near names ----------------------------------------------------------

    def similar(self, path: str, limit: int = 3) -> list[str]:
        """Existing files whose names share the most words with ``path`` (best first)."""
        wanted = path_words(path.strip("/"))
        if not wanted:
            return []
        scored = []
        for item in self._entries.values():
            shared = len(wanted & item.path_terms)
            if shared:
                union = len(wanted | item.path_terms)
                same_name = item.path.rsplit("/", 1)[-1] == path.rsplit("/", 1)[-1]
                scored.append((shared / union + (0.5 if same_name else 0.0), -len(item.path), item.path))
        scored.sort(reverse=True)
        return [p for *_, p in scored[:limit]]


def is_test_path(path: str) -> bool:
    return path.startswith(("tests/", "test/")) or "/tests/" in path


def request_score(item: MapEntry, weights: dict[str, float]) -> float:
    """How much of the request a file matches: a word in its path counts double, in a symbol
    once, in its docstring's first line half."""
    score = 0.0
    for term, weight in weights.items():
        if term in item.path_terms:
            score += 2 * weight
        elif term in item.symbol_terms:
            score += weight
        elif term in item.summary_terms:
            score += weight / 2
    return score


def recently_changed(entries: Iterable[MapEntry], now_ns: int) -> frozenset[str]:
    """The files modified after most of the tree, lately (see ``RECENT_MARGIN_S``), newest first
    up to ``MAX_RECENT``. A fresh clone or an untouched tree has none."""
    items = list(entries)
    if len(items) < 2:
        return frozenset()
    median = statistics.median(item.mtime_ns for item in items)
    since = max(median + RECENT_MARGIN_S * 10**9, now_ns - RECENT_DAYS * 86_400 * 10**9)
    newer = sorted((item for item in items if item.mtime_ns >= since), key=lambda i: -i.mtime_ns)
    return frozenset(item.path for item in newer[:MAX_RECENT])


def workspace_kind(workspace: ConfinedWorkspace, rel: str) -> str | None:
    try:
        return workspace.kind(rel)
    except ToolError:
        return None


def _line(item: MapEntry, weights: dict[str, float], with_summary: bool) -> str:
    """``path: NAME = 1, A, b`` (constants first, then public names; those matching the request
    first when they must be cut; test functions only counted: their names are long and many)."""
    public = [s for s in item.outline.symbols if not s.startswith("_")]
    tests = [s for s in public if s.startswith("test")]
    # A test's constants are fixtures, not the project's facts: not worth their room.
    fixtures = is_test_path(item.path)
    constants, more_constants = (
        ([], 0) if fixtures else _first(item.outline.constants, MAX_CONSTANTS_SHOWN, weights)
    )
    if more_constants:
        constants.append(f"+{more_constants} constant{'s' if more_constants > 1 else ''}")
    symbols, more = _first([s for s in public if not s.startswith("test")], MAX_SYMBOLS_SHOWN, weights)
    if more:
        symbols.append(f"+{more} more")
    if tests:
        symbols.append(f"{len(tests)} test{'s' if len(tests) > 1 else ''}")
    shown = constants + symbols
    line = item.path + (": " + ", ".join(shown) if shown else "")
    if with_summary and item.outline.summary:
        line += f"  # {item.outline.summary}"
    return line


def _described_lines(item: MapEntry, weights: dict[str, float]) -> list[str]:
    """``  - NAME: what it is for`` for the definitions of ``item`` whose description matches the
    request best (see ``DESCRIBED_FILES``)."""
    scored = []
    for order, (name, what) in enumerate(item.outline.described):
        if name.startswith("_"):
            continue  # private: not on the file's line either
        terms = set(words(what)) | set(words(name))
        hits = [weights[t] for t in terms if t in weights]
        if len(hits) >= DESCRIBED_MIN_TERMS:
            scored.append((-sum(hits), order, name, what))
    scored.sort()
    return [f"  - {name}: {what}" for _, _, name, what in scored[:DESCRIBED_PER_FILE]]


def _first(names: Sequence[str], limit: int, weights: dict[str, float]) -> tuple[list[str], int]:
    """At most ``limit`` of ``names`` in their order, those matching the request kept first,
    and how many were left out."""
    if len(names) <= limit:
        return list(names), 0
    matching = [n for n in names if any(w in weights for w in words(constant_name(n)))]
    keep = set([*matching, *names][:limit])
    shown = [n for n in names if n in keep]
    return shown, len(names) - len(shown)


def _dir_of(path: str, depth: int) -> str:
    parts = path.split("/")[:-1]
    return "/".join(parts[:depth]) + "/" if parts else "./"


def _omitted_lines(rest: list[str], room: int, count: Callable[[str], int]) -> list[str]:
    """What the map leaves out, per directory (two levels, else one, else a total)."""
    if not rest:
        return []
    for depth in (2, 1):
        groups = Counter(_dir_of(p, depth) for p in rest)
        lines = [f"{d} ({n} more file{'s' if n > 1 else ''})" for d, n in sorted(groups.items())]
        lines.append(OMITTED_NOTE)
        if sum(count(line) + 1 for line in lines) <= room:
            return lines
    return [f"({len(rest)} more files not shown; list_files shows them)"]
