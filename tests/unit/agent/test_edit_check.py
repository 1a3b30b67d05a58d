"""Cairn runs the changed definitions' docstring examples after an edit (edit_check.py).

Issue 13: on HumanEval with the embedded 0.5B model the agent ran the docstring's examples on
none of 23 problems; its code was worse than the bare model's and nothing told it so.
"""

from __future__ import annotations

import pytest

from cairn.server.agent import edit_check
from cairn.server.agent.edit_check import (
    EditCheck,
    ExampleRun,
    Failure,
    Target,
    example_targets,
    run_examples,
)
from cairn.server.agent.focused_repair import MAX_CALLS
from cairn.server.agent.loop import Agent
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.base import ToolResult
from cairn.server.agent.tools.context import FixedApprover, ToolContext
from tests.support.solution_agent import solution_agent

PROMPT = '''def sort_numbers(numbers: str) -> str:
    """ Return the words sorted from zero to nine.
    >>> sort_numbers('three one five')
    'one three five'
    >>> sort_numbers('')
    ''
    """


def first(words: str) -> str:
    """
    >>> first('a b')
    'b'
    """
    return words.split()[0]
'''
WRONG_BODY = "    return numbers.split()[0]\n"
RIGHT_BODY = (
    '    order = "zero one two three four five six seven eight nine".split()\n'
    "    return ' '.join(sorted(numbers.split(), key=order.index))\n"
)
REQUEST = "Complete the function `sort_numbers` in solution.py so that it satisfies its docstring."


# Cairn's focused repair calls (focused_repair.py: a rewrite, a repair, sampled rewrites) answered
# with no code: these tests are about the check and the model's corrective turn, which follow a
# repair that changed nothing.
NO_REPAIR = "I do not see what is wrong."
NO_REPAIRS = [NO_REPAIR] * MAX_CALLS


def completed(body: str) -> str:
    return PROMPT.replace('    \'\'\n    """\n', '    \'\'\n    """\n' + body, 1)


# ---- which examples: only the changed definitions' ---------------------------------------------


def test_only_the_changed_definitions_examples_are_run():
    before = PROMPT + "\n\ndef helper():\n    return 1\n"
    after = completed(WRONG_BODY).replace("return 1", "return 2") + (
        '\n\nclass Added:\n    def m(self):\n        """\n        >>> Added().m()\n        3\n        """\n'
    )
    targets = example_targets(before, after)
    # `first` has failing examples but did not change: not the model's to fix; `helper` changed
    # but has no examples; the new class's method is run under its qualified name.
    assert [t.name for t in targets] == ["sort_numbers", "Added.m"]
    assert targets[0].line == 2 and ">>> sort_numbers('three one five')" in targets[0].docstring


def test_a_definition_that_lost_its_examples_is_checked_against_the_ones_it_had():
    rewritten = PROMPT.split("\n\n\n")[0]
    after = PROMPT.replace(rewritten, "def sort_numbers(numbers: str) -> str:\n" + WRONG_BODY.rstrip())
    (target,) = example_targets(PROMPT, after)
    assert target.name == "sort_numbers" and target.line is None  # its line is in the old text
    assert "'one three five'" in target.docstring


def test_a_docstring_the_model_rewrote_is_checked_against_its_original_examples():
    # The 0.5B model rewrote `'one three five'` into what its code returned.
    after = completed(WRONG_BODY).replace("'one three five'", "'three'")
    (target,) = example_targets(PROMPT, after)
    assert target.line is None and "'one three five'" in target.docstring
    (same,) = example_targets(PROMPT, completed(WRONG_BODY))  # docstring kept: its lines are known
    assert same.line == 2


PROSE = """def find_max(words):
    \"\"\"Return the word with the most unique characters.

    find_max(["name", "of", "string"]) == "string"
    find_max(["aaaaaaa", "bb" ,"cc"]) == ""aaaaaaa"
    * find_max(["a", "b"]) => 'a'
    \"\"\"
"""


def test_examples_written_as_prose_are_run_by_value():
    after = PROSE + "    return max(words, key=len)\n"
    (target,) = example_targets(PROSE, after)
    assert target.by_value and target.line is None
    assert (
        target.docstring
        == '>>> find_max(["name", "of", "string"])\n\'string\'\n>>> find_max(["a", "b"])\n\'a\'\n'
    )


