"""`ConfinedWorkspace`: every file access the agent makes, done relative to a handle on the root.

How confinement works (R13). The root directory is opened once (``O_DIRECTORY``). Every later
operation splits the requested path into components (`pathpolicy.split_path`) and walks them
one ``openat`` at a time from that handle, each with ``O_NOFOLLOW`` (`cairn.nofollow`, through
`dirfd` for tool-level errors; skills and memory use the same walk): a symlink
anywhere on the way, or as the final component, is refused rather than followed, even one that
points back inside. Because nothing is resolved by name and then opened later, swapping a
directory for a symlink while we work cannot redirect us (no check-then-open race); the worst
a racing process gets is a refusal. Writes go to a temporary file in the same directory handle
and are renamed over the target, so they are atomic and never write through whatever the
target name points to. A file with more than one hard link is refused for writing (its other
name may be outside), and a file that is one of the protected secret files (same device and
inode: e.g. a hard link to the memory database) is refused for reading.

Known limit: a bind mount inside the workspace is a directory like any other and is entered.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from cairn.nofollow import READ_FLAGS, join
from cairn.server.agent.tools import dirfd
from cairn.server.agent.tools.dirfd import Entry
from cairn.server.agent.tools.errors import (
    FileTooLarge,
    FileUnsuitable,
    PathNotFound,
    PathRefused,
    ToolError,
)
from cairn.server.agent.tools.pathpolicy import ProtectedPaths, split_path

__all__ = ["ConfinedWorkspace", "Entry", "join"]


class ConfinedWorkspace:
    """File operations confined to one workspace folder; see the module docstring.

    ``secret_files``: absolute paths that may never be read or written (the memory database;
    its -wal/-shm/-journal files are covered too). Close it (or use ``with``) when done.
    """

    def __init__(self, root: str | Path, secret_files: Iterable[str | Path] = ()) -> None:
        self.root = Path(os.path.abspath(root))
        self.real_root = Path(os.path.realpath(self.root))
        self._root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.protected = ProtectedPaths(self.root, self.real_root, secret_files)

    def close(self) -> None:
        """Release the root handle (idempotent)."""
        fd, self._root_fd = self._root_fd, -1
        if fd >= 0:
            os.close(fd)

    def __enter__(self) -> ConfinedWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- path checks -------------------------------------------------------------------------

    def components(self, raw: str, *, write: bool = False) -> tuple[str, ...]:
        """Checked components of ``raw`` (lexical rules and protected paths, no disk access)."""
        parts = split_path(raw, self.root, self.real_root)
        reason = (self.protected.write_refusal if write else self.protected.read_refusal)(parts)
        if reason:
            raise PathRefused(raw, reason)
        if write and not parts:
            raise PathRefused(raw, "the workspace root itself cannot be written")
        return parts

    def relpath(self, raw: str, *, write: bool = False) -> str:
        """The normalised workspace-relative form of ``raw`` (``"."`` for the root)."""
        return join(self.components(raw, write=write))

    def check_writable(self, raw: str) -> str:
        """Refuse now what `write_bytes` would refuse; returns the relative path.

        For edits applied by someone else (the editor): checks the policy, that no directory on
        the way is a symlink, and that an existing target is a regular, singly linked file.
        """
        parts = self.components(raw, write=True)
        with self._parent_if_present(raw, parts) as (dir_fd, name):
            if dir_fd is not None:
                self._check_target_writable(raw, dir_fd, name)
        return join(parts)

    def check_readable(self, raw: str) -> str:
        """Refuse now what `read_bytes` would refuse about the path; returns the relative path.

        For text that comes from elsewhere (an editor buffer): no directory on the way and not
        the file itself may be a symlink, and it may not be a protected file. A path that does
        not exist on disk passes (an unsaved buffer).
        """
        parts = self.components(raw)
        if parts:
            with self._parent_if_present(raw, parts) as (dir_fd, name):
                st = dirfd.lstat_at(dir_fd, name) if dir_fd is not None else None
                if st is not None and stat.S_ISLNK(st.st_mode):
                    raise PathRefused(raw, "it is a symbolic link; Cairn never follows symlinks")
                if st is not None and (st.st_dev, st.st_ino) in self.protected.identities():
                    raise PathRefused(raw, "it is a protected file")
        return join(parts)

    def kind(self, raw: str) -> str | None:
        """``file``, ``dir``, ``symlink`` or ``other`` for an existing entry (never followed),
        None when nothing is there."""
        parts = self.components(raw)
        if not parts:
            return "dir"
        with self._parent_if_present(raw, parts) as (dir_fd, name):
            st = dirfd.lstat_at(dir_fd, name) if dir_fd is not None else None
            return dirfd.kind_of(st.st_mode) if st is not None else None

    def file_stat(self, raw: str) -> os.stat_result | None:
        """The status of ``raw`` if it is a regular file (never followed), else None."""
        parts = self.components(raw)
        if not parts:
            return None
        with self._parent_if_present(raw, parts) as (dir_fd, name):
            st = dirfd.lstat_at(dir_fd, name) if dir_fd is not None else None
            return st if st is not None and stat.S_ISREG(st.st_mode) else None

    # ---- reading -----------------------------------------------------------------------------

    def read_bytes(self, raw: str, max_bytes: int) -> bytes:
        """The contents of a regular file; `FileTooLarge` if it is over ``max_bytes``."""
        parts = self.components(raw)
        with self._parent(raw, parts) as (dir_fd, name):
            fd = dirfd.open_final(raw, dir_fd, name, READ_FLAGS)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise FileUnsuitable(f"{join(parts)!r} is a directory; use list_files")
            if not stat.S_ISREG(st.st_mode):
                raise FileUnsuitable(f"{join(parts)!r} is not a regular file")
            if (st.st_dev, st.st_ino) in self.protected.identities():
                raise PathRefused(raw, "it is a protected file (a link to the memory database?)")
            if st.st_size > max_bytes:
                raise FileTooLarge(
                    f"{join(parts)!r} is {st.st_size:,} bytes, over the {max_bytes:,} byte limit"
                )
            chunks, total = [], 0
            while total <= max_bytes:
                chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            if total > max_bytes:  # grew while we read it
                raise FileTooLarge(f"{join(parts)!r} is over the {max_bytes:,} byte limit")
            return b"".join(chunks)
        finally:
            os.close(fd)

    def walk(
        self, raw: str = ".", descend: Callable[[str], bool] = lambda rel: True, *, with_stat: bool = False
    ) -> Iterator[Entry]:
        """Every entry below directory ``raw``, depth first, parents before children.

        ``descend(rel_dir)`` is asked before entering each subdirectory (gitignore pruning, or
        ``False`` for just the direct entries). Symlinks are yielded, never entered.
        ``with_stat``: regular files carry their size and modification time.
        """
        parts = self.components(raw)
        with self._dir(raw, parts) as fd:
            yield from dirfd.walk_fd(fd, join(parts) if parts else "", descend, with_stat=with_stat)

    def open_dir_fd(self, raw: str = ".") -> int:
        """A new handle on a directory inside the workspace (the caller closes it)."""
        parts = self.components(raw)
        with self._dir(raw, parts) as fd:
            return os.dup(fd)

    # ---- writing -----------------------------------------------------------------------------

    def write_bytes(self, raw: str, data: bytes, *, exclusive: bool = False) -> None:
        """Atomically replace (or with ``exclusive``, create) a file; parents are created."""
        parts = self.components(raw, write=True)
        with self._parent(raw, parts, create=True) as (dir_fd, name):
            existing = self._check_target_writable(raw, dir_fd, name)
            if existing is not None and exclusive:
                raise ToolError(f"{join(parts)!r} already exists; not overwritten")
            mode = stat.S_IMODE(existing.st_mode) if existing is not None else None
            dirfd.replace_atomically(dir_fd, name, data, mode=mode, exclusive=exclusive, display=join(parts))

    def _check_target_writable(self, raw: str, dir_fd: int, name: str) -> os.stat_result | None:
        st = dirfd.lstat_at(dir_fd, name)
        if st is None:
            return None
        if stat.S_ISLNK(st.st_mode):
            raise PathRefused(raw, "it is a symbolic link; Cairn never writes through symlinks")
        if not stat.S_ISREG(st.st_mode):
            raise PathRefused(raw, "it is not a regular file")
        if st.st_nlink > 1:
            raise PathRefused(
                raw, "the file has other hard links (one may be outside the workspace); refusing to write it"
            )
        if (st.st_dev, st.st_ino) in self.protected.identities():
            raise PathRefused(raw, "it is a protected file")
        return st

    # ---- handles -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _parent(self, raw: str, parts: tuple[str, ...], *, create: bool = False) -> Iterator[tuple[int, str]]:
        """Yield (handle of the parent directory, final name); `PathNotFound` when it is missing."""
        if not parts:
            raise FileUnsuitable("the workspace root is a directory; use list_files")
        with self._dir(raw, parts[:-1], create=create) as fd:
            yield fd, parts[-1]

    @contextlib.contextmanager
    def _parent_if_present(self, raw: str, parts: tuple[str, ...]) -> Iterator[tuple[int | None, str]]:
        """Like `_parent`, with a ``None`` handle when the parent directory is missing."""
        if not parts:
            raise FileUnsuitable("the workspace root is a directory; use list_files")
        fd: int | None
        try:
            fd = self._open_dir(raw, parts[:-1])
        except PathNotFound:
            fd = None
        try:
            yield fd, parts[-1]
        finally:
            if fd is not None:
                os.close(fd)

    @contextlib.contextmanager
    def _dir(self, raw: str, parts: tuple[str, ...], *, create: bool = False) -> Iterator[int]:
        fd = self._open_dir(raw, parts, create=create)
        try:
            yield fd
        finally:
            os.close(fd)

    def _open_dir(self, raw: str, parts: tuple[str, ...], *, create: bool = False) -> int:
        if self._root_fd < 0:
            raise ToolError("the workspace has been closed")
        return dirfd.open_dir_chain(self._root_fd, raw, parts, create=create)
