"""Snapshots of documents as the editor sees them: unsaved buffer text wins over disk.

pygls keeps open documents (incremental sync) keyed by URI. Clients spell the same file's URI
differently (percent-encoding, drive-letter case), so lookups here go through normalised
filesystem paths. A snapshot is immutable: later features (the agent, edits) compare its
``version`` with the live one to detect that the user typed in the meantime.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import Workspace


@dataclass(frozen=True)
class DocumentSnapshot:
    uri: str
    path: Path | None
    version: int | None  # None: read from disk, not open in the editor
    text: str
    language_id: str | None = None

    @property
    def from_buffer(self) -> bool:
        return self.version is not None


def uri_to_path(uri: str) -> Path | None:
    """Filesystem path of a ``file:`` URI (None for other schemes or malformed URIs)."""
    try:
        path = to_fs_path(uri)
    except Exception:
        return None
    if not path or not uri.startswith("file:"):
        return None
    return Path(os.path.normpath(path))


def path_to_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


class Documents:
    """Read access to open buffers and files for the rest of the server."""

    def __init__(self, workspace_provider: Callable[[], Workspace]) -> None:
        self._workspace_provider = workspace_provider

    @property
    def _workspace(self) -> Workspace:
        return self._workspace_provider()

    def open_snapshot(self, uri_or_path: str | Path) -> DocumentSnapshot | None:
        """The open buffer for a URI or path, or None if the editor does not have it open."""
        target = (
            uri_to_path(uri_or_path) if isinstance(uri_or_path, str) else Path(os.path.normpath(uri_or_path))
        )
        for uri, document in list(self._workspace.text_documents.items()):
            if (uri == uri_or_path) or (target is not None and uri_to_path(uri) == target):
                return DocumentSnapshot(
                    uri=document.uri,
                    path=uri_to_path(document.uri),
                    version=document.version,
                    text=document.source,
                    language_id=document.language_id,
                )
        return None

    def open_paths(self) -> list[Path]:
        """Paths of every open file-backed buffer."""
        paths = (uri_to_path(uri) for uri in list(self._workspace.text_documents))
        return [path for path in paths if path is not None]

    async def snapshot(self, uri_or_path: str | Path) -> DocumentSnapshot:
        """Buffer text when open, else the file's text from disk (read off the event loop).

        Raises FileNotFoundError / UnicodeDecodeError / ValueError for unreadable inputs.
        """
        opened = self.open_snapshot(uri_or_path)
        if opened is not None:
            return opened
        path = uri_to_path(uri_or_path) if isinstance(uri_or_path, str) else Path(uri_or_path)
        if path is None:
            raise ValueError(f"not a file URI: {uri_or_path}")
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        return DocumentSnapshot(uri=path_to_uri(path), path=path, version=None, text=text)