def test_a_change_that_breaks_the_syntax_runs_the_old_examples_to_say_so():
    broken = completed("    return (\n")
    assert {t.name for t in example_targets(PROMPT, broken)} == {"sort_numbers", "first"}
    assert example_targets(PROMPT, PROMPT) == []


def test_only_python_files_changed_by_an_edit_tool_are_noted():
    check = EditCheck()
    edit = ToolResult("Applied.", data={"path": "a.py", "status": "applied", "before": "x = 1\n"})
    check.observe(True, ToolResult("failed", True, {"path": "b.py", "before": ""}))
    check.observe(False, ToolResult("read", data={"path": "c.py", "before": ""}))
    check.observe(True, ToolResult("ran", data={"command": "ls"}))
    check.observe(True, ToolResult("Applied.", data={"path": "notes.md", "before": ""}))
    check.observe(True, edit)
    check.observe(True, ToolResult("Applied.", data={"path": "a.py", "before": "x = 2\n"}))
    assert check.pending == {"a.py"} and check.baseline == {"a.py": "x = 1\n"}  # the first before


# ---- what the model and the user are told ------------------------------------------------------

RUN = ExampleRun(
    "solution.py",
    ("sort_numbers",),
    examples=2,
    failed=2,
    failures=(
        Failure("sort_numbers", 3, "sort_numbers('three one five')", "'one three five'", got="'three'"),
        Failure("sort_numbers", 5, "sort_numbers('')", "''", raised="IndexError: list index out of range"),
    ),
)


def test_the_note_names_each_failing_example_with_expected_and_got():
    check = EditCheck(checks=1)
    note = check.correction([RUN], answer_code_applies=True)
    assert note is not None
    assert "Cairn ran the docstring examples of `sort_numbers` in solution.py: 2 of 2 fail." in note
    # Said as plainly as a 0.5B model needs it: the call, what it gave, what the docstring
    # expects; and to change the body, not the docstring (3 of 5 corrective turns on HumanEval
    # gave the same code back with rewritten examples).
    assert (
        "`sort_numbers('three one five')` returned 'three', but the docstring expects 'one three five'"
        in note
    )
    assert "`sort_numbers('')` raised IndexError: list index out of range; the docstring expects ''" in note
    assert "Change the body of `sort_numbers`" in note
    assert "keep its signature and its docstring as they are" in note
    assert "propose_edit" in note and "```python block" in note
    assert "```python" not in (check.correction([RUN], answer_code_applies=False) or "")
    shown = check.shown([RUN], asking=True)
    assert "2 of 2 fail (`sort_numbers('three one five')`: expected 'one three five', got 'three')" in shown
    assert "asking the model to fix it" in shown


def test_no_note_when_everything_passes_or_no_check_is_left():
    passed = ExampleRun("solution.py", ("sort_numbers",), examples=2)
    assert EditCheck(checks=1).correction([passed], answer_code_applies=True) is None
    assert "2 of 2 pass" in EditCheck(checks=1).shown([passed], asking=False)
    assert EditCheck(checks=edit_check.MAX_CHECKS).correction([RUN], answer_code_applies=True) is None
    broken = ExampleRun(
        "solution.py", ("f",), error="SyntaxError: '(' was never closed (solution.py, line 9)"
    )
    note = EditCheck(checks=1).correction([broken], answer_code_applies=False) or ""
    assert "solution.py does not run: SyntaxError: '(' was never closed (solution.py, line 9)" in note


# ---- the run itself, in the sandbox ------------------------------------------------------------


@pytest.mark.asyncio
async def test_examples_run_on_the_text_given_and_report_expected_and_got(tmp_path, monkeypatch):
    (tmp_path / "solution.py").write_text(PROMPT)  # the disk still holds the prompt
    ctx = ToolContext.create(tmp_path, trusted=True, shell_policy="allow")
    text = completed(WRONG_BODY + "\n\nprint('CAIRN-EXAMPLES-0000:{\"examples\": 9}')\n")
    run = await run_examples(ctx, "solution.py", text, example_targets(PROMPT, text))
    assert (run.examples, run.failed, run.error, run.unchecked) == (2, 2, None, None)
    first, second = run.failures
    assert (first.line, first.source, first.expected, first.got) == (
        3,
        "sort_numbers('three one five')",
        "'one three five'",
        "'three'",
    )
    assert second.line == 5 and second.raised == "IndexError: list index out of range (solution.py, line 8)"
    monkeypatch.setattr(edit_check, "EXAMPLE_SECONDS", 0.5)
    looping = completed("    while True:\n        pass\n")
    run = await run_examples(ctx, "solution.py", looping, example_targets(PROMPT, looping))
    assert run.failed == 2 and "ran too long" in (run.failures[0].raised or "")


