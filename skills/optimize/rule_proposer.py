"""The "rules" proposer: one short optimizer call per kind of failure, one rule per call.

Made for small optimizer models, which cannot follow the reflective proposer's three long prompts
and JSON edits with anchors. The batch's failures are grouped by signature (`failure_groups`);
for each of the largest groups, at most the step's edit limit, the optimizer sees the skill, the
signature, how many of the batch failed that way and a few trimmed examples, and answers with
one instruction in words. Each rule that parses becomes an edit appending ``- <rule>`` to the
body; the lint, the limits and the gate then treat it like any other edit.
"""

from __future__ import annotations

from cairn.skills.frontmatter import split_skill_text
from cairn.skills.optimize.edits import Edit
from cairn.skills.optimize.excerpts import clip, first_lines, last_lines
from cairn.skills.optimize.failure_groups import FailureGroup, Graded, group_failures
from cairn.skills.optimize.ledger import Ledger
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.proposer import Proposal, load_prompt
from cairn.skills.optimize.rule_reply import RuleParseError, parse_rule

TASK_LINES = 3
FAILURE_LINES = 3
ANSWER_CHARS = 160
REJECTED_SHOWN = 8
PROMPT = load_prompt("propose_rule")
# The prompt's own instructions (after the rejected list): a reply that repeats them is no rule.
INSTRUCTIONS = PROMPT.template.rsplit("</rejected>", 1)[-1]


def _task_excerpt(item: Graded) -> list[str]:
    task, run, graded = item
    grader = task.grader
    if grader.kind == "execution":
        # Every HumanEval input opens with the same instruction; the function header is the task.
        lines = ["task:", first_lines(grader.prefix or task.input, TASK_LINES)]
        return [*lines, "failure:", last_lines(graded.detail, FAILURE_LINES) or "(no detail)"]
    lines = ["task:", first_lines(task.input, TASK_LINES)]
    if task.expected is not None:
        lines.append(f"expected: {clip(first_lines(str(task.expected), 1), ANSWER_CHARS)}")
    lines.append(f"answer: {clip(first_lines(run.output, 1), ANSWER_CHARS) or '(empty)'}")
    return lines


def format_examples(group: FailureGroup) -> str:
    """The group's examples: each task's first lines and the failure text, trimmed."""
    blocks = [
        "\n".join([f"--- example {number}", *_task_excerpt(item)])
        for number, item in enumerate(group.examples, 1)
    ]
    return "\n".join(blocks) + "\n"


def rejected_rules(ledger: Ledger, limit: int = REJECTED_SHOWN) -> str:
    """The most recently rejected edits' added text, one line each."""
    texts = [first_lines(e.edit.added_text(), 1) for e in ledger.recent(limit)]
    lines = [f"- {clip(text.removeprefix('- '), ANSWER_CHARS)}" for text in texts if text]
    return "\n".join(lines) + "\n" if lines else "(none)\n"


def _function_names(group: FailureGroup) -> list[str]:
    return [task.grader.entry_point for task, _, _ in group.examples if task.grader.entry_point]


async def propose_rules(
    models: MeteredModels, skill_text: str, results: list[Graded], *, max_edits: int, ledger: Ledger
) -> Proposal:
    """One optimizer call per failure group (largest first, at most ``max_edits``).

    A reply that repeats a rule the ledger already rejected is refused like an echo (a parse
    error) and the next group is asked in its place: the 1.5B optimizer, greedy, answered the
    largest group with the same rule at every step of a real run, so six of seven steps proposed
    nothing new."""
    groups = group_failures(results)
    body = split_skill_text(skill_text).body.rstrip("\n") + "\n"
    rejected = rejected_rules(ledger)
    edits: list[Edit] = []
    errors: list[str] = []
    asked = repeats = 0  # a group whose answer repeated a rejected rule does not count
    for group in groups:
        if asked - repeats >= max_edits:
            break
        asked += 1
        prompt = PROMPT.substitute(
            batch_size=len(results),
            count=group.count,
            signature=group.signature,
            meaning=group.meaning,
            skill=body,
            examples=format_examples(group),
            rejected=rejected,
        )
        reply = await models.complete([{"role": "user", "content": prompt}])
        try:
            rule = parse_rule(reply, forbidden_names=_function_names(group), echo_of=INSTRUCTIONS)
        except RuleParseError as exc:
            errors.append(f"{group.signature}: {exc}")
            continue
        edit = Edit("append", f"- {rule}")
        if edit in ledger:
            errors.append(f"{group.signature}: repeats a rule already rejected: {rule!r}")
            repeats += 1  # this group's answer is spent: ask the next one
            continue
        edits.append(edit)
    return Proposal(edits, errors, asked=asked)
