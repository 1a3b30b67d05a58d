"""Cairn's own focused repair call after a failing edit check (focused_repair.py).

Issue 13: the 0.5B model's corrective turns in the full agent context mostly returned the same
code; asked with only the function and its failing examples, the same model writes better code.
"""

from __future__ import annotations

import pytest

from cairn.server.agent import edit_check
from cairn.server.agent.edit_check import ExampleRun, Failure
from cairn.server.agent.focused_repair import MAX_CALLS, FocusedRepair, with_original_docstring
from cairn.server.agent.loop import Agent
from cairn.server.agent.model import SAMPLE_TEMPERATURE
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.context import FixedApprover, ToolContext
from tests.support.solution_agent import solution_agent

HEAD = '''def sort_numbers(numbers: str) -> str:
    """ Return the words sorted from zero to nine.
    >>> sort_numbers('three one five')
    'one three five'
    >>> sort_numbers('')
    ''
    """
'''
PROMPT = HEAD + "\n\ndef other():\n    return 1\n"
WRONG_BODY = "    return numbers.split()[0]\n"  # 0 of 2: 'three', then IndexError
HALF_BODY = "    return numbers\n"  # 1 of 2: '' passes
OTHER_HALF_BODY = "    return numbers.strip()\n"  # 1 of 2 as well, another text
RIGHT_BODY = (
    '    order = "zero one two three four five six seven eight nine".split()\n'
    "    return ' '.join(sorted(numbers.split(), key=order.index))\n"
)
REQUEST = "Complete the function `sort_numbers` in solution.py so that it satisfies its docstring."


def completed(body: str) -> str:
    return PROMPT.replace(HEAD, HEAD + body, 1)


def complete(body: str) -> dict:
    """The model's own edit that gives sort_numbers ``body``."""
    arguments = {
        "path": "solution.py",
        "old_text": '    """\n\n\ndef other',
        "new_text": '    """\n' + body + "\n\ndef other",
    }
    return {"tool_calls": [{"name": "propose_edit", "arguments": arguments}]}


def repaired(body: str) -> str:
    """A repair reply: the whole function, docstring kept, in one block."""
    return f"Here is the corrected function:\n\n```python\n{HEAD}{body}```\n"


def make_agent(root):
    return solution_agent(root, PROMPT, model="scripted/focused-repair")


def repair_requests(script: ScriptedModel) -> list[dict]:
    """Cairn's focused calls: a single message (the agent's calls start with its system prompt)."""
    return [r for r in script.requests if len(r["messages"]) == 1]


def shown(agent: Agent) -> str:
    return "".join(agent.observer.texts)  # type: ignore[attr-defined]  # a RecordingObserver


def statuses(agent: Agent) -> str:
    return "\n".join(agent.observer.statuses)  # type: ignore[attr-defined]  # a RecordingObserver


@pytest.mark.asyncio
async def test_a_repair_that_fixes_the_function_is_applied_and_the_answer_stands(tmp_path):
    agent = make_agent(tmp_path)
    with ScriptedModel(turns=[complete(WRONG_BODY), "Done.", repaired(RIGHT_BODY), "never asked"]) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Done." and result.steps == 2 and len(script.requests) == 3
    assert (tmp_path / "solution.py").read_text() == completed(RIGHT_BODY)
    # The first call holds only the function's signature and docstring, to be written anew:
    # no system prompt, tools, history, nor the failing code a small model would give back.
    (request,) = repair_requests(script)
    (message,) = request["messages"]
    assert message["role"] == "user" and request["tools"] is None and request["params"]["max_tokens"] == 768
    assert message["content"].startswith("Complete the following Python function.")
    assert HEAD.rstrip("\n") + "\n```" in message["content"]
    assert WRONG_BODY not in message["content"] and "def other" not in message["content"]
    assert "applied the version passing 2 of 2 examples (was 0)" in shown(agent)
    assert "2 of 2 pass" in shown(agent)
    # The edit is in the transcript as the propose_edit it was, with its result.
    history = await agent.conversation.history()
    (call,) = [
        m for m in history if m.get("tool_calls") and m["tool_calls"][0]["id"].startswith("cairn-repair")
    ]
    assert "focused repair of `sort_numbers`" in call["tool_calls"][0]["function"]["arguments"]


@pytest.mark.asyncio
async def test_a_worse_repair_is_not_kept(tmp_path):
    agent = make_agent(tmp_path)
    turns = [
        complete(HALF_BODY),
        "Done.",
        repaired(WRONG_BODY),  # the rewrite
        "No code this time.",  # the repair
        repaired(WRONG_BODY),  # the first sampled rewrite
        "No code.",  # the second
        "Done again.",
    ]
    with ScriptedModel(turns=turns) as script:
        result = await agent.run(REQUEST)
    # The rewrite passes 0 of 2 against the model's 1 of 2: never written. The second call shows
    # the best version (the model's) with its failures; the last two ask for the function anew
    # again, sampled; then the model gets its corrective turn on the file as it was.
    assert (tmp_path / "solution.py").read_text() == completed(HALF_BODY)
    first, second, third, fourth = repair_requests(script)
    assert HALF_BODY not in first["messages"][0]["content"]
    assert "temperature" not in first["params"] and "temperature" not in second["params"]
    for number, sampled in ((1, third), (2, fourth)):
        assert sampled["messages"] == first["messages"]
        assert (sampled["params"]["temperature"], sampled["params"]["seed"]) == (SAMPLE_TEMPERATURE, number)
    repair = second["messages"][0]["content"]
    assert HEAD + HALF_BODY.rstrip("\n") in repair and "def other" not in repair
    assert "`sort_numbers('three one five')` returned 'three one five', but the docstring expects" in repair
    assert result.text == "Done again." and result.steps == 3
    assert "passes 0 of 2 examples, not more: not kept" in statuses(agent)
    assert "no repair passed more examples, the code is as it was" in shown(agent)


