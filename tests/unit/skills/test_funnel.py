"""The candidate funnel read from a run's state: every edit counted once, where it was lost."""

from __future__ import annotations

from cairn.skills.optimize.edits import Edit
from cairn.skills.optimize.funnel import candidate_funnel
from cairn.skills.optimize.ledger import Ledger, Rejection
from cairn.skills.optimize.state import TrainState


def gated(text: str, decision: str) -> dict:
    return {"edit": {"op": "append", "text": text}, "decision": decision, "reason": "..."}


def state() -> TrainState:
    history = [
        {"step": 0, "epoch": 0, "train": None, "validation": 0.2, "decision": "start"},
        # Written before rows carried "asked": the reflective proposer, one call.
        {
            "step": 1,
            "proposed": 5,
            "parse_errors": ["edit 5: 'op' must be one of append, insert_after, replace, delete"],
            "edits": [gated("- a", "accepted"), gated("- b", "rejected")],
        },
        {
            "step": 2,
            "asked": 3,
            "proposed": 2,
            "parse_errors": ["AssertionError: too short", "NameError: the reply is code"],
            # Its anchor came from an edit the gate refused just before: never judged.
            "edits": [gated("- c", "rejected"), gated("- d", "skipped")],
        },
        {"step": 3, "asked": 0, "proposed": 0, "parse_errors": [], "edits": []},
    ]
    ledger = Ledger(
        [
            Rejection(1, Edit("append", "- b"), "gate: no gain"),
            Rejection(1, Edit("append", "- e"), "lint: duplicates an existing rule: 'e'"),
            Rejection(
                1,
                Edit("append", "- TODO f 123456"),
                "lint: leaves a placeholder: 'TODO'; copies training task(s) into the skill: t1",
            ),
            Rejection(2, Edit("append", "- c"), "gate: no gain"),
            # Step 4 was cut short by the budget: no row, so none of it counts.
            Rejection(4, Edit("append", "- g"), "lint: duplicates an existing rule: 'g'"),
        ]
    )
    skipped = [
        {"step": 1, "edit": {"op": "append", "text": "- h"}, "reason": "over the limit of 4 edits"},
        {"step": 4, "edit": {"op": "append", "text": "- i"}, "reason": "over the limit of 2 edits"},
    ]
    return TrainState(step=3, history=history, ledger=ledger, skipped=skipped)


def test_every_edit_is_counted_once_and_the_lint_reasons_are_tallied():
    funnel = candidate_funnel(state())
    assert funnel.to_dict() == {
        "asked": 1 + 3 + 0,
        "proposed": 7 + 3,
        "parsed": 7,
        "parse_errors": 3,
        "linted": 2,
        "lint_reasons": {
            "copies training task(s) into the skill": 1,
            "duplicates an existing rule": 1,
            "leaves a placeholder": 1,
        },
        "skipped": 2,  # one over the limit, one at the gate
        "gated": 3,
        "refused": 2,
        "accepted": 1,
    }
    assert funnel.parsed == funnel.linted + funnel.skipped + funnel.gated


def test_the_funnel_line():
    assert candidate_funnel(state()).line() == (
        "funnel: 4 proposal calls; 10 proposed, 7 parsed (3 parse errors), 2 linted out "
        "(copies training task(s) into the skill 1, duplicates an existing rule 1, "
        "leaves a placeholder 1), 2 skipped, 3 gated: 2 refused, 1 accepted"
    )
    assert candidate_funnel(TrainState()).line() == (
        "funnel: 0 proposal calls; 0 proposed, 0 parsed (0 parse errors), 0 linted out, "
        "0 skipped, 0 gated: 0 refused, 0 accepted"
    )
