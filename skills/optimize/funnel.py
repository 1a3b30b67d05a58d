"""Where a run's candidate edits went: the funnel from proposal calls to accepted edits.

Every edit the optimizer offers ends in exactly one place, so the counts add up:
``proposed = parsed + parse_errors``, ``parsed = linted + skipped + gated`` and
``gated = refused + accepted``. ``asked`` is the number of proposal calls (the reflective
proposer asks once a step for all its edits, the rules proposer once per rule).

Read from the run's state: the step rows (``asked``, ``proposed`` (the edits that parsed),
``parse_errors``, and each gated edit's decision), the ledger's lint rejections and the skipped
edits. Only steps with a row count, so a step cut short by the budget is left out whole. Rows
written before ``asked`` existed come from the reflective proposer: one call a step.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.skills.optimize.ledger import LINT_PREFIX
from cairn.skills.optimize.lint import reason_kinds

if TYPE_CHECKING:
    from cairn.skills.optimize.state import TrainState


@dataclass(frozen=True)
class Funnel:
    asked: int = 0
    parsed: int = 0
    parse_errors: int = 0
    linted: int = 0
    skipped: int = 0
    refused: int = 0
    accepted: int = 0
    lint_reasons: dict[str, int] = field(default_factory=dict)  # a linted edit may have several

    @property
    def proposed(self) -> int:
        return self.parsed + self.parse_errors

    @property
    def gated(self) -> int:
        return self.refused + self.accepted

    def to_dict(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "proposed": self.proposed,
            "parsed": self.parsed,
            "parse_errors": self.parse_errors,
            "linted": self.linted,
            "lint_reasons": dict(sorted(self.lint_reasons.items())),
            "skipped": self.skipped,
            "gated": self.gated,
            "refused": self.refused,
            "accepted": self.accepted,
        }

    def line(self) -> str:
        """The funnel on one line, for the end of `cairn skills train`."""
        reasons = ", ".join(f"{kind} {n}" for kind, n in sorted(self.lint_reasons.items()))
        return (
            f"funnel: {self.asked} proposal calls; {self.proposed} proposed, {self.parsed} parsed "
            f"({self.parse_errors} parse errors), {self.linted} linted out"
            f"{f' ({reasons})' if reasons else ''}, {self.skipped} skipped, {self.gated} gated: "
            f"{self.refused} refused, {self.accepted} accepted"
        )


def candidate_funnel(state: TrainState) -> Funnel:
    """The funnel of every completed step of the run."""
    rows = [row for row in state.history if "proposed" in row]  # step 0 is the starting score
    steps = {row["step"] for row in rows}
    decisions = Counter(edit["decision"] for row in rows for edit in row.get("edits", []))
    linted = [
        entry.reason.removeprefix(LINT_PREFIX)
        for entry in state.ledger.entries
        if entry.step in steps and entry.reason.startswith(LINT_PREFIX)
    ]
    skipped = sum(1 for entry in state.skipped if entry["step"] in steps)
    return Funnel(
        asked=sum(int(row.get("asked", 1)) for row in rows),
        parsed=sum(int(row["proposed"]) for row in rows),
        parse_errors=sum(len(row.get("parse_errors", [])) for row in rows),
        linted=len(linted),
        # Dropped by a limit or as a repeat, or at the gate because an earlier edit it built on
        # was refused: either way never judged.
        skipped=skipped + decisions["skipped"],
        refused=decisions["rejected"],
        accepted=decisions["accepted"],
        lint_reasons=dict(Counter(kind for reason in linted for kind in reason_kinds(reason))),
    )
