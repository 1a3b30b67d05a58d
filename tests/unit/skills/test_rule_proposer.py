"""The rules proposer: one short call per failure group up to the edit limit, one rule per reply,
read out of messy small-model replies; code, over-long and task-specific replies refused."""

from __future__ import annotations

import pytest

from cairn.skills.optimize.budget import Budget
from cairn.skills.optimize.cache import ResponseCache
from cairn.skills.optimize.edits import Edit
from cairn.skills.optimize.graders import Grade
from cairn.skills.optimize.ledger import Ledger, Rejection
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.ports import RunResult, Usage
from cairn.skills.optimize.rule_proposer import propose_rules
from cairn.skills.optimize.rule_reply import MAX_RULE_WORDS, RuleParseError, parse_rule
from cairn.skills.optimize.simulated import SimulatedOptimizer, SimulatedTarget

from .conftest import skill_text
from .test_failure_groups import ASSERTION, NAME_ERROR, TIMED_OUT, failed, he_task

RULE = "Import every module the function uses at the top of the code."


@pytest.mark.parametrize(
    "reply",
    [
        RULE,
        f"- {RULE}",
        f"* {RULE}\n* Check edge cases.",  # only the first rule counts
        f"1. {RULE}",
        f'"{RULE}"',
        f'"{RULE[:-1]}".',
        f"“{RULE}”",
        f"Rule: {RULE}",
        f"**New instruction:** {RULE}",
        f"Sure! Here is a new instruction for the skill:\n\n1. **{RULE}**",
        f"Here's one rule that would prevent this failure:\n- {RULE}\n\nIt helps because ...",
        f"```\n{RULE}\n```",
        f"```text\n- {RULE}\n```",
        f"\n\n   {RULE[:-1]}   \n",  # no full stop: one is added
        f"New instruction: {RULE}\n\nThis keeps the agent from failing this way.",
        "import every module the function uses at the top of the code.\n",  # lower case: capitalised
    ],
)
def test_a_rule_is_read_out_of_messy_replies(reply):
    assert parse_rule(reply) == RULE


def test_a_rule_phrased_as_a_rule_about_the_skill_is_the_rule_itself():
    # The 1.5B optimizer's reply in a real HumanEval run.
    reply = "Add a new rule to the skill that ensures the function handles negative numbers correctly."
    assert parse_rule(reply) == "Ensure the function handles negative numbers correctly."
    assert parse_rule("Add a rule that requires that every helper is defined before use.") == (
        "Ensure every helper is defined before use."
    )


@pytest.mark.parametrize(
    "reply, reason",
    [
        ("", "holds no instruction"),
        ("Sure! Here is the rule:\n\n", "holds no instruction"),
        ("```python\ndef sort_array(arr):\n    return sorted(arr)\n```", "python code block"),
        ("def sort_array(arr):\n    return sorted(arr)", "code, not an instruction"),
        ("Here is the fix:\nreturn sorted(arr, key=abs)", "code, not an instruction"),
        ("Use `sorted(arr)` instead of a loop.", "code, not an instruction"),
        ("Always check that len(arr) > 0 first.", "code, not an instruction"),
        ("Make sure result == expected before returning.", "code, not an instruction"),
        ("Be careful.", "too short"),
        (" ".join(["Always"] + ["check"] * MAX_RULE_WORDS) + ".", "too long"),
        ("Sort the values in sort_array before returning them.", "names 'sort_array'"),
    ],
)
def test_code_empty_over_long_and_task_specific_replies_are_refused(reply, reason):
    with pytest.raises(RuleParseError, match=reason):
        parse_rule(reply, forbidden_names=["sort_array"])


def test_plain_words_that_happen_to_be_a_function_name_are_not_refused():
    # HumanEval has functions named "median" and "add": honest rules use those words too.
    assert parse_rule("Add a check for the median of an empty list.", forbidden_names=["median", "add"])


class ScriptedOptimizer:
    """Answers each proposal call with the next scripted reply and keeps the prompts."""

    def __init__(self, replies: list[str]) -> None:
        self.replies, self.prompts = list(replies), []

    async def complete(self, messages, *, max_tokens=None):
        self.prompts.append(messages[-1]["content"])
        return self.replies.pop(0)


def metered(optimizer) -> MeteredModels:
    return MeteredModels(
        object(),  # the rules proposer never runs the target
        optimizer,
        cache=ResponseCache(None),
        budget=Budget(),
        target_name="t",
        optimizer_name="o",
        target_max_tokens=64,
        optimizer_max_tokens=64,
    )


SKILL = skill_text("coder", body="# Coding\n- Reply with the whole function.\n")


def batch():
    passed = (he_task(20), RunResult("```python\nok\n```", Usage()), Grade(True))
    return [
        failed(1, ASSERTION),
        failed(2, NAME_ERROR),
        failed(3, ASSERTION),
        failed(4, TIMED_OUT),
        failed(5, ASSERTION),
        failed(6, NAME_ERROR),
        failed(7, ASSERTION),
        passed,
    ]


