"""Workspace-relative paths for anchors, so memories survive moving the checkout."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse


def normalize_path(path: str | os.PathLike[str], workspace_root: Path | None) -> str:
    """``path`` (a path or a ``file://`` URI) as a POSIX string, relative to the workspace.

    Paths outside the workspace (or when no workspace is known) stay absolute; relative
    paths are taken as already workspace-relative. ``./a/../b`` collapses to ``b``.
    """
    text = os.fspath(path)
    if text.startswith("file://"):
        text = unquote(urlparse(text).path)
    candidate = Path(text)
    if candidate.is_absolute():
        if workspace_root is not None:
            try:
                return candidate.resolve().relative_to(workspace_root).as_posix()
            except ValueError:
                pass
        return candidate.as_posix()
    return PurePosixPath(os.path.normpath(candidate.as_posix())).as_posix()


def is_under(path: str, folder: str) -> bool:
    """Whether ``path`` equals ``folder`` or lies inside it (string-wise, POSIX)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")