@pytest.mark.asyncio
async def test_prose_examples_compare_values_not_their_spelling(tmp_path):
    ctx = ToolContext.create(tmp_path, trusted=True, shell_policy="allow")
    text = PROSE + "    if len(words) == 2:\n        return None\n    return [max(words, key=len)][0]\n"
    run = await run_examples(ctx, "solution.py", text, example_targets(PROSE, text))
    assert (run.examples, run.failed, run.error) == (2, 1, None)
    (failure,) = run.failures
    assert (failure.source, failure.expected, failure.got) == ('find_max(["a", "b"])', "'a'", "None")
    spaced = Target("f", ">>> f()\n[1,2]\n", None, by_value=True)
    run = await run_examples(ctx, "f.py", "def f():\n    return [1, 2]\n", [spaced])
    assert run.passed


# ---- in the agent loop (scripted model, real tools, real sandboxed runs) ------------------------


def make_agent(root, *, trusted=True, shell_policy="allow", approver=None):
    return solution_agent(
        root,
        PROMPT,
        model="scripted/edit-check",
        trusted=trusted,
        shell_policy=shell_policy,
        approver=approver,
    )


def edit(old: str, new: str) -> dict:
    arguments = {"path": "solution.py", "old_text": old, "new_text": new}
    return {"tool_calls": [{"name": "propose_edit", "arguments": arguments}]}


def complete(body: str) -> dict:
    """The model's own edit that gives sort_numbers ``body``."""
    return edit('    \'\'\n    """\n\n\ndef first', '    \'\'\n    """\n' + body + "\n\ndef first")


def counting_runs(monkeypatch) -> list[list[Target]]:
    """Every check the loop runs (each still runs for real)."""
    runs: list[list[Target]] = []
    real = edit_check.run_examples

    async def recorded(ctx, path, text, targets):
        runs.append(targets)
        return await real(ctx, path, text, targets)

    monkeypatch.setattr(edit_check, "run_examples", recorded)
    return runs


def shown(agent: Agent) -> str:
    return "".join(agent.observer.texts)  # type: ignore[attr-defined]  # a RecordingObserver


@pytest.mark.asyncio
async def test_failing_examples_give_the_model_a_turn_with_expected_and_got(tmp_path, monkeypatch):
    agent = make_agent(tmp_path)
    runs = counting_runs(monkeypatch)
    fix = edit(WRONG_BODY, RIGHT_BODY)
    with ScriptedModel(turns=[complete(WRONG_BODY), "Done.", *NO_REPAIRS, fix, "Fixed."]) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Fixed." and result.steps == 4 and len(runs) == 2
    note = script.requests[2 + MAX_CALLS]["messages"][-1]["content"]
    assert "2 of 2 fail" in note and "returned 'three', but the docstring expects 'one three five'" in note
    assert "raised IndexError: list index out of range (solution.py, line 8)" in note
    assert "`first`" not in note  # unchanged: its failing example is not the model's
    assert "asking the model to fix it" in shown(agent) and "2 of 2 pass" in shown(agent)
    assert (tmp_path / "solution.py").read_text() == completed(RIGHT_BODY)


