"""Low-level, race-free file operations relative to directory handles, never following symlinks.

The building blocks of `confine.ConfinedWorkspace`: walk a path one ``openat(O_NOFOLLOW)`` at a
time (`cairn.nofollow`, shared with skills and memory) with tool-level errors, scan and walk
directories through handles, and replace a file atomically (temporary file + rename inside one
directory handle). ``raw`` arguments are only used in messages: the path as the model wrote it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cairn import nofollow
from cairn.nofollow import DIR_FLAGS
from cairn.server.agent.tools.errors import PathNotFound, PathRefused, ToolError

MAX_WALK_DEPTH = 64


@dataclass(frozen=True)
class Entry:
    """One directory entry, never followed: ``kind`` is file, dir, symlink or other.

    ``size`` and ``mtime_ns`` are set for regular files when the walk was asked for them
    (``with_stat``: one ``fstatat`` per file, relative to the directory handle)."""

    path: str
    kind: str
    size: int | None = None
    mtime_ns: int | None = None


def kind_of(mode: int) -> str:
    """``file``, ``dir``, ``symlink`` or ``other`` for an ``st_mode``."""
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def shown(raw: str) -> str:
    """A path as written by the model, trimmed for messages."""
    return raw if len(raw) <= 200 else raw[:200] + "..."


def open_dir_chain(root_fd: int, raw: str, parts: tuple[str, ...], *, create: bool) -> int:
    """A new handle on directory ``parts`` below ``root_fd``, one no-follow hop at a time
    (`cairn.nofollow.open_dir`); with ``create``, missing directories are made."""
    try:
        return nofollow.open_dir(root_fd, parts, create=create)
    except (nofollow.NoFollowError, OSError) as exc:
        raise _tool_error(raw, exc, walk=True) from exc


def open_final(raw: str, dir_fd: int, name: str, flags: int) -> int:
    """``openat(dir_fd, name, flags | O_NOFOLLOW)`` with tool-level errors."""
    try:
        return nofollow.open_hop(dir_fd, name, flags)
    except (nofollow.NoFollowError, OSError) as exc:
        raise _tool_error(raw, exc, walk=False) from exc


def _tool_error(raw: str, exc: nofollow.NoFollowError | OSError, *, walk: bool) -> ToolError:
    """The tool-level error for a failed no-follow open. A directory missing on the ``walk`` is
    named by its prefix (``src/nope``); everything else by the path as written."""
    if isinstance(exc, nofollow.Refused):
        return PathRefused(raw, exc.reason)
    if isinstance(exc, nofollow.NotFound):
        return PathNotFound(shown(exc.path if walk and not exc.reason else raw), exc.reason)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return ToolError(f"Cannot open {shown(raw)!r}: {detail}")


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    """``fstatat(AT_SYMLINK_NOFOLLOW)``, None when the name does not exist."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def scan(fd: int, prefix: str, *, with_stat: bool = False) -> list[Entry]:
    """The entries of the directory ``fd`` (sorted; paths prefixed), none followed; with
    ``with_stat``, regular files carry their size and modification time."""
    entries = []
    with os.scandir(fd) as it:  # scandir duplicates the handle; ours stays open
        for item in it:
            # d_type answers these without a stat call; none of them follows a symlink.
            try:
                if item.is_symlink():
                    kind = "symlink"
                elif item.is_dir(follow_symlinks=False):
                    kind = "dir"
                elif item.is_file(follow_symlinks=False):
                    kind = "file"
                else:
                    kind = "other"
                size = mtime_ns = None
                if with_stat and kind == "file":
                    st = item.stat(follow_symlinks=False)
                    size, mtime_ns = st.st_size, st.st_mtime_ns
            except OSError:
                continue
            entries.append(Entry(f"{prefix}/{item.name}" if prefix else item.name, kind, size, mtime_ns))
    return sorted(entries, key=lambda e: e.path)


def walk_fd(
    fd: int, prefix: str, descend: Callable[[str], bool], depth: int = 0, *, with_stat: bool = False
) -> Iterator[Entry]:
    """Entries below directory ``fd``, depth first, asking ``descend`` before each subdirectory."""
    for entry in scan(fd, prefix, with_stat=with_stat):
        yield entry
        if entry.kind != "dir" or depth >= MAX_WALK_DEPTH or not descend(entry.path):
            continue
        try:
            child = nofollow.open_hop(fd, entry.path.rsplit("/", 1)[-1], DIR_FLAGS)
        except (nofollow.NoFollowError, OSError):
            continue  # replaced or removed since it was listed: skip it, never follow
        try:
            yield from walk_fd(child, entry.path, descend, depth + 1, with_stat=with_stat)
        finally:
            os.close(child)


def replace_atomically(
    dir_fd: int, name: str, data: bytes, *, mode: int | None, exclusive: bool, display: str
) -> None:
    """Write ``data`` to a temp file in ``dir_fd`` and move it to ``name`` in one step.

    ``mode`` None creates with 0o666 less the umask; ``exclusive`` links instead of renaming,
    which fails if ``name`` appeared meanwhile (never overwrites). The rename replaces the
    directory entry itself, so a symlink planted at ``name`` is replaced, not followed.
    """
    tmp = f".{name[:200]}.cairn-{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600 if mode is not None else 0o666, dir_fd=dir_fd)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # an edited file keeps its permissions
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            try:
                os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
            except FileExistsError:
                raise ToolError(f"{display!r} already exists; not overwritten") from None
        else:
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=dir_fd)
    with contextlib.suppress(OSError):
        os.fsync(dir_fd)  # make the rename durable
