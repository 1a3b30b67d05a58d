"""Prompt text lives in files (server/agent/prompts/); this module fills them in.

Templates use ``{name}`` placeholders and nothing else, so code pasted into a value (full of
braces) is never interpreted.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from cairn.server.action_specs import action_spec

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def template(name: str) -> str:
    """The text of ``prompts/<name>`` (e.g. "system.md", "actions/fix.md")."""
    return (resources.files("cairn.server.agent") / "prompts" / name).read_text(encoding="utf-8")


def fill(text: str, **values: object) -> str:
    """Replace ``{name}`` placeholders; unknown placeholders are an error, not silent text."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{key}}} has no value")
        return str(values[key])

    return _PLACEHOLDER.sub(value, text)


def system_prompt(workspace: Path | None, skill_index: str = "", today: date | None = None) -> str:
    """The agent's system prompt, with the skill index when skills are available."""
    # The index carries its own header (cairn.skills.catalog.INDEX_HEADER): one explanation only.
    skills = f"\n{skill_index.strip()}" if skill_index.strip() else ""
    return (
        fill(
            template("system.md"),
            workspace=workspace or "(no folder open)",
            date=(today or date.today()).isoformat(),
            skills=skills,
        ).rstrip()
        + "\n"
    )


def action_prompt(
    action: str,
    *,
    path: str,
    start_line: int,
    end_line: int,
    selection: str,
    language: str = "",
    diagnostics: str = "",
    instructions: str = "",
    skill_name: str = "",
    skill_body: str = "",
) -> str:
    """The user message for a code action, with the skill chosen for it (``skill_name``, whose
    text is ``skill_body``) inlined when there is one. ValueError for an unknown action."""
    body = fill(
        template(action_spec(action).template),
        path=path,
        start_line=start_line,
        end_line=end_line,
        selection=selection.rstrip("\n"),
        language=language,
        diagnostics=diagnostics,
        instructions=f" {instructions.strip()}" if instructions.strip() else "",
    )
    if skill_body.strip():
        skill = skill_name or action_spec(action).skill
        body = (
            f'Follow the `{skill}` skill:\n\n<skill name="{skill}">\n{skill_body.strip()}\n</skill>\n\n{body}'
        )
    return body


def repair_prompt(*, kind: str, definition: str, failures: str) -> str:
    """The whole message of a focused repair call (focused_repair.py): one definition, its
    failing examples, the instruction (``kind``: "function" or "class")."""
    return fill(template("repair.md"), kind=kind, definition=definition.rstrip("\n"), failures=failures)


def rewrite_prompt(*, definition: str) -> str:
    """The whole message of a focused rewrite call (focused_repair.py): a function's signature
    and docstring, to be completed anew."""
    return fill(template("rewrite.md"), definition=definition.rstrip("\n"))
