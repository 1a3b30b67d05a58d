"""Paths below a directory handle, opened one ``openat(O_NOFOLLOW)`` hop at a time.

The one implementation of confinement shared by the agent's tools (`cairn.server.agent.tools`),
skill resources (`cairn.skills.resources`) and memory checks (`cairn.memory.workspace_check`).
It imports nothing of Cairn's, so every package may use it.

Two steps, both without following a symlink anywhere:
- `split` turns an untrusted path string into plain components, lexically: it refuses NUL,
  lone surrogates, backslashes, ``..`` (anywhere, even when it would stay inside), absolute
  paths (unless they lie under one of the given roots, compared component by component, so
  ``/ws-evil`` is not under ``/ws``) and, unless asked for, the root itself.
- `open_dir`, `open_below`, `stat_below` (and `open_hop`, one step) walk those components from
  a directory handle with ``openat(..., O_NOFOLLOW)``, each hop relative to the handle of the
  previous one (`open_root` gives the first handle). Nothing is resolved by name and opened
  later, so a directory swapped for a symlink while we work cannot redirect us (no
  check-then-open race): the worst a racing process gets is a refusal.

Failures are `Refused` (with a reason a model or user can act on) or `NotFound`; each caller maps
them to its own error type. Other ``OSError`` (EIO, EMFILE, ...) propagate unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from typing import NoReturn

# getattr: the module must import everywhere; where openat/O_NOFOLLOW are missing (Windows),
# every open is refused instead (`SUPPORTED`), never done by following.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
SUPPORTED = bool(_NOFOLLOW) and os.open in os.supports_dir_fd
DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a FIFO must not hang; O_NOCTTY: a tty must not become ours.
READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
MAX_PATH_CHARS = 4096


class NoFollowError(Exception):
    """A path that cannot be used: ``path`` is what to show, ``reason`` why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path!r}: {reason}" if reason else repr(path))
        self.path = path
        self.reason = reason


class Refused(NoFollowError):
    """The path leaves the root, goes through a symlink, or is malformed; never retried."""


class NotFound(NoFollowError):
    """Nothing is there. ``path`` is the prefix that is missing (or is not a directory)."""


