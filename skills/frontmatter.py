"""Split a SKILL.md into its YAML front matter and markdown body, remembering line numbers.

Parsing uses ``yaml.safe_load`` only: a skill file comes from anywhere (a cloned workspace, a
download) and must never be able to construct Python objects. Positions of top-level keys are
found by scanning the front-matter lines, so every problem can point at the line that causes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from cairn.skills.problems import Problem, TextRange

FENCE = "---"
# A top-level key: no indentation, a plain or quoted name, then a colon.
_TOP_LEVEL_KEY = re.compile(r"""^(?P<q>["']?)(?P<key>[^\s:#"'][^:#"']*?)(?P=q)\s*:(\s|$)""")


@dataclass
class SkillDocument:
    """The pieces of one SKILL.md text. ``data`` is None when the front matter is unusable."""

    lines: list[str]
    data: dict[str, Any] | None
    body: str
    body_start_line: int
    key_lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def key_range(self, key: str) -> TextRange:
        """The line of ``key`` in the front matter, or the opening fence when it is missing."""
        return TextRange.of_line(self.lines, self.key_lines.get(key, 0))


def _key_lines(lines: list[str], first: int, last: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for number in range(first, last):
        match = _TOP_LEVEL_KEY.match(lines[number])
        if match:
            found.setdefault(match.group("key").strip(), number)
    return found


def split_skill_text(text: str) -> SkillDocument:
    """Parse ``text``; problems with the fences or the YAML are returned, never raised."""
    if text.startswith("\ufeff"):
        text = text[1:]  # editors on Windows add a BOM; it is not part of the fence
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != FENCE:
        problem = Problem(
            "error",
            "SKILL.md must start with YAML front matter: a line '---', the keys, then '---'",
            TextRange.of_line(lines, 0),
        )
        return SkillDocument(lines, None, text, 0, problems=[problem])
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if closing is None:
        problem = Problem(
            "error",
            "front matter is not closed: add a line '---' after the last key",
            TextRange.of_line(lines, 0),
        )
        return SkillDocument(lines, None, "", len(lines), problems=[problem])

    body = "\n".join(lines[closing + 1 :])
    key_lines = _key_lines(lines, 1, closing)
    document = SkillDocument(lines, None, body, closing + 1, key_lines)
    try:
        data = yaml.safe_load("\n".join(lines[1:closing]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 1 + (mark.line if mark is not None else 0)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        document.problems.append(
            Problem("error", f"front matter is not valid YAML: {reason}", TextRange.of_line(lines, line))
        )
        return document
    if data is None:
        data = {}
    if not isinstance(data, dict):
        document.problems.append(
            Problem(
                "error",
                f"front matter must be a mapping of keys to values, not a {type(data).__name__}",
                TextRange.of_line(lines, 1),
            )
        )
        return document
    document.data = {str(k): v for k, v in data.items()}
    return document
