"""`cairn skills eval`: both arms on the same tasks, paired, with a scripted model (no network,
no key), on a small execution-graded task set; and the HumanEval adapter."""

from __future__ import annotations

import gzip
import json

import pytest

from cairn import sandbox
from cairn.skills.errors import SkillError
from cairn.skills.optimize import humaneval
from cairn.skills.optimize.paired_eval import select_tasks
from cairn.skills.optimize.stats import sign_test_two_sided, wilson_interval
from cairn.skills.optimize.tasks import parse_task
from cairn.skills.optimize.tasksets import load_task_set
from tests.support.coder import RULE, ScriptedCoder, write_tasks

from .conftest import write_skill
from .test_cli import run_skills

needs_landlock = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="no Landlock: code is never run unconfined"
)


def skills(tmp_path):
    ruled = write_skill(
        tmp_path, "edge-first", description="Edge cases first. Use for code.", body=f"- {RULE}\n"
    )
    plain = write_skill(tmp_path, "plain", description="Be brief. Use for code.", body="- Be brief.\n")
    return ruled, plain


@needs_landlock
def test_eval_against_no_skill_prints_both_arms_the_flips_and_the_cost(tmp_path, capsys):
    tasks = write_tasks(tmp_path / "tasks.jsonl")
    ruled, _ = skills(tmp_path)
    record = tmp_path / "record.jsonl"
    argv = ["skills", "eval", str(ruled), "--tasks", str(tasks), "--without", "--record", str(record)]
    code = run_skills(argv, model_factory=ScriptedCoder)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = captured.out
    assert "edge-first    5/6    0.833" in out and "without       1/6    0.167" in out
    low, high = wilson_interval(5, 6)
    assert f"[{low:.3f}, {high:.3f}]" in out
    assert "only edge-first passes: 5 (first_1, first_2, first_3, first_4, first_5)" in out
    assert "only without passes: 1 (first_0)" in out
    assert f"p = {sign_test_two_sided(5, 1):.3f}" in out
    assert "cost: 12 model calls, 324 tokens (240 prompt, 84 completion)" in out
    assert "[6/6] passed: edge-first 5, without 1" in captured.err
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(rows) == 12 and sum(r["passed"] for r in rows) == 6
    failed = next(r for r in rows if r["task"] == "first_0" and r["arm"] == "edge-first")
    assert not failed["passed"] and "IndexError" in failed["detail"] and "```python" in failed["output"]


@needs_landlock
def test_eval_against_another_skill_as_json_with_a_seeded_sample(tmp_path, capsys):
    tasks = write_tasks(tmp_path / "tasks.jsonl")
    ruled, plain = skills(tmp_path)
    argv = ["skills", "eval", str(ruled), "--tasks", str(tasks), "--against", str(plain), "--json"]
    assert run_skills(argv + ["--limit", "3", "--seed", "4"], model_factory=ScriptedCoder) == 0
    report = json.loads(capsys.readouterr().out)
    sample = [t.id for t in select_tasks(load_task_set(tasks), 3, 4)]
    assert report["tasks"] == 3 and len(sample) == 3
    first, second = report["arms"]
    assert (first["name"], second["name"]) == ("edge-first", "plain")
    assert sorted(first["flipped_to"] + second["flipped_to"]) == sorted(sample)  # every task flips here
    assert report["cost"]["calls"] == 6
    failed = report["failures"][second["flipped_to"][0] if second["flipped_to"] else first["flipped_to"][0]]
    assert any("IndexError" in text for text in failed.values())  # the empty list, forgotten
    assert select_tasks(load_task_set(tasks), 3, 4) == select_tasks(load_task_set(tasks), 3, 4)


def test_eval_fails_clearly_without_a_model_or_with_a_missing_set(tmp_path, capsys):
    ruled, _ = skills(tmp_path)
    assert run_skills(["skills", "eval", str(ruled), "--tasks", str(tmp_path / "none.jsonl")]) == 2
    assert "set_model_factory" in capsys.readouterr().err
    code = run_skills(["skills", "eval", str(ruled), "--tasks", str(tmp_path / "none.jsonl")], ScriptedCoder)
    assert code == 2 and "cannot read task file" in capsys.readouterr().err


def test_a_bundled_skill_can_be_named(tmp_path, capsys):
    from cairn.skills.eval_cli import read_skill

    name, text = read_skill("explain")
    assert name == "explain" and "name: explain" in text
    with pytest.raises(SkillError):
        read_skill(str(tmp_path / "no-such-skill"))


