"""bench/humaneval_agent.py end to end on two HumanEval problems, with a scripted model behind a
real OpenAI-compatible endpoint instead of the embedded one: each agent run is a real `cairn ask
--apply --trust` process that reads solution.py, writes a body with propose_edit and runs the
doctest (which must see the written file); the hidden tests grade. A right body passes and a
wrong one fails, in both arms, and the summary pairs them."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import sys
from pathlib import Path

import pytest

from cairn import sandbox
from cairn.skills.optimize import humaneval
from tests.support.fake_openai import FakeOpenAI, Plan

NO_SANDBOX = "no Landlock: HumanEval code is never run unconfined"
pytestmark = [pytest.mark.asyncio, pytest.mark.skipif(sandbox.landlock_abi() < 1, reason=NO_SANDBOX)]

REPO = Path(__file__).resolve().parents[2]
AGENT_RIGHT = "HumanEval/0"  # the agent writes the canonical body, the bare answer is wrong
BARE_RIGHT = "HumanEval/2"  # the agent writes a wrong body, the bare answer is canonical
DOCTEST = "python -m doctest -v solution.py"
NARRATIVE = "The session continues the user's task."


def installed_problems() -> dict[str, dict]:
    try:
        path = humaneval.data_path()
    except humaneval.TaskSetUnavailable as exc:
        pytest.skip(f"the HumanEval data package is not installed: {exc}")
    problems = (json.loads(line) for line in gzip.open(path, "rt"))
    return {p["task_id"]: p for p in problems if p["task_id"] in (AGENT_RIGHT, BARE_RIGHT)}


def wrong_body(problem: dict) -> str:
    return "    return 0\n" if problem["task_id"] == AGENT_RIGHT else "    return number\n"


class ScriptedSolver:
    """Answers each request from what it holds: the bare arm's one question, memory's background
    work, or the agent's next step (read solution.py, edit it, run the doctest, answer)."""

    def __init__(self, problems: dict[str, dict]) -> None:
        self.problems = problems

    def _problem_in(self, text: str) -> dict:
        return next(p for p in self.problems.values() if f"def {p['entry_point']}(" in text)

    def __call__(self, body: dict) -> Plan:
        messages = body.get("messages") or []
        if not body.get("tools"):
            question = str(messages[-1].get("content") or "")
            focused = "does not do what its docstring's examples say" in question
            if not question.startswith("Complete the following Python function") and not focused:
                return Plan(chunks=[NARRATIVE])
            problem = self._problem_in(question)
            if problem["prompt"] not in question:
                # Cairn's own focused call after a failing check (agent/focused_repair.py), not
                # the bare arm's question: the agent's model gives its own body back.
                right = problem["task_id"] == AGENT_RIGHT
            else:
                right = problem["task_id"] == BARE_RIGHT
            body_text = problem["canonical_solution"] if right else wrong_body(problem)
            return Plan(chunks=[f"```python\n{problem['prompt']}{body_text}```\n"])
        results = [str(m.get("content") or "") for m in messages if m.get("role") == "tool"]
        if not results:
            return self._call("read_file", path="solution.py")
        if len(results) == 1:
            problem = self._problem_in(results[0])
            tail = "".join(problem["prompt"].splitlines(keepends=True)[-3:])  # the docstring's end
            right = problem["task_id"] == AGENT_RIGHT
            new_body = problem["canonical_solution"] if right else wrong_body(problem)
            return self._call("propose_edit", path="solution.py", old_text=tail, new_text=tail + new_body)
        if len(results) == 2:
            return self._call("run_command", command=DOCTEST)
        return Plan(chunks=["Done."])

    @staticmethod
    def _call(name: str, **arguments: str) -> Plan:
        return Plan(chunks=[], tool_calls=[{"name": name, "arguments": arguments}], finish="tool_calls")


async def bench(fake_openai: FakeOpenAI, out: Path, *extra: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "CAIRN_MODEL": "openai/fake-model",
        "CAIRN_API_BASE": fake_openai.api_base,
        "CAIRN_API_KEY": "sk-placeholder-key-0000000000",
        "CAIRN_ACTION_PROTOCOL": "native",  # an unknown model would get JSON actions
        "CAIRN_REQUEST_TIMEOUT": "30",
        "CAIRN_LOCAL_MODEL": "off",  # never the embedded model, whatever is misconfigured
    }
    only = f"{AGENT_RIGHT},{BARE_RIGHT}"
    argv = [sys.executable, str(REPO / "bench" / "humaneval_agent.py"), "--only", only, "--out", str(out)]
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        *argv, "--timeout", "120", *extra, env=env, stdout=pipe, stderr=pipe
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def test_the_agent_arm_passes_a_right_body_and_fails_a_wrong_one(fake_openai, tmp_path):
    fake_openai.router = ScriptedSolver(installed_problems())
    out = tmp_path / "results.jsonl"
    code, stdout, stderr = await bench(fake_openai, out)
    assert code == 0, stderr + stdout

    rows = {(r["task"], r["arm"]): r for r in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == {(t, a) for t in (AGENT_RIGHT, BARE_RIGHT) for a in ("bare", "agent")}
    assert rows[AGENT_RIGHT, "agent"]["passed"] and not rows[BARE_RIGHT, "agent"]["passed"]
    assert rows[BARE_RIGHT, "bare"]["passed"] and not rows[AGENT_RIGHT, "bare"]["passed"]
    assert "AssertionError" in rows[BARE_RIGHT, "agent"]["failure"]
    for task in (AGENT_RIGHT, BARE_RIGHT):
        agent = rows[task, "agent"]
        # Cairn runs the changed function's examples after the answer (agent/edit_check.py): the
        # wrong body fails them and the model gets one more turn; the right one ends at its answer.
        steps = 4 if task == AGENT_RIGHT else 5
        assert agent["exit"] == 0 and agent["steps"] == steps and not agent["timed_out"], agent["stderr_tail"]
        assert any(a.startswith("run_command") for a in agent["actions"]), agent["actions"]

    # The doctest ran on the file as written (write-through): it passed for the right body only.
    ran = [
        str(m.get("content"))
        for r in fake_openai.requests
        for m in r.body.get("messages", [])
        if m.get("role") == "tool" and DOCTEST in str(m.get("content"))
    ]
    assert any("exit code 0" in t and "has_close_elements" in t for t in ran), ran
    assert any("exit code 1" in t and "truncate_number" in t for t in ran), ran

    assert f"only agent passes: 1 ({AGENT_RIGHT})" in stdout
    assert f"only bare passes: 1 ({BARE_RIGHT})" in stdout
    assert "difference +0.000 (agent - bare)" in stdout and "p = 1.000" in stdout

    # A second run refuses to overwrite; --resume finds everything done and asks no model.
    asked = len(fake_openai.requests)
    code, _, stderr = await bench(fake_openai, out)
    assert code == 2 and "--resume" in stderr
    code, again, _ = await bench(fake_openai, out, "--resume")
    assert code == 0 and len(fake_openai.requests) == asked
    assert f"only agent passes: 1 ({AGENT_RIGHT})" in again
