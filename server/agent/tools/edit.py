"""Editing tools: ``propose_edit`` (replace one exact, unique snippet) and ``create_file``.

Neither writes a file itself. Each builds an `EditProposal` against the text the agent sees
(editor buffer or CLI overlay first, then disk) and hands it to ``ctx.edits``: the editor applies
it through ``workspace/applyEdit`` after a version check, the CLI stages it for ``--apply``. A
``stale`` answer (the document changed meanwhile) makes the tool re-read the file and redo the
same replacement on the fresh text, so a concurrent change is never clobbered.
"""

from __future__ import annotations

import asyncio
import difflib

from cairn.server.agent.tools.base import ToolResult, error_result, truncate_middle
from cairn.server.agent.tools.context import ApplyOutcome, EditProposal, ToolContext
from cairn.server.agent.tools.errors import ToolError
from cairn.server.agent.tools.pathpolicy import is_utf8_encodable
from cairn.server.agent.tools.textedits import split_lines, unified_diff
from cairn.server.agent.tools.textfiles import read_current

STALE_RETRIES = 2
MAX_DIFF_CHARS = 8000
MAX_LISTED_LINES = 10


async def propose_edit(
    ctx: ToolContext, path: str, old_text: str, new_text: str, description: str = ""
) -> ToolResult:
    """Change a file by replacing one exact snippet with new text.

    old_text must occur exactly once in the file's current text (copy it from read_file output,
    without the line numbers, including enough surrounding lines to be unique). To delete,
    pass an empty new_text. To make a new file, use create_file.

    Args:
        path: File path relative to the workspace root.
        old_text: The exact text to replace (must match once, whitespace included).
        new_text: The replacement text.
        description: One line saying why, shown to the user with the change.
    """
    _require_text(old_text=old_text, new_text=new_text)
    rel = await asyncio.to_thread(ctx.workspace.check_writable, path)
    for _ in range(STALE_RETRIES + 1):
        current = await read_current(ctx, rel)
        updated = replace_unique(current.text, old_text, new_text, rel)
        proposal = EditProposal(rel, current.text, current.version, updated, description or f"Edit {rel}")
        outcome = await ctx.edits.apply(proposal)
        if outcome.status != "stale":
            break
    return outcome_result(proposal, outcome)


async def create_file(ctx: ToolContext, path: str, content: str, description: str = "") -> ToolResult:
    """Create a new file with the given content (never overwrites an existing file).

    Args:
        path: New file path relative to the workspace root; missing directories are created.
        content: The whole text of the new file.
        description: One line saying why, shown to the user with the change.
    """
    _require_text(content=content)
    rel = await asyncio.to_thread(ctx.workspace.check_writable, path)
    exists = await asyncio.to_thread(ctx.workspace.kind, rel)
    if exists is not None or ctx.buffers.get(rel) is not None:
        raise ToolError(f"{rel!r} already exists; change it with propose_edit instead.")
    proposal = EditProposal(rel, "", None, content, description or f"Create {rel}", creates_file=True)
    return outcome_result(proposal, await ctx.edits.apply(proposal))


def _require_text(**values: str) -> None:
    for name, value in values.items():
        if not is_utf8_encodable(value):
            raise ToolError(f"{name} contains lone surrogate characters and cannot be saved.")


def outcome_result(proposal: EditProposal, outcome: ApplyOutcome) -> ToolResult:
    """What the model is told about a proposal's fate (with the diff when it took effect)."""
    diff = unified_diff(proposal)
    # ``before``: the text the change was made against, so the host can tell what it changed
    # (the agent loop runs the docstring examples of changed definitions, agent/edit_check.py).
    data = {"path": proposal.path, "status": outcome.status, "diff": diff, "before": proposal.base_text}
    detail = f" ({outcome.message})" if outcome.message else ""
    if outcome.status == "applied":
        # The editor applies it (no message); `cairn ask --apply` writes it and says so.
        head = f"Applied the change to {proposal.path}{detail or ' in the editor'}."
    elif outcome.status == "staged":
        head = f"Staged the change to {proposal.path}{detail}; later reads in this session see the new text."
    elif outcome.status == "rejected":
        return error_result(f"The user rejected the change to {proposal.path}{detail}.", data)
    elif outcome.status == "stale":
        return error_result(
            f"{proposal.path} kept changing while the edit was applied{detail}; read it again.",
            data,
        )
    else:
        return error_result(f"The change to {proposal.path} failed{detail}.", data)
    return ToolResult(f"{head}\n{truncate_middle(diff, MAX_DIFF_CHARS)}", data=data)


def replace_unique(text: str, old_text: str, new_text: str, rel: str) -> str:
    """``text`` with the single occurrence of ``old_text`` replaced; `ToolError` with hints
    (occurrence lines, whitespace-only mismatches, closest lines) otherwise.

    A file with CRLF line endings also matches an ``old_text`` written with LF (the model sees
    lines without endings); the replacement then gets CRLF too.
    """
    if not old_text:
        raise ToolError(
            "old_text is empty. Include the line(s) next to the insertion point in "
            "old_text, or use create_file for a new file."
        )
    if old_text == new_text:
        raise ToolError("old_text and new_text are identical: nothing would change.")
    if old_text not in text and "\r\n" in text and "\r\n" not in old_text:
        crlf_old = old_text.replace("\n", "\r\n")
        if crlf_old in text:
            old_text, new_text = crlf_old, new_text.replace("\r\n", "\n").replace("\n", "\r\n")
    starts = _occurrences(text, old_text)
    if len(starts) == 1:
        index = starts[0]
        return text[:index] + new_text + text[index + len(old_text) :]
    if starts:
        where = ", ".join(str(text.count("\n", 0, i) + 1) for i in starts[:MAX_LISTED_LINES])
        raise ToolError(
            f"old_text occurs {len(starts)} times in {rel} (starting at lines {where}). Include "
            "more surrounding lines so it matches exactly once."
        )
    raise ToolError(f"old_text was not found in {rel}. {_near_misses(text, old_text)}".rstrip())


def _occurrences(text: str, needle: str) -> list[int]:
    """Start offsets of ``needle``, overlapping ones included (both make it ambiguous)."""
    found, index = [], text.find(needle)
    while index >= 0:
        found.append(index)
        index = text.find(needle, index + 1)
    return found


def _near_misses(text: str, old_text: str) -> str:
    """A hint for a failed match: a whitespace-only difference, or the closest lines."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    wanted = [line.strip() for line in old_text.splitlines() if line.strip()]
    if not wanted:
        return "old_text contains only whitespace."
    stripped = [line.strip() for line in lines]
    for start in range(len(stripped)):
        if stripped[start] != wanted[0]:
            continue
        window: list[str] = []
        index = start
        while index < len(stripped) and len(window) < len(wanted):
            if stripped[index]:
                window.append(stripped[index])
            index += 1
        if window == wanted:
            return (
                f"Lines {start + 1}-{index} match it except for whitespace or indentation: "
                "copy them exactly from read_file output."
            )
    close = difflib.get_close_matches(wanted[0], stripped, n=3, cutoff=0.6)
    if not close:
        return "No similar lines either: read the file again before editing."
    hints = []
    for candidate in close:
        number = stripped.index(candidate) + 1
        hints.append(f"  {number}: {lines[number - 1].strip()[:200]}")
    return "Closest lines to its first line:\n" + "\n".join(hints)
