"""What `cairn status` and the `cairn.status` command report: one builder, two front ends.

The report is plain JSON (no secrets: the API key is only "set"/"not set", the API base is shown
without credentials) so the CLI prints it and editors display it as they like.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from cairn import __version__
from cairn.memory.location import memory_db_path

if TYPE_CHECKING:
    from cairn.server.settings import ResolvedSettings


def _without_credentials(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts._replace(query="", fragment=""))


def build_status(
    resolved: ResolvedSettings,
    *,
    workspace_root: Path | None,
    transport: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The status report as a JSON-able dict. ``extra`` lets features add their own sections."""
    settings = resolved.settings
    memory_path = memory_db_path(workspace_root, settings.memory_path)
    view = settings.public_view()
    view["apiBase"] = _without_credentials(settings.api_base)
    report: dict[str, Any] = {
        "version": __version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "executable": sys.executable,
        "transport": transport,
        "workspace": str(workspace_root) if workspace_root else None,
        "trusted": settings.trusted,
        "model": settings.model or None,
        "memory": {"path": str(memory_path), "exists": memory_path.exists()},
        "settings": view,
        "sources": {key: source for key, source in sorted(resolved.sources.items())},
        "problems": [str(problem) for problem in resolved.problems],
    }
    if extra:
        report.update(extra)
    return report


def format_status(report: dict[str, Any]) -> str:
    """Human-readable text of a status report."""
    lines = [
        f"Cairn {report['version']} ({report['python']}, {report['transport']})",
        f"  workspace: {report['workspace'] or '(none)'}" + ("" if report["trusted"] else "  [untrusted]"),
        f"  model:     {report['model'] or '(none configured)'}",
        f"  memory:    {report['memory']['path']}"
        + ("" if report["memory"]["exists"] else "  (not created yet)"),
        "  settings:",
    ]
    for key, value in report["settings"].items():
        lines.append(f"    {key} = {value!r}")
    if report["sources"]:
        lines.append("  set by: " + ", ".join(f"{k} ({v})" for k, v in report["sources"].items()))
    for key, value in report.items():
        if key not in {
            "version",
            "python",
            "executable",
            "transport",
            "workspace",
            "trusted",
            "model",
            "memory",
            "settings",
            "sources",
            "problems",
        }:
            lines.append(f"  {key}: {value}")
    for problem in report["problems"]:
        lines.append(f"  problem: {problem}")
    return "\n".join(lines) + "\n"