# ---- HumanEval ------------------------------------------------------------------------------


def test_humaneval_absent_names_the_install_command(monkeypatch):
    monkeypatch.setattr(humaneval.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(humaneval.TaskSetUnavailable, match="--require-hashes -r bench/requirements-data.txt"):
        load_task_set("humaneval")


def test_humaneval_data_with_another_hash_is_refused(tmp_path):
    fake = tmp_path / "HumanEval.jsonl.gz"
    fake.write_bytes(gzip.compress(b'{"task_id": "HumanEval/0"}\n'))
    with pytest.raises(SkillError, match="sha256"):
        humaneval.load_humaneval(fake)


def _installed_problems() -> list[dict]:
    try:
        path = humaneval.data_path()
    except humaneval.TaskSetUnavailable as exc:
        pytest.skip(str(exc))
    return [json.loads(line) for line in gzip.open(path, "rt")]


@needs_landlock
def test_humaneval_tasks_grade_the_canonical_solution_and_fail_a_wrong_one():
    problems = _installed_problems()
    tasks = load_task_set("humaneval")
    assert len(tasks) == humaneval.PROBLEMS == len(problems)
    assert all(t.grader.kind == "execution" and "```python" in t.input for t in tasks)
    assert not any(p["canonical_solution"].strip() in t.input for t, p in zip(tasks, problems))
    from cairn.skills.optimize.graders import grade

    for task, problem in list(zip(tasks, problems))[:3]:
        whole = f"```python\n{problem['prompt']}{problem['canonical_solution']}```"
        assert grade(task, whole).passed, task.id
        assert grade(task, problem["canonical_solution"]).passed, task.id  # a bare body continues the prompt
        wrong = grade(task, f"```python\ndef {problem['entry_point']}(*args):\n    return None\n```")
        assert not wrong.passed and "AssertionError" in wrong.detail


ADD_PROMPT = 'def add(a, b):\n    """Return a + b.\n    >>> add(2, 3)\n    5\n    """\n'
ADD_TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


@needs_landlock
def test_a_solution_file_is_graded_as_it_is():
    grader = {"type": "execution", "prefix": ADD_PROMPT, "test": ADD_TEST, "entry_point": "add"}
    task = parse_task({"id": "add", "input": "Complete add.", "expected": None, "grader": grader})
    assert humaneval.grade_solution_file(task, ADD_PROMPT + "    return a + b\n") == (True, "")
    untouched, failure = humaneval.grade_solution_file(task, ADD_PROMPT)
    assert not untouched and "AssertionError" in failure
    fenced = f"```python\n{ADD_PROMPT}    return a + b\n```\n"
    assert not humaneval.grade_solution_file(task, fenced)[0], "no code is extracted from a file"


@needs_landlock
def test_humaneval_solution_files_pass_with_the_canonical_body_and_fail_untouched():
    problems = _installed_problems()
    tasks = load_task_set("humaneval")
    for task, problem in list(zip(tasks, problems))[:3]:
        completed = problem["prompt"] + problem["canonical_solution"]
        assert humaneval.grade_solution_file(task, completed) == (True, ""), task.id
        passed, failure = humaneval.grade_solution_file(task, problem["prompt"])
        assert not passed and "AssertionError" in failure, task.id


def test_the_interval_and_the_two_sided_test_match_textbook_values():
    assert [round(x, 4) for x in wilson_interval(5, 10)] == [0.2366, 0.7634]
    assert [round(x, 4) for x in wilson_interval(0, 10)] == [0.0, 0.2775]
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert sign_test_two_sided(5, 1) == 2 * 7 / 64 and sign_test_two_sided(1, 5) == 2 * 7 / 64
    assert sign_test_two_sided(3, 3) == 1.0


def test_the_trainer_takes_humaneval_by_name(tmp_path, capsys):
    _installed_problems()
    skill = write_skill(tmp_path, "coder", description="Write functions. Use for code.", body="- Be exact.\n")
    argv = [
        "skills",
        "train",
        str(skill),
        "--tasks",
        "humaneval",
        "--backend",
        "model",
        "--target-model",
        "t",
    ]
    argv += ["--optimizer-model", "o", "--out", str(tmp_path / "run"), "--estimate-only"]
    assert run_skills(argv, model_factory=ScriptedCoder) == 0
    sizes = capsys.readouterr().err.split("splits ", 1)[1].split(";", 1)[0]
    assert sum(json.loads(sizes.replace("'", '"')).values()) == humaneval.PROBLEMS
