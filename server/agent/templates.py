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

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
ACTIONS = ("explain", "fix", "refactor", "docstring", "tests")


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
    skills = fill(template("skills_section.md"), index=skill_index.strip()) if skill_index.strip() else ""
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
    """The user message for a code action; the chosen skill is inlined when there is one."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    body = fill(
        template(f"actions/{action}.md"),
        path=path,
        start_line=start_line,
        end_line=end_line,
        selection=selection.rstrip("\n"),
        language=language,
        diagnostics=diagnostics,
        instructions=f" {instructions.strip()}" if instructions.strip() else "",
    )
    if skill_name and skill_body.strip():
        body = (
            f"Follow the `{skill_name}` skill:\n\n"
            f'<skill name="{skill_name}">\n{skill_body.strip()}\n</skill>\n\n{body}'
        )
    return body
