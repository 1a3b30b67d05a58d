"""Reading files inside a skill folder without ever leaving it.

A skill's ``references/``, ``scripts/`` and ``assets/`` are read only when the agent asks for
one. The path comes from a model, so it is hostile until proven otherwise: every component is
opened relative to the previous directory's handle with ``O_NOFOLLOW`` (`cairn.nofollow`, the
walk the agent's tools and memory use too), which refuses symlinks (no escape through a link,
and no race between a check and the open).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cairn import nofollow
from cairn.skills.errors import ResourceError

RESOURCE_DIRS = ("references", "scripts", "assets")
MAX_RESOURCE_BYTES = 256 * 1024
MAX_LISTED = 200


def _open_confined(skill_folder: Path, relative_path: str) -> int:
    """A descriptor of the regular file ``relative_path`` in ``skill_folder`` (caller closes).

    The walk is `cairn.nofollow`'s: lexical refusals first, then one no-follow hop per component.
    """
    try:
        parts = nofollow.split(relative_path, root_name="the skill folder")
    except nofollow.Refused as exc:
        raise ResourceError(f"invalid resource path {relative_path!r}: {exc.reason}") from None
    try:
        dir_fd = nofollow.open_root(skill_folder)
    except OSError as exc:
        raise ResourceError(f"skill folder {skill_folder} cannot be opened: {exc.strerror}") from None
    try:
        fd = nofollow.open_below(dir_fd, parts)
    except nofollow.NotFound as exc:
        detail = f" ({exc.reason})" if exc.reason else ""
        raise ResourceError(f"no file {relative_path!r} in the skill{detail}") from None
    except nofollow.Refused as exc:
        raise ResourceError(f"resource {relative_path!r} refused: {exc.reason}") from None
    except OSError as exc:
        raise ResourceError(f"resource {relative_path!r} cannot be opened: {exc.strerror}") from None
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ResourceError(f"{relative_path!r} is not a regular file")
    return fd


def read_resource_bytes(skill_folder: Path, relative_path: str, *, limit: int = MAX_RESOURCE_BYTES) -> bytes:
    """The bytes of ``relative_path`` inside ``skill_folder``; refuses links, ``..`` and big files."""
    fd = _open_confined(skill_folder, relative_path)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise ResourceError(f"{relative_path!r} is {size} bytes; the limit is {limit}")
        return handle.read(limit)


def read_resource_text(skill_folder: Path, relative_path: str) -> str:
    """A text resource, decoded as UTF-8; binary files get a clear error, not mojibake."""
    data = read_resource_bytes(skill_folder, relative_path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ResourceError(f"{relative_path!r} is not UTF-8 text") from None


def list_resources(skill_folder: Path) -> list[str]:
    """Relative paths of the regular files under the resource folders, symlinks skipped."""
    found: list[str] = []
    for top in RESOURCE_DIRS:
        base = skill_folder / top
        if base.is_symlink() or not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not (Path(dirpath) / d).is_symlink())
            for filename in sorted(filenames):
                full = Path(dirpath) / filename
                if full.is_symlink() or not full.is_file():
                    continue
                found.append(full.relative_to(skill_folder).as_posix())
                if len(found) >= MAX_LISTED:
                    return found
    return found


def resource_exists(skill_folder: Path, relative_path: str) -> bool:
    """Whether ``relative_path`` names a regular file inside the skill (links not followed)."""
    try:
        os.close(_open_confined(skill_folder, relative_path))
    except ResourceError:
        return False
    return True
