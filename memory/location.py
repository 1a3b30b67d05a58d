"""Where a workspace's memory database lives.

One SQLite file per workspace folder, outside the repository by default, so memory never
bleeds between projects and never lands in version control. The file name carries a readable
slug of the folder name plus a hash of its resolved path (two folders called ``app`` differ).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs

from cairn import environment

APP_NAME = "cairn"
DB_FILE_NAME = "memory.sqlite3"


def data_dir() -> Path:
    """The user's Cairn data directory (``CAIRN_DATA_DIR`` overrides, e.g. in tests)."""
    override = environment.get("CAIRN_DATA_DIR")
    if override is not None:
        return override
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def workspace_key(workspace_root: Path) -> str:
    """A stable, filesystem-safe key for one workspace folder."""
    resolved = str(Path(workspace_root).expanduser().resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(resolved).name)[:40]
    return f"{slug or 'root'}-{digest}"


def memory_db_path(workspace_root: Path | None, override: str | None = None) -> Path:
    """The memory database for ``workspace_root`` (``override`` wins when given).

    Without a workspace (a bare file opened in the editor) memory goes to a shared
    ``no-workspace`` database rather than being silently discarded.
    """
    if override:
        return Path(override).expanduser()
    key = workspace_key(workspace_root) if workspace_root else "no-workspace"
    return data_dir() / "workspaces" / key / DB_FILE_NAME
