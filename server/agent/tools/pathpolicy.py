"""What a model-supplied path means, lexically, and which workspace paths are protected.

This module never touches the filesystem: it turns the string a model sent into a tuple of
plain path components relative to the workspace root (the shared lexical rules are
`cairn.nofollow.split`), or refuses it with a reason the model can act on.
`confine.ConfinedWorkspace` then walks those components with directory handles.

Decisions (R13, R18):
- `..` is refused anywhere, even when it would stay inside: there is no honest way to resolve
  it without following the filesystem, and a model can always say what it means directly.
- Absolute paths are accepted only when they lie under the workspace root, compared component
  by component (so `/ws-evil` is not under `/ws`), against both the root as given and its
  real path. `/proc/self/root/...`, `~` and every other absolute path are outside.
- URIs (`file:///...`), percent-encoded separators or dots (`%2e`, `%2f`, `%5c`, `%00`),
  backslashes and NUL bytes are refused rather than decoded: decoding is how smuggling works.
- Protected names are compared case-folded, NFC-normalised and with trailing dots/spaces
  stripped and invisible format characters removed, so `.GIT/config`, `.Vscode/settings.json`
  or `.g\u200cit/config` are protected too: on case-insensitive filesystems (macOS, Windows
  shares) they can be the same file.
"""

from __future__ import annotations

import fnmatch
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from cairn import nofollow
from cairn.nofollow import is_utf8_encodable as is_utf8_encodable  # re-exported for edit, shell
from cairn.server.agent.tools.errors import PathRefused

_ROOT_NAME = "the workspace"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://|^file:", re.IGNORECASE)
_ENCODED = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)

# Directories whose contents the agent may never write, wherever they appear: git internals
# (hooks and config run code; a `.git` *file* can point git at another directory) and Cairn's
# own per-workspace settings, permissions and skills.
PROTECTED_DIR_NAMES = {
    ".git": "git internals (hooks and config run code)",
    ".cairn": "Cairn's own settings, permissions and skills",
}

# Files (matched against the end of the path, case-folded) that configure an editor or an agent:
# writing them would let the agent raise its own authority (auto-approve tools, add MCP
# servers, run tasks on folder open, change which language servers start).
PROTECTED_FILE_GLOBS: tuple[tuple[str, ...], ...] = (
    (".vscode", "settings.json"),
    (".vscode", "mcp.json"),
    (".vscode", "tasks.json"),
    (".vscode", "launch.json"),
    ("*.code-workspace",),
    (".mcp.json",),
    (".cursor", "mcp.json"),
    (".cursor", "settings.json"),
    (".claude", "settings*.json"),
    (".gemini", "settings.json"),
    (".codex", "config.toml"),
    (".continue", "config.*"),
    (".zed", "settings.json"),
    (".zed", "tasks.json"),
    (".helix", "config.toml"),
    (".helix", "languages.toml"),
    (".nvim.lua",),
    (".nvimrc",),
    (".exrc",),
    (".envrc",),
)

# Files next to an SQLite database that hold its data too.
_SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


def fold(name: str) -> str:
    """The form in which names are compared: NFC, case-folded, without invisible format
    characters (HFS+ ignores some, e.g. ZWNJ in ``.g\u200cit``), trailing dots/spaces dropped."""
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", visible).casefold().rstrip(" .") or name


def split_path(raw: object, root: Path, real_root: Path) -> tuple[str, ...]:
    """Components of ``raw`` relative to the workspace root, or `PathRefused` with the reason.

    ``()`` is the root itself. ``raw`` may be relative to the root or absolute under it. The
    model-input rules (URIs, percent-encoding, ``~``) are checked here; the lexical rules every
    confined path shares (NUL, ``..``, absolute only under the root, ...) by `cairn.nofollow.split`.
    """
    if isinstance(raw, str) and len(raw) <= nofollow.MAX_PATH_CHARS:
        if _URI.match(raw):
            raise PathRefused(raw, "URIs are not accepted; pass a path relative to the workspace root")
        if _ENCODED.search(raw):
            raise PathRefused(
                raw, "percent-encoded dots or separators are not accepted; write the path plainly"
            )
        if raw == "~" or raw.startswith("~/"):
            raise PathRefused(raw, "the home directory is outside the workspace")
    try:
        return nofollow.split(raw, roots=(root, real_root), allow_root=True, root_name=_ROOT_NAME)
    except nofollow.Refused as exc:
        raise PathRefused(exc.path, exc.reason) from None


class ProtectedPaths:
    """Which workspace-relative paths are never written (R18) and never read (the memory DB)."""

    def __init__(self, root: Path, real_root: Path, secret_files: Iterable[str | Path] = ()):
        self.secret_files: tuple[Path, ...] = tuple(Path(p) for p in secret_files)
        # Secret files under the root, as folded components, so reads through any spelling of
        # their path are refused before anything is opened.
        self._secret_rel: list[tuple[str, ...]] = []
        for path in self.secret_files:
            absolute = os.path.abspath(path)
            for candidate in {absolute, os.path.realpath(absolute)}:
                try:
                    parts = nofollow.under_roots(candidate, (root, real_root))
                except nofollow.Refused:
                    continue
                self._secret_rel.append(tuple(fold(p) for p in parts))

    def read_refusal(self, components: tuple[str, ...]) -> str | None:
        """Why reading this path is refused, or None."""
        folded = tuple(fold(p) for p in components)
        for secret in self._secret_rel:
            if len(folded) == len(secret) and folded[:-1] == secret[:-1]:
                if any(folded[-1] == secret[-1] + suffix for suffix in _SQLITE_SIDECARS):
                    return "it is Cairn's memory database (or another protected file)"
        return None

    def write_refusal(self, components: tuple[str, ...]) -> str | None:
        """Why writing this path is refused, or None."""
        reason = self.read_refusal(components)
        if reason:
            return reason
        folded = tuple(fold(p) for p in components)
        for name in folded:
            if name in PROTECTED_DIR_NAMES:
                return f"{name} holds {PROTECTED_DIR_NAMES[name]}; the agent may not change anything there"
        for pattern in PROTECTED_FILE_GLOBS:
            if len(folded) >= len(pattern) and all(
                fnmatch.fnmatchcase(name, glob) for name, glob in zip(folded[-len(pattern) :], pattern)
            ):
                return (
                    "it configures an editor or agent (settings, permissions, MCP servers or "
                    "tasks); the agent may not change its own authority"
                )
        return None

    def identities(self) -> set[tuple[int, int]]:
        """(device, inode) of every secret file that exists now, to catch hardlinks to them."""
        found = set()
        for path in self.secret_files:
            for suffix in _SQLITE_SIDECARS:
                try:
                    st = os.stat(f"{path}{suffix}")
                except OSError:
                    continue
                found.add((st.st_dev, st.st_ino))
        return found
