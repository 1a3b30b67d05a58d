"""Checks of memories against the live workspace: does a path exist, is a symbol still there.

Only what looks like a path *of this workspace* is checked (:func:`missing_paths`): a value
with a slash or a known file extension whose first component exists in the workspace.
Hostnames, URLs, versions and dotted names are never paths, and a path whose first component
is unknown here (another repository, a server's file system) cannot be judged, so neither
makes a memory unverified.

File system access runs in a worker thread so the event loop never blocks. Paths are confined
to the workspace: an anchor such as ``../../etc/passwd`` is treated as missing, not read.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from cairn import nofollow
from cairn.memory.values import looks_like_path

MAX_SCAN_BYTES = 2_000_000  # symbols in larger files are not searched (reported as unknown)


def _inside(root: Path, rel_path: str, *, allow_root: bool) -> tuple[str, ...] | None:
    """The components of ``rel_path`` below ``root`` (relative, or absolute under it), or None
    when it names something outside (``..``, another absolute path, NUL, ...). Lexical only:
    the components are then opened one no-follow hop at a time (`cairn.nofollow`, the walk the
    agent's tools use), so a symlink (even one pointing inside, even one swapped in while we
    look) makes the path missing and is never read through."""
    try:
        return nofollow.split(rel_path, roots=(root, os.path.realpath(root)), allow_root=allow_root)
    except nofollow.Refused:
        return None


def _exists(root: Path, rel_path: str) -> bool:
    parts = _inside(root, rel_path, allow_root=True)
    if parts is None:
        return False
    try:
        root_fd = nofollow.open_root(root)
    except OSError:
        return False
    try:
        nofollow.stat_below(root_fd, parts)  # a symlink is refused, never followed
    except (nofollow.NoFollowError, OSError):
        return False
    finally:
        os.close(root_fd)
    return True


def _text_of(root: Path, rel_path: str) -> str | bool:
    """The text of a regular file inside the workspace; False when it is missing, outside or
    not a regular file (a symlink is never read through), True when too large to read."""
    parts = _inside(root, rel_path, allow_root=False)
    if parts is None:
        return False
    try:
        root_fd = nofollow.open_root(root)
    except OSError:
        return False
    try:
        fd = nofollow.open_below(root_fd, parts)
    except (nofollow.NoFollowError, OSError):
        return False
    finally:
        os.close(root_fd)
    # Read through the handle just opened: the name may point elsewhere by now, the handle not.
    # A directory is checked before wrapping the handle: open() of one raises IsADirectoryError.
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return False
        if st.st_size > MAX_SCAN_BYTES:
            return True
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_SCAN_BYTES + 1)
    except OSError:  # unreadable (an I/O error): no text to judge by
        return False
    finally:
        os.close(fd)
    if len(data) > MAX_SCAN_BYTES:  # grew while we read it
        return True
    return data.decode("utf-8", errors="replace")


def _has_symbol(root: Path, rel_path: str, symbol: str) -> bool | None:
    text = _text_of(root, rel_path)
    if not isinstance(text, str):
        return None if text else False
    # The last dotted part is what appears at the definition (Class.method -> "method").
    name = symbol.rsplit(".", 1)[-1]
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text) is not None


def _holds(root: Path, value: str, fragments: list[str]) -> bool | None:
    path = _workspace_path(root, value)
    text = _text_of(root, path) if path is not None else False
    if not isinstance(text, str):
        return None
    flat = " ".join(text.split())
    return all(" ".join(fragment.split()) in flat for fragment in fragments)


async def path_exists(root: Path, rel_path: str) -> bool:
    """Whether ``rel_path`` exists inside the workspace ``root``."""
    return await asyncio.to_thread(_exists, root, rel_path)


async def symbol_in_file(root: Path, rel_path: str, symbol: str) -> bool | None:
    """Whether ``symbol`` still occurs in the file (None: file too large to check)."""
    return await asyncio.to_thread(_has_symbol, root, rel_path, symbol)


def _workspace_path(root: Path, value: str) -> str | None:
    """``value`` as a workspace-relative path if it looks like one of this workspace's."""
    value = value.strip("`'\"").removeprefix("./")
    if not looks_like_path(value) or value.startswith("../"):
        return None
    first = value.split("/", 1)[0]
    return value if first and _exists(root, first) else None


def _missing(root: Path, values: list[str]) -> list[str]:
    missing = []
    for value in values:
        path = _workspace_path(root, value)
        if path is not None and not _exists(root, path.rstrip("/")):
            missing.append(value)
    return missing


async def file_holds(root: Path, value: str, fragments: Iterable[str]) -> bool | None:
    """Whether the workspace file ``value`` names holds every fragment (spacing aside); None
    when it cannot be judged (no path of this workspace, missing, outside it, not a regular
    file, too large)."""
    return await asyncio.to_thread(_holds, root, value, list(fragments))


async def missing_paths(root: Path, values: Iterable[str]) -> list[str]:
    """The values that name a path in this workspace that does not exist (see module doc)."""
    return await asyncio.to_thread(_missing, root, list(values))
