"""Writing a run's outputs: the best SKILL.md, a diff per accepted edit, history, report.

history.json and report.html also carry the candidate funnel (`funnel.py`): where the proposed
edits were lost, from parse errors to the gate.

Outputs hold no clock time or machine detail, so a resumed run writes the same bytes as an
uninterrupted one.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.skills.errors import SkillError
from cairn.skills.optimize.funnel import candidate_funnel
from cairn.skills.optimize.plot import scores_svg
from cairn.skills.validation import validate_skill_text

if TYPE_CHECKING:
    from cairn.skills.optimize.splits import Splits
    from cairn.skills.optimize.state import TrainState
    from cairn.skills.optimize.trainer import TrainConfig


def unified_diff(before: str, after: str, step: int) -> str:
    """A unified diff of one accepted edit."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/SKILL.md (before step {step})",
        tofile=f"b/SKILL.md (after step {step})",
    )
    return "".join(lines)


def _history(state: TrainState, splits: Splits, config: TrainConfig) -> dict[str, Any]:
    return {
        "status": state.status,
        "config": asdict(config),
        "splits": splits.sizes(),
        "test": {"start": state.test_start, "end": state.test_end},
        "steps": state.history,
        "accepted": [{"step": a["step"], "edits": a["edits"]} for a in state.accepted],
        "rejected": [entry.to_dict() for entry in state.ledger.entries],
        "skipped": state.skipped,
        "budget": asdict(state.budget),
        "funnel": candidate_funnel(state).to_dict(),
    }


FUNNEL_STAGES = (
    ("asked", "proposal calls to the optimizer"),
    ("proposed", "edits proposed (parsed + parse errors)"),
    ("parse_errors", "could not be parsed"),
    ("parsed", "parsed"),
    ("linted", "linted out"),
    ("skipped", "skipped (over a limit, a repeat, or built on a refused edit)"),
    ("gated", "sent to the gate"),
    ("refused", "refused by the gate"),
    ("accepted", "accepted"),
)


def _funnel_html(funnel: dict[str, Any]) -> str:
    base = max(1, funnel["proposed"])
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{funnel[key]}</td>"
        f"<td>{'' if key == 'asked' else f'{100 * funnel[key] / base:.0f}%'}</td></tr>"
        for key, label in FUNNEL_STAGES
    )
    reasons = "".join(f"<li>{escape(kind)}: {count}</li>" for kind, count in funnel["lint_reasons"].items())
    return (
        "<h2>Candidate funnel</h2>\n<table><tr><th>stage</th><th>count</th><th>of proposed</th></tr>"
        f"{rows}</table>\n<p>Lint reasons (an edit may have several):</p>"
        f"<ul>{reasons or '<li>none</li>'}</ul>\n"
    )


def _report_html(history: dict[str, Any], svg: str) -> str:
    rows = "".join(
        f"<tr><td>{r['step']}</td><td>{r.get('train')}</td><td>{r.get('validation')}</td>"
        f"<td>{escape(str(r.get('decision')))}</td><td>{escape(str(r.get('reason', '')))}</td></tr>"
        for r in history["steps"]
    )
    test = history["test"]
    budget = history["budget"]
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Skill training report</title>'
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:2px 6px}"
        "table{border-collapse:collapse}</style></head><body>\n"
        f"<h1>Skill training report</h1>\n<p>Status: {escape(history['status'])}. "
        f"Test accuracy: start {test['start']}, end {test['end']}. "
        f"Accepted edits: {len(history['accepted'])}; rejected: {len(history['rejected'])}. "
        f"Budget used: {budget['calls']} calls, {budget['tokens']} tokens.</p>\n"
        f"{svg}\n{_funnel_html(history['funnel'])}<h2>Steps</h2>\n<table><tr><th>step</th><th>train</th><th>validation</th>"
        f"<th>decision</th><th>reason</th></tr>{rows}</table>\n</body></html>\n"
    )


def write_outputs(
    run_dir: Path, state: TrainState, splits: Splits, config: TrainConfig, folder_name: str
) -> None:
    """Write the run's files in ``run_dir``.

    SKILL.md, diffs/NNN-step-SSS.diff (one per accepted edit), history.json, scores.svg and
    report.html.
    """
    problems = [p for p in validate_skill_text(state.current, folder_name) if p.is_error]
    if problems:  # every accepted candidate was validated: this would be a bug, never ship it
        raise SkillError(f"trained skill is invalid: {problems[0].message}")
    (run_dir / "SKILL.md").write_text(state.current, encoding="utf-8")
    diffs = run_dir / "diffs"
    diffs.mkdir(exist_ok=True)
    for index, accepted in enumerate(state.accepted, 1):
        (diffs / f"{index:03d}-step-{accepted['step']:03d}.diff").write_text(
            accepted["diff"], encoding="utf-8"
        )
    history = _history(state, splits, config)
    (run_dir / "history.json").write_text(
        json.dumps(history, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    svg = scores_svg(state.history, state.test_start, state.test_end)
    (run_dir / "scores.svg").write_text(svg, encoding="utf-8")
    (run_dir / "report.html").write_text(_report_html(history, svg), encoding="utf-8")