@pytest.mark.asyncio
async def test_the_repair_stops_at_its_call_limit_and_keeps_the_best_version(tmp_path, monkeypatch):
    agent = make_agent(tmp_path)
    monkeypatch.setattr(edit_check, "MAX_CHECKS", 1)  # no corrective turn: the repair is all
    turns = [
        complete(WRONG_BODY),
        "Done.",
        repaired(HALF_BODY),
        repaired(OTHER_HALF_BODY),
        repaired(OTHER_HALF_BODY),
        "No code.",
        "never asked",
    ]
    with ScriptedModel(turns=turns) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Done." and len(repair_requests(script)) == MAX_CALLS == 4
    assert len(script.requests) == 2 + MAX_CALLS
    # The first repair passed more (1 of 2 against 0) and was applied; the others passed no
    # more than it and were not.
    assert (tmp_path / "solution.py").read_text() == completed(HALF_BODY)
    assert "applied the version passing 1 of 2 examples (was 0)" in shown(agent)


@pytest.mark.asyncio
async def test_a_sampled_rewrite_that_passes_the_examples_is_applied(tmp_path):
    """A greedy small model asked the same thing answers the same way: the later attempts are
    sampled, and the examples pick the one that passes them."""
    agent = make_agent(tmp_path)
    turns = [
        complete(WRONG_BODY),
        "Done.",
        repaired(WRONG_BODY),  # the rewrite gives the model's code back: nothing new
        "No code.",  # the repair
        repaired(RIGHT_BODY),  # the first sampled rewrite
        "never asked",
    ]
    with ScriptedModel(turns=turns) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Done." and len(repair_requests(script)) == 3
    assert (tmp_path / "solution.py").read_text() == completed(RIGHT_BODY)
    sampled = repair_requests(script)[2]
    assert (sampled["params"]["temperature"], sampled["params"]["seed"]) == (SAMPLE_TEMPERATURE, 1)
    assert "applied the version passing 2 of 2 examples (was 0)" in shown(agent)


@pytest.mark.asyncio
async def test_a_later_turn_that_makes_it_worse_gets_the_best_version_back(tmp_path):
    agent = make_agent(tmp_path)
    worse = {
        "tool_calls": [
            {
                "name": "propose_edit",
                "arguments": {"path": "solution.py", "old_text": HALF_BODY, "new_text": WRONG_BODY},
            }
        ]
    }
    turns = [
        complete(WRONG_BODY),  # 0 of 2
        "Done.",
        repaired(HALF_BODY),  # the rewrite: 1 of 2, applied
        "No code.",  # the repair call
        "No code.",  # two sampled rewrites
        "No code.",
        worse,  # the corrective turn makes it 0 of 2 again
        "Done again.",
        "Still no code.",  # the second check's repair call (the rewrite was asked already)
        "No code.",  # three sampled rewrites, with seeds not asked before
        "No code.",
        "No code.",
        "never asked",
    ]
    with ScriptedModel(turns=turns) as script:
        result = await agent.run(REQUEST)
    assert result.text == "Done again." and len(repair_requests(script)) == 8
    seeds = [r["params"].get("seed") for r in repair_requests(script)]
    assert seeds == [None, None, 1, 2, None, 3, 4, 5]
    assert (tmp_path / "solution.py").read_text() == completed(HALF_BODY)
    assert "brought back the version this run had before passing 1 of 2 examples (was 0)" in shown(agent)


@pytest.mark.asyncio
async def test_no_repair_when_commands_need_asking(tmp_path):
    (tmp_path / "solution.py").write_text(completed(WRONG_BODY))
    ctx = ToolContext.create(tmp_path, trusted=True, shell_policy="ask", approver=FixedApprover(True))
    failing = ExampleRun(
        "solution.py",
        ("sort_numbers",),
        examples=2,
        failed=1,
        failures=(
            Failure("sort_numbers", 3, "sort_numbers('three one five')", "'one three five'", "'three'"),
        ),
    )

    async def never(*args):
        raise AssertionError("a repair was attempted")

    runs = await FocusedRepair().repair(ctx, edit_check.EditCheck(), [failing], never, never, lambda s: None)
    assert runs == [failing]


def test_the_repair_shows_the_original_docstring_not_the_rewritten_one():
    rewritten = completed(WRONG_BODY).replace("'one three five'", "'three'")
    shown_text = with_original_docstring(rewritten, PROMPT, "sort_numbers")
    assert shown_text == HEAD + WRONG_BODY
    dropped = PROMPT.replace(HEAD, "def sort_numbers(numbers: str) -> str:\n" + WRONG_BODY, 1)
    assert with_original_docstring(dropped, PROMPT, "sort_numbers") == HEAD + WRONG_BODY
    assert with_original_docstring(dropped, PROMPT, "missing") is None
