"""Linting candidate edits before any target run is spent on them.

Four checks: the candidate is a valid SKILL.md; the edit does not duplicate a rule already there;
it leaves no placeholder; it does not copy training tasks into the skill (answers leaking into the
instructions score well on train and generalise to nothing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from cairn.skills.optimize.edits import Edit
from cairn.skills.optimize.tasks import Task
from cairn.skills.textstats import normalize_rule
from cairn.skills.validation import validate_skill_text

_PLACEHOLDERS = re.compile(
    r"\b(TODO|TBD|FIXME|XXX)\b|\{\{.*?\}\}|\$\{[^}]*\}|lorem ipsum"
    r"|\[(insert|your|add|fill)[^\]]*\]|<(insert|your|fill|placeholder)[^>]*>",
    re.IGNORECASE,
)
# The kinds of lint reason, each the opening words of its message (the funnel tallies them).
DUPLICATE = "duplicates an existing rule"
PLACEHOLDER = "leaves a placeholder"
LEAK = "copies training task(s) into the skill"
INVALID = "makes the skill invalid"
DOES_NOT_APPLY = "does not apply"
REASON_KINDS = (DUPLICATE, PLACEHOLDER, LEAK, INVALID, DOES_NOT_APPLY)
OTHER_REASON = "other"
MIN_ANSWER_CHARS = 6  # shorter expected answers ("42", "yes") occur in honest rules by chance
NGRAM_WORDS = 8
DUPLICATE_JACCARD = 0.85


def _lines(text: str) -> list[str]:
    return [n for n in (normalize_rule(line) for line in text.splitlines()) if len(n.split()) >= 3]


def _jaccard(a: str, b: str) -> float:
    left, right = set(a.split()), set(b.split())
    return len(left & right) / max(1, len(left | right))


def duplicated_rules(added: str, existing: str) -> list[str]:
    """Added lines that repeat an existing line (or each other), nearly word for word."""
    found = []
    seen = _lines(existing)
    for line in _lines(added):
        if any(line == old or _jaccard(line, old) >= DUPLICATE_JACCARD for old in seen):
            found.append(line)
        seen.append(line)
    return found


def placeholders(added: str) -> list[str]:
    """Placeholder markers left in added text."""
    return [m.group(0) for m in _PLACEHOLDERS.finditer(added)]


def _answer_strings(task: Task) -> Iterable[str]:
    expected = task.expected
    if isinstance(expected, str):
        yield expected.strip()
    elif expected is not None:
        yield json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
        yield json.dumps(expected, ensure_ascii=False)


def _ngrams(text: str, size: int) -> set[tuple[str, ...]]:
    words = normalize_rule(text).split()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def leaked_tasks(added: str, shown_tasks: Iterable[Task]) -> list[str]:
    """Ids of tasks whose answer, or a long run of whose input, appears in the added text."""
    added_ngrams = _ngrams(added, NGRAM_WORDS)
    leaked = []
    for task in shown_tasks:
        answers = [a for a in _answer_strings(task) if len(a) >= MIN_ANSWER_CHARS]
        if any(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", added) for a in answers):
            leaked.append(task.id)
        elif added_ngrams & _ngrams(task.input, NGRAM_WORDS):
            leaked.append(task.id)
    return leaked


def lint_edit(edit: Edit, skill_text: str, shown_tasks: Iterable[Task]) -> list[str]:
    """Reasons to drop ``edit`` before it is tried (empty when it is clean)."""
    added = edit.added_text()
    reasons = []
    if duplicates := duplicated_rules(added, skill_text):
        reasons.append(f"{DUPLICATE}: {duplicates[0][:80]!r}")
    if marks := placeholders(added):
        reasons.append(f"{PLACEHOLDER}: {marks[0]!r}")
    if leaked := leaked_tasks(added, shown_tasks):
        reasons.append(f"{LEAK}: {', '.join(leaked[:5])}")
    return reasons


def reason_kinds(reason: str) -> list[str]:
    """The kinds of lint reason in a linted edit's reason (reasons are joined with "; ")."""
    kinds = [kind for kind in REASON_KINDS if reason.startswith(kind) or f"; {kind}" in reason]
    return kinds or [OTHER_REASON]


def spec_errors(skill_text: str, folder_name: str) -> list[str]:
    """Spec errors of a whole candidate (warnings are not a reason to reject)."""
    return [p.message for p in validate_skill_text(skill_text, folder_name) if p.is_error]