@pytest.mark.asyncio
async def test_passing_examples_end_the_run_with_no_extra_turn(tmp_path, monkeypatch):
    agent = make_agent(tmp_path)
    runs = counting_runs(monkeypatch)
    with ScriptedModel(turns=[complete(RIGHT_BODY), "Done."]) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Done." and result.steps == 2 and len(script.requests) == 2 and len(runs) == 1
    assert "[Cairn: ran the docstring examples of `sort_numbers` in solution.py: 2 of 2 pass.]" in shown(
        agent
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("trusted, policy", [(False, "allow"), (True, "ask"), (True, "deny")])
async def test_nothing_runs_unless_commands_may_run_without_asking(tmp_path, monkeypatch, trusted, policy):
    approver = FixedApprover(True)
    agent = make_agent(tmp_path, trusted=trusted, shell_policy=policy, approver=approver)

    async def never(*args, **kwargs):
        raise AssertionError("the check ran a process")

    monkeypatch.setattr(edit_check, "run_confined", never)
    with ScriptedModel(turns=[complete(WRONG_BODY), "Done."]):
        result = await agent.run(REQUEST)
    assert result.steps == 2 and approver.requests == []  # nobody was asked either
    assert "docstring examples" not in shown(agent)


@pytest.mark.asyncio
async def test_at_most_two_checks_and_one_corrective_turn(tmp_path, monkeypatch):
    agent = make_agent(tmp_path)
    runs = counting_runs(monkeypatch)
    still_wrong = "    return numbers.split()[-1]\n"
    turns = [
        complete(WRONG_BODY),
        "Done.",
        *NO_REPAIRS,
        edit(WRONG_BODY, still_wrong),
        "Done again.",
        *NO_REPAIRS,  # the second check's: the new code's repair and sampled rewrites
        "never asked",
    ]
    with ScriptedModel(turns=turns) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Done again." and result.steps == 4 and len(script.requests) == 4 + 2 * MAX_CALLS
    assert len(runs) == 2
    assert "Cairn stops checking here" in shown(agent)


@pytest.mark.asyncio
async def test_code_cairn_applied_from_the_answer_is_checked_with_one_note(tmp_path, monkeypatch):
    agent = make_agent(tmp_path)
    runs = counting_runs(monkeypatch)
    head = "```python\ndef sort_numbers(numbers: str) -> str:\n"
    wrong, right = head + WRONG_BODY + "```", head + RIGHT_BODY + "```"
    with ScriptedModel(turns=[wrong, *NO_REPAIRS, right]) as script:
        result = await agent.run(REQUEST)
    # The answer's code is applied and checked against the examples it dropped; one note for
    # both; the corrected code is applied, its check passes and the run ends.
    assert result.steps == 2 and len(runs) == 2 and all(t.line is None for t in runs[0])
    note = script.requests[1 + MAX_CALLS]["messages"][-1]["content"]
    assert note.startswith("Cairn put the code from your answer into solution.py (`sort_numbers`;")
    assert "returned 'three'" in note and "run that check now" not in note
    assert "' '.join(sorted(numbers.split(), key=order.index))" in (tmp_path / "solution.py").read_text()


@pytest.mark.asyncio
async def test_after_a_failed_check_corrected_code_in_the_answer_is_applied_even_after_own_edits(
    tmp_path, monkeypatch
):
    agent = make_agent(tmp_path)
    right = "```python\ndef sort_numbers(numbers: str) -> str:\n" + RIGHT_BODY + "```"
    with ScriptedModel(turns=[complete(WRONG_BODY), "Done.", *NO_REPAIRS, right]):
        result = await agent.run(REQUEST)
    assert result.steps == 3 and "2 of 2 pass" in shown(agent)
    assert "key=order.index" in (tmp_path / "solution.py").read_text()


@pytest.mark.asyncio
async def test_a_change_request_answered_with_nothing_changed_checks_the_named_definition(
    tmp_path, monkeypatch
):
    # HumanEval/11 on the 0.5B model: it answered with the prompt as it was (no body), nothing
    # was applied, nothing checked, and the run ended with the function unwritten.
    agent = make_agent(tmp_path)
    runs = counting_runs(monkeypatch)
    stub = "```python\n" + PROMPT.split("\n\n\n")[0] + "\n```"
    right = "```python\ndef sort_numbers(numbers: str) -> str:\n" + RIGHT_BODY + "```"
    with ScriptedModel(turns=[stub, *NO_REPAIRS, right]) as script:
        result = await agent.run(REQUEST)
    assert result.steps == 2 and len(runs) == 2
    assert [t.name for t in runs[0]] == ["sort_numbers"]  # `first` is not named by the request
    note = script.requests[1 + MAX_CALLS]["messages"][-1]["content"]
    assert "`sort_numbers('three one five')` returned None" in note
    assert "key=order.index" in (tmp_path / "solution.py").read_text()


@pytest.mark.asyncio
async def test_no_unchanged_check_for_a_question(tmp_path, monkeypatch):
    agent = make_agent(tmp_path)
    runs = counting_runs(monkeypatch)
    with ScriptedModel(turns=["It sorts number words."]):
        result = await agent.run("What does `sort_numbers` in solution.py do?")
    assert result.steps == 1 and runs == []
