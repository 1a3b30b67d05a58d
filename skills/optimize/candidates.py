"""Turning proposed edits into one candidate skill, within the limits, lint first.

Nothing here calls a model: edits that break the limits or the lint are dropped before a single
target run is spent. Edits the linter rejects go to the ledger; edits dropped only for exceeding
a limit do not (they were never judged).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.skills.frontmatter import split_skill_text
from cairn.skills.optimize.edits import Edit, EditError, apply_edit
from cairn.skills.optimize.ledger import Ledger
from cairn.skills.optimize.lint import DOES_NOT_APPLY, INVALID, lint_edit, spec_errors
from cairn.skills.optimize.tasks import Task
from cairn.skills.textstats import approx_tokens


@dataclass(frozen=True)
class Limits:
    max_edits: int
    max_changed_tokens: int
    max_skill_tokens: int


@dataclass
class Candidate:
    """The candidate text (None when no edit survived), the edits kept and the ones dropped."""

    text: str | None
    kept: list[Edit] = field(default_factory=list)
    linted: list[tuple[Edit, str]] = field(default_factory=list)  # judged bad: to the ledger
    skipped: list[tuple[Edit, str]] = field(default_factory=list)  # over a limit or repeated


def body_tokens(skill_text: str) -> int:
    return approx_tokens(split_skill_text(skill_text).body)


def build_candidate(
    current: str,
    edits: list[Edit],
    limits: Limits,
    *,
    folder_name: str,
    shown_tasks: list[Task],
    ledger: Ledger,
) -> Candidate:
    """Apply the edits that pass every check, in order, to ``current``."""
    result = Candidate(None)
    text, changed = current, 0
    for index, edit in enumerate(edits):
        if index >= limits.max_edits:
            result.skipped.append((edit, f"over the limit of {limits.max_edits} edits this step"))
            continue
        if edit in ledger or any(edit.key() == kept.key() for kept in result.kept):
            result.skipped.append((edit, "already proposed and rejected"))
            continue
        try:
            updated = apply_edit(text, edit)
        except EditError as exc:
            result.linted.append((edit, f"{DOES_NOT_APPLY}: {exc}"))
            continue
        if reasons := lint_edit(edit, text, shown_tasks):
            result.linted.append((edit, "; ".join(reasons)))
            continue
        if changed + edit.changed_tokens() > limits.max_changed_tokens:
            result.skipped.append((edit, f"over the cap of {limits.max_changed_tokens} changed tokens"))
            continue
        if body_tokens(updated) > limits.max_skill_tokens:
            result.skipped.append((edit, f"the skill would exceed {limits.max_skill_tokens} tokens"))
            continue
        if errors := spec_errors(updated, folder_name):
            result.linted.append((edit, f"{INVALID}: {errors[0]}"))
            continue
        text, changed = updated, changed + edit.changed_tokens()
        result.kept.append(edit)
    if result.kept and text != current:
        result.text = text
    return result
