"""Which folder is the workspace: the client's, or, when it sent none, the first document's.

Editors open a lone file with ``rootUri`` null (eglot and ALE outside a project, Vim on a file in
``/tmp``). Without a folder the agent has no tools, so the folder is inferred from the first
document: its enclosing git repository, else its own directory. The home directory and the
filesystem root are never inferred (a dotfiles repository at ``~`` would hand the agent every
private file the user has); a file there leaves Cairn without a workspace, as before.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from cairn.server.lsp.documents import uri_to_path


def from_initialize(params: types.InitializeParams) -> Path | None:
    """The first workspace folder, else rootUri, else rootPath (deprecated but still sent)."""
    candidates = [folder.uri for folder in params.workspace_folders or []]
    if params.root_uri:
        candidates.append(params.root_uri)
    for uri in candidates:
        path = uri_to_path(uri)
        if path is not None:
            return path
    return Path(params.root_path) if params.root_path else None


def for_document(path: Path, home: Path | None = None) -> Path | None:
    """The workspace a lone document implies: its git repository, else its folder (or None)."""
    home = (home or Path.home()).resolve()
    folder = path.resolve().parent

    def acceptable(candidate: Path) -> bool:
        return candidate != home and candidate != Path(candidate.anchor) and candidate.is_dir()

    for candidate in (folder, *folder.parents):
        if candidate == home or candidate == Path(candidate.anchor):
            break  # never climb to (or past) the home directory or the root
        if (candidate / ".git").exists():
            return candidate
    return folder if acceptable(folder) else None
