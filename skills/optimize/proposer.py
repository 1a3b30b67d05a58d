"""The optimizer's side of a step, "reflective" style: reflect on failures and on successes,
then propose edits.

Failures and successes are reflected on separately (what to fix, what to keep), then a third call
turns both into at most ``max_edits`` structured edits. Prompts are files in ``prompts/``. The
other style, one rule per kind of failure for small optimizer models, is `rule_proposer.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from string import Template

from cairn.skills.optimize.edits import Edit, parse_edits
from cairn.skills.optimize.excerpts import clip
from cairn.skills.optimize.graders import Grade
from cairn.skills.optimize.ledger import Ledger
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.ports import RunResult
from cairn.skills.optimize.tasks import Task

MAX_EXAMPLES = 12
CALLS_PER_STEP = 3  # reflect on failures, reflect on successes, propose


def load_prompt(name: str) -> Template:
    """A prompt template from ``prompts/<name>.md`` ($-placeholders)."""
    text = resources.files("cairn.skills.optimize").joinpath("prompts", f"{name}.md").read_text("utf-8")
    return Template(text)


def format_results(results: list[tuple[Task, RunResult, Grade]], *, with_output: bool = True) -> str:
    """Examples as ``family:/input:/expected:/output:/why:`` blocks (at most MAX_EXAMPLES)."""
    blocks = []
    for task, run, graded in results[:MAX_EXAMPLES]:
        lines = [f"family: {task.family}", f"input: {clip(task.input)}", f"expected: {clip(task.expected)}"]
        if with_output:
            lines.append(f"output: {clip(run.output)}")
            if graded.detail:
                lines.append(f"why: {graded.detail}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else "(none)\n"


@dataclass
class Proposal:
    """The parsed edits of one step, a reason per reply or edit that did not parse, and how many
    proposal calls were made (the reflective style asks once for all its edits)."""

    edits: list[Edit]
    errors: list[str] = field(default_factory=list)
    failure_reflection: str = ""
    asked: int = 1


async def propose(
    models: MeteredModels,
    skill_text: str,
    results: list[tuple[Task, RunResult, Grade]],
    *,
    max_edits: int,
    max_changed_tokens: int,
    max_skill_tokens: int,
    ledger: Ledger,
) -> Proposal:
    """Three optimizer calls; returns the parsed edits (not yet linted or limited)."""
    failures = [r for r in results if not r[2].passed]
    successes = [r for r in results if r[2].passed]
    failure_reflection = "No failures in this batch.\n"
    if failures:
        prompt = load_prompt("reflect_failures").substitute(
            skill=skill_text, results=format_results(failures)
        )
        failure_reflection = await models.complete([{"role": "user", "content": prompt}]) + "\n"
    success_reflection = "No successes in this batch.\n"
    if successes:
        prompt = load_prompt("reflect_successes").substitute(
            skill=skill_text, results=format_results(successes)
        )
        success_reflection = await models.complete([{"role": "user", "content": prompt}]) + "\n"
    prompt = load_prompt("propose_edits").substitute(
        skill=skill_text,
        max_edits=max_edits,
        max_changed_tokens=max_changed_tokens,
        max_skill_tokens=max_skill_tokens,
        failure_reflection=failure_reflection,
        success_reflection=success_reflection,
        shown_tasks=format_results(failures, with_output=False),
        rejected=ledger.prompt_text() + "\n",
    )
    reply = await models.complete([{"role": "user", "content": prompt}])
    edits, errors = parse_edits(reply)
    return Proposal(edits, errors, failure_reflection)