async def test_one_call_per_largest_group_up_to_the_limit_each_one_rule():
    optimizer = ScriptedOptimizer(
        [
            "Sure! Here is a new instruction:\n\n- Trace the examples in the docstring before answering.",
            "```python\nimport math\n```",
            "never reached: the limit is two groups",
        ]
    )
    ledger = Ledger([Rejection(1, Edit("append", "- Think harder."), "gate: no gain")])
    proposal = await propose_rules(metered(optimizer), SKILL, batch(), max_edits=2, ledger=ledger)
    assert len(optimizer.prompts) == 2 and proposal.asked == 2
    first, second = optimizer.prompts
    assert first.startswith("Task: propose-rule\n")  # the simulated optimizer dispatches on it
    assert "In a batch of 8 tasks, 4\nfailed the same way: AssertionError" in first
    assert "NameError" in second and "2\nfailed" in second  # the next largest group
    assert first.count("--- example") == 3 and "def sort_array(arr):" in first
    assert "assert candidate([5, 2]) == [2, 5]" in first and "^^^" not in first  # trimmed
    assert "- Reply with the whole function." in first and "name: coder" not in first  # body only
    assert "- Think harder." in first  # the rejected rules are shown
    assert proposal.edits == [Edit("append", "- Trace the examples in the docstring before answering.")]
    assert proposal.errors == ["NameError: the reply is a python code block, not an instruction"]


async def test_a_reply_that_repeats_the_requests_own_wording_is_no_rule():
    """The embedded 0.5B optimizer's first real HumanEval step answered with the prompt's closing
    lines; gated, it was a neutral rule (2 wins, 2 losses), then re-proposed at every step."""
    echo = (
        "No code, no function or variable names, nothing copied from the examples. Do not repeat an "
        "instruction already in the skill or one that was rejected."
    )
    optimizer = ScriptedOptimizer([echo, "- Check the empty list before you index into it."])
    proposal = await propose_rules(metered(optimizer), SKILL, batch(), max_edits=2, ledger=Ledger())
    assert proposal.edits == [Edit("append", "- Check the empty list before you index into it.")]
    assert len(proposal.errors) == 1 and "repeats the request's own wording" in proposal.errors[0]
    # An honest rule that shares a few words with the request is kept.
    assert parse_rule("Use no print statements in the code.", echo_of="no code, no prints") == (
        "Use no print statements in the code."
    )
    # Word pairs are whole words: "in the" is not found inside "within the".
    assert parse_rule("Check in the docstring first.", echo_of="within the docstring first") == (
        "Check in the docstring first."
    )


async def test_no_failures_no_calls():
    optimizer = ScriptedOptimizer([])
    passed = [(he_task(1), RunResult("ok", Usage()), Grade(True))]
    proposal = await propose_rules(metered(optimizer), SKILL, passed, max_edits=3, ledger=Ledger())
    assert optimizer.prompts == [] and proposal.asked == 0 and proposal.edits == []


async def test_the_simulated_optimizer_answers_with_a_rule_for_the_failing_family(small_world):
    world, tasks, skill = small_world
    target = SimulatedTarget(world, noise=0.0)
    family = tasks[0].family
    batch_ = [t for t in tasks if t.family == family and t.meta["needs"]][:4]
    graded = []
    for task in batch_:
        run = await target.run(skill, task)
        graded.append((task, run, Grade(False, "output is not exactly the expected text")))
    helpful = next(r for r in world.of_kind("helpful") if family in r.families)
    proposals = [
        await propose_rules(
            metered(SimulatedOptimizer(world, seed=seed)), skill, graded, max_edits=1, ledger=Ledger()
        )
        for seed in range(12)
    ]
    texts = [e.text for p in proposals for e in p.edits]
    assert helpful.text in texts  # its world's helpful rule for the failing family, parsed
    assert all(p.asked == 1 and len(p.edits) + len(p.errors) == 1 for p in proposals)
    others = [r.text for r in world.of_kind("helpful") if family not in r.families]
    assert not set(texts) & set(others)  # never another family's rule


async def test_a_reply_repeating_a_rejected_rule_gives_its_turn_to_the_next_group():
    """A real run's 1.5B optimizer answered the largest group with the same rule at every step;
    after the gate refused it once, each later step proposed nothing new."""
    repeat = "Handle negative numbers correctly in every function."
    optimizer = ScriptedOptimizer([repeat, "Define every helper function before you call it."])
    ledger = Ledger([Rejection(1, Edit("append", f"- {repeat}"), "gate: no significant win")])
    proposal = await propose_rules(metered(optimizer), SKILL, batch(), max_edits=1, ledger=ledger)
    assert proposal.asked == 2 and "NameError" in optimizer.prompts[1]  # the next largest group
    assert proposal.edits == [Edit("append", "- Define every helper function before you call it.")]
    assert proposal.errors == [f"AssertionError: repeats a rule already rejected: {repeat!r}"]
