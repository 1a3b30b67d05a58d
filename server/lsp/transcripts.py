"""A run as a readable markdown file, for editors that cannot stream (`window/showDocument`).

Written under the user's data directory, never the workspace (it must not land in version
control or be read back as project content), one folder per workspace, secrets redacted like
everything else that reaches disk (R15). Old transcripts are pruned.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from cairn.memory.location import data_dir, workspace_key
from cairn.server.lsp.run_records import RunRecord

KEPT_TRANSCRIPTS = 200  # per workspace
MAX_ACTIVITY_LINES = 200


def transcript_dir(root: Path | None) -> Path:
    return data_dir() / "transcripts" / (workspace_key(root) if root else "no-workspace")


def render(run: RunRecord) -> str:
    """The run as markdown: what was asked, what was done, the answer, how it ended."""
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started))
    lines = [f"# {run.title}", "", f"_{started} · run {run.run_id} · {run.summary()}_", ""]
    lines += ["## Request", "", run.request.strip(), ""]
    if run.activity:
        lines += ["## Steps", ""]
        lines += [f"- {line}" for line in run.activity[:MAX_ACTIVITY_LINES]]
        if len(run.activity) > MAX_ACTIVITY_LINES:
            lines.append(f"- … {len(run.activity) - MAX_ACTIVITY_LINES} more")
        lines.append("")
    if run.edits:
        lines += ["## Edits", ""]
        for edit in run.edits:
            detail = f": {edit.detail}" if edit.detail else ""
            lines.append(f"- `{edit.path}` {edit.status}: {edit.description}{detail}")
        lines.append("")
    if run.text.strip():
        lines += ["## Answer", "", run.text.strip(), ""]
    if run.error:
        lines += ["## Error" if run.status == "error" else "## Cancelled", "", run.error, ""]
    return "\n".join(lines)


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    old = sorted(directory.glob("*.md"))[:-KEPT_TRANSCRIPTS]
    for stale in old:
        stale.unlink(missing_ok=True)
    return path


async def write(run: RunRecord, root: Path | None, redact: Callable[[str], str]) -> Path:
    """Write ``run``'s transcript (redacted) and return its path."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(run.started))
    safe_id = "".join(c if c.isalnum() or c in "-_" else "-" for c in run.run_id)[:12]
    name = f"{stamp}-{safe_id}.md"
    return await asyncio.to_thread(_write, transcript_dir(root), name, redact(render(run)))
