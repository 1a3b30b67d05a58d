"""Strict validation of SKILL.md text against the Agent Skills format.

The validator takes TEXT plus the folder name (not a file), so the language server can run it on
an unsaved buffer as the user types. Known keys are checked strictly; unknown keys are kept with a
warning (other tools add their own keys); every problem carries a 0-based range. It never raises
on bad input: a problem list is the answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from cairn.skills.frontmatter import SkillDocument, split_skill_text
from cairn.skills.problems import Problem, TextRange, has_errors
from cairn.skills.skill import GLOBS_KEY, LANGUAGES_KEY, Skill, split_list
from cairn.skills.textstats import approx_tokens

NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
BODY_TOKENS_RECOMMENDED = 5000
BODY_LINES_RECOMMENDED = 500
DESCRIPTION_MIN_USEFUL = 20

KNOWN_KEYS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
# Relative links to a skill's own resources, e.g. `references/style.md` or (scripts/run.py).
_RESOURCE_REF = re.compile(r"(?<![\w/.-])((?:references|scripts|assets)/[\w./-]+)")


def _name_problems(name: Any, folder_name: str | None) -> list[str]:
    if not isinstance(name, str):
        return [f"'name' must be a string, not {type(name).__name__}"]
    reasons = []
    if not 1 <= len(name) <= NAME_MAX:
        reasons.append(f"'name' must be 1-{NAME_MAX} characters (it has {len(name)})")
    if unicodedata.normalize("NFKC", name) != name:
        reasons.append("'name' must be in Unicode NFKC form")
    if any(not (c.isalnum() or c == "-") for c in name) or name != name.lower():
        reasons.append("'name' may only contain lowercase letters, digits and hyphens")
    if name.startswith("-") or name.endswith("-"):
        reasons.append("'name' must not start or end with a hyphen")
    if "--" in name:
        reasons.append("'name' must not contain consecutive hyphens")
    if folder_name is not None and name != folder_name:
        reasons.append(f"'name' ({name!r}) must equal the skill's folder name ({folder_name!r})")
    return reasons


def _string_field(data: dict[str, Any], key: str, max_len: int | None) -> str | None:
    value = data.get(key)
    if not isinstance(value, str):
        return f"'{key}' must be a string, not {type(value).__name__}"
    if not value.strip():
        return f"'{key}' must not be empty"
    if max_len is not None and len(value) > max_len:
        return f"'{key}' must be at most {max_len} characters (it has {len(value)})"
    return None


def _metadata_problems(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return [f"'metadata' must be a mapping of strings to strings, not {type(value).__name__}"]
    reasons = []
    for key, item in value.items():
        if not isinstance(key, str):
            reasons.append(f"metadata key {key!r} must be a string")
        if not isinstance(item, str):
            reasons.append(f'metadata value of {key!r} must be a string (quote it: {key}: "{item}")')
    for key in (LANGUAGES_KEY, GLOBS_KEY):
        if isinstance(value.get(key), str) and not split_list(value[key]):
            reasons.append(f"metadata {key!r} is empty: give a comma-separated list")
    return reasons


def _check_front_matter(doc: SkillDocument, data: dict[str, Any], folder_name: str | None) -> list[Problem]:
    problems: list[Problem] = []

    def add(severity: str, key: str, message: str) -> None:
        problems.append(Problem(severity, message, doc.key_range(key), key))  # type: ignore[arg-type]

    if "name" not in data:
        add("error", "name", "missing required key 'name'")
    else:
        for reason in _name_problems(data["name"], folder_name):
            add("error", "name", reason)
    if "description" not in data:
        add(
            "error",
            "description",
            "missing required key 'description' (what the skill does and when to use it)",
        )
    else:
        invalid = _string_field(data, "description", DESCRIPTION_MAX)
        if invalid:
            add("error", "description", invalid)
        elif len(data["description"].strip()) < DESCRIPTION_MIN_USEFUL:
            add(
                "warning",
                "description",
                "'description' is very short: say what the skill does and when to use it",
            )
    for key, limit in (("license", None), ("compatibility", COMPATIBILITY_MAX), ("allowed-tools", None)):
        if key in data:
            invalid = _string_field(data, key, limit)
            if invalid:
                add("error", key, invalid + (" (a space-separated list)" if key == "allowed-tools" else ""))
    if "metadata" in data:
        for reason in _metadata_problems(data["metadata"]):
            add("error", "metadata", reason)
    for key in data:
        if key not in KNOWN_KEYS:
            add(
                "warning",
                key,
                f"unknown key {key!r} is kept but not used by Cairn (known: {', '.join(KNOWN_KEYS)})",
            )
    return problems


def _check_body(doc: SkillDocument, resource_exists: Callable[[str], bool] | None) -> list[Problem]:
    problems: list[Problem] = []
    body_range = TextRange.of_line(doc.lines, doc.body_start_line)
    if not doc.body.strip():
        problems.append(
            Problem("warning", "the body is empty: add the instructions the agent should follow", body_range)
        )
        return problems
    tokens = approx_tokens(doc.body)
    if tokens > BODY_TOKENS_RECOMMENDED:
        problems.append(
            Problem(
                "warning",
                f"the body is about {tokens} tokens; keep it under {BODY_TOKENS_RECOMMENDED} and move "
                "detail to references/",
                body_range,
            )
        )
    body_lines = len(doc.lines) - doc.body_start_line
    if body_lines > BODY_LINES_RECOMMENDED:
        problems.append(
            Problem(
                "warning",
                f"the body has {body_lines} lines; keep it under {BODY_LINES_RECOMMENDED}",
                body_range,
            )
        )
    if resource_exists is not None:
        for number in range(doc.body_start_line, len(doc.lines)):
            for match in _RESOURCE_REF.finditer(doc.lines[number]):
                ref = match.group(1).rstrip(".")
                if not resource_exists(ref):
                    problems.append(
                        Problem(
                            "warning",
                            f"referenced file {ref!r} does not exist in the skill folder",
                            TextRange(number, match.start(1), number, match.start(1) + len(ref)),
                        )
                    )
    return problems


def validate_skill_text(
    text: str,
    folder_name: str | None = None,
    *,
    resource_exists: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """All problems of one SKILL.md text, errors and warnings, in line order.

    ``folder_name`` is the name of the folder holding the file (the spec wants ``name`` to equal
    it); pass None when unknown. ``resource_exists(relative_path)`` lets the caller check links to
    ``references/``, ``scripts/`` and ``assets/`` files.
    """
    doc = split_skill_text(text)
    problems = list(doc.problems)
    if doc.data is not None:
        problems += _check_front_matter(doc, doc.data, folder_name)
        problems += _check_body(doc, resource_exists)
    return sorted(problems, key=lambda p: (p.range.start_line, p.range.start_char))


def parse_skill_text(
    text: str,
    folder_name: str | None = None,
    *,
    resource_exists: Callable[[str], bool] | None = None,
) -> tuple[Skill | None, list[Problem]]:
    """Validate and build a :class:`Skill`; the skill is None when there is any error."""
    doc = split_skill_text(text)
    problems = validate_skill_text(text, folder_name, resource_exists=resource_exists)
    if has_errors(problems) or doc.data is None:
        return None, problems
    data = doc.data
    skill = Skill(
        name=data["name"],
        description=data["description"].strip(),
        body=doc.body.strip("\n"),
        license=data.get("license"),
        compatibility=data.get("compatibility"),
        metadata=dict(data.get("metadata") or {}),
        allowed_tools=tuple(str(data.get("allowed-tools", "")).split()),
        extra={k: v for k, v in data.items() if k not in KNOWN_KEYS},
        warnings=tuple(problems),
    )
    return skill, problems