def is_utf8_encodable(text: str) -> bool:
    """False for strings with lone surrogates (JSON allows them; the OS and files do not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def join(components: Iterable[str]) -> str:
    """The display form of components: POSIX separators, ``"."`` for the root."""
    return "/".join(components) or "."


def split(
    raw: object,
    *,
    roots: Iterable[str | os.PathLike[str]] = (),
    allow_root: bool = False,
    root_name: str = "the folder",
) -> tuple[str, ...]:
    """The components of ``raw`` relative to the root, or `Refused` with the reason.

    ``raw`` is relative to the root, or absolute and lexically under one of ``roots`` (pass the
    root as given and its real path). ``.`` and empty components are dropped; ``()`` (the root
    itself: ``""``, ``"."``) is refused unless ``allow_root``. ``root_name`` (``"the workspace"``)
    appears in reasons.
    Lexical only: it never touches the filesystem.
    """
    if not isinstance(raw, str):
        raise Refused(repr(raw), "a path must be a string")
    if len(raw) > MAX_PATH_CHARS:
        raise Refused(raw[:80] + "...", f"longer than {MAX_PATH_CHARS} characters")
    if "\x00" in raw:
        raise Refused(raw, "contains a NUL byte")
    if not is_utf8_encodable(raw):
        raise Refused(raw, "contains characters that are not valid Unicode (lone surrogates)")
    if "\\" in raw:
        raise Refused(raw, "backslashes are not accepted; use '/' as the separator")
    if raw.startswith("/"):
        parts = under_roots(raw, roots, root_name=root_name)
    else:
        parts = tuple(part for part in raw.split("/") if part not in ("", "."))
    if ".." in parts:
        raise Refused(raw, f"'..' is not allowed; use a path relative to {root_name} root")
    if not parts and not allow_root:
        raise Refused(raw, f"an empty path names {root_name} itself, not a file in it")
    return parts


def under_roots(
    absolute: str, roots: Iterable[str | os.PathLike[str]], *, root_name: str = "the folder"
) -> tuple[str, ...]:
    """The components of ``absolute`` below the first of ``roots`` it lies under, compared
    component by component (lexically: ``/ws-evil/x`` is not under ``/ws``), else `Refused`."""
    parts = tuple(p for p in absolute.split("/") if p not in ("", "."))
    for root in roots:
        root_parts = tuple(p for p in os.fspath(root).split("/") if p not in ("", "."))
        if parts[: len(root_parts)] == root_parts:
            return parts[len(root_parts) :]
    raise Refused(absolute, f"outside {root_name}")


def open_root(path: str | os.PathLike[str]) -> int:
    """A handle on a trusted root directory (its own path may contain symlinks; what is below
    it is then only reached through this handle). ``OSError`` if it cannot be opened."""
    return os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)


def open_dir(dir_fd: int, parts: tuple[str, ...], *, create: bool = False) -> int:
    """A new handle on directory ``parts`` below ``dir_fd`` (which stays open), one no-follow hop
    at a time; ``()`` duplicates ``dir_fd``.

    With ``create``, missing directories are made (then opened no-follow, so a symlink planted
    between the mkdir and the open is refused too).
    """
    fd = os.dup(dir_fd)
    try:
        for index, name in enumerate(parts):
            try:
                child = _hop(fd, parts, index, DIR_FLAGS)
            except NotFound as missing:
                if not create or missing.reason:  # "not a directory" is not created over
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=fd)
                child = _hop(fd, parts, index, DIR_FLAGS)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_below(dir_fd: int, parts: tuple[str, ...], flags: int = READ_FLAGS) -> int:
    """A handle on ``parts`` below ``dir_fd`` opened with ``flags`` (plus ``O_NOFOLLOW``), no
    component followed. The caller checks what it got (``fstat``) and closes it."""
    if not parts:
        raise Refused(".", "an empty path names the root itself, not a file in it")
    parent = open_dir(dir_fd, parts[:-1])
    try:
        return _hop(parent, parts, len(parts) - 1, flags)
    finally:
        os.close(parent)


def stat_below(dir_fd: int, parts: tuple[str, ...]) -> os.stat_result:
    """The status of the entry ``parts`` below ``dir_fd`` (``()``: the directory itself) without
    following it; a symlink there is `Refused` like everywhere else."""
    parent = open_dir(dir_fd, parts[:-1])
    try:
        if not parts:
            return os.fstat(parent)
        _check_hop(parts, len(parts) - 1)
        try:
            st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            raise NotFound(join(parts), "") from None
    finally:
        os.close(parent)
    if stat.S_ISLNK(st.st_mode):
        raise Refused(join(parts), _symlink_reason(parts[-1]))
    return st


def open_hop(dir_fd: int, name: str, flags: int, *, where: str | None = None) -> int:
    """``openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC)``: one step, ``name`` a single
    component. A failure becomes `NotFound` or `Refused` (shown as ``where``, default ``name``)."""
    return _hop(dir_fd, (name,), 0, flags, where)


def _hop(dir_fd: int, parts: tuple[str, ...], index: int, flags: int, where: str | None = None) -> int:
    """Open ``parts[index]`` below ``dir_fd``; errors show ``where`` or the path up to it (only
    computed on failure: this runs once per component of every confined open)."""
    _check_hop(parts, index, where)
    try:
        return os.open(parts[index], flags | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        _classify(exc, dir_fd, parts[index], where or join(parts[: index + 1]))


def _check_hop(parts: tuple[str, ...], index: int, where: str | None = None) -> None:
    name = parts[index]
    if not name or "/" in name or name in (".", ".."):  # openat would resolve more than one step
        raise Refused(where or join(parts[: index + 1]), "not a single path component")
    if not SUPPORTED:
        raise Refused(
            where or join(parts[: index + 1]), "this platform cannot open without following symlinks"
        )


def _classify(exc: OSError, dir_fd: int, name: str, where: str) -> NoReturn:
    if exc.errno == errno.ENOENT:
        raise NotFound(where, "") from None
    # A symlink opened with O_NOFOLLOW fails with ELOOP, or with ENOTDIR when O_DIRECTORY is set:
    # look at the entry itself to tell a symlink from a plain file in the way.
    try:
        is_link = stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        is_link = False
    if exc.errno == errno.ELOOP or is_link:
        raise Refused(where, _symlink_reason(name)) from None
    if exc.errno == errno.ENOTDIR:
        raise NotFound(where, f"{name!r} is not a directory") from None
    if exc.errno in (errno.EACCES, errno.EPERM):
        raise Refused(where, "permission denied") from None
    raise exc


def _symlink_reason(name: str) -> str:
    return f"{name!r} is a symbolic link; Cairn never follows symlinks"
