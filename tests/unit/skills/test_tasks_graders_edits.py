"""Task files, graders, splits, structured edits and the candidate linter."""

from __future__ import annotations

import json

import pytest

from cairn.skills.optimize.candidates import Limits, build_candidate
from cairn.skills.optimize.edits import Edit, EditError, apply_edit, parse_edits
from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.ledger import Ledger, Rejection
from cairn.skills.optimize.lint import (
    DOES_NOT_APPLY,
    PLACEHOLDER,
    duplicated_rules,
    leaked_tasks,
    placeholders,
    reason_kinds,
)
from cairn.skills.optimize.splits import split_tasks
from cairn.skills.optimize.tasks import Grader, Task, TaskFileError, load_tasks, parse_task

from .conftest import skill_text


def task(kind, expected, **grader):
    return parse_task(
        {
            "id": "t",
            "input": "q",
            "expected": expected,
            "grader": {"type": kind, **grader} if grader else kind,
        }
    )


@pytest.mark.parametrize(
    "kind, expected, extra, good, bad",
    [
        ("exact", "42", {}, " 42\n", "43"),
        ("contains", "needle", {}, "hay needle hay", "hay"),
        ("regex", "", {"pattern": r"\d{4}-\d{2}-\d{2}"}, "2024-01-31", "31/01/2024"),
        ("json", {"a": [1, 2]}, {}, 'Here:\n```json\n{"a": [1, 2]}\n```', '{"a": [2, 1]}'),
        (
            "python",
            None,
            {"code": "def check(output, expected):\n    return output.strip().isupper()"},
            "LOUD",
            "quiet",
        ),
    ],
)
def test_each_grader_passes_good_and_fails_bad_output(kind, expected, extra, good, bad):
    t = task(kind, expected, **extra)
    assert grade(t, good).passed
    result = grade(t, bad)
    assert not result.passed and result.detail


def test_a_crashing_python_check_is_a_failure_not_a_crash():
    t = task("python", None, code="def check(output, expected):\n    return 1 / 0")
    assert "ZeroDivisionError" in grade(t, "x").detail


def test_task_file_errors_name_every_bad_line(tmp_path):
    path = tmp_path / "tasks.jsonl"
    lines = [
        {"id": "a", "input": "q", "expected": "x", "grader": "exact"},
        "not json",
        {"id": "b", "input": "q", "expected": "x", "grader": "fuzzy"},
        {"id": "a", "input": "q", "expected": "x", "grader": "exact"},
        {"id": "c", "input": "q", "expected": "x", "grader": {"type": "regex", "pattern": "("}},
        {"id": "d", "input": "", "expected": "x", "grader": "exact"},
    ]
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    with pytest.raises(TaskFileError) as info:
        load_tasks(path)
    assert [p.split(":")[1] for p in info.value.problems] == ["2", "3", "4", "5", "6"]


def test_splits_are_deterministic_disjoint_and_cover_every_family(small_world):
    _, tasks, _ = small_world
    first, again, other = split_tasks(tasks, 1), split_tasks(tasks, 1), split_tasks(tasks, 2)
    assert first == again and first != other
    parts = [first.train, first.gate, first.confirm, first.test]
    ids = [t.id for part in parts for t in part]
    assert sorted(ids) == sorted(t.id for t in tasks)
    for part in parts:
        assert {t.family for t in part} == {t.family for t in tasks}


SKILL = skill_text("s", body="# Rules\n- First rule here.\n- Second rule here.\n")


def test_edit_operations_touch_only_the_body():
    assert apply_edit(SKILL, Edit("append", "- Third rule.")).endswith("- Second rule here.\n- Third rule.\n")
    inserted = apply_edit(SKILL, Edit("insert_after", "- New one.", "First rule"))
    assert "- First rule here.\n- New one.\n- Second" in inserted
    assert "- Better first.\n" in apply_edit(SKILL, Edit("replace", "- Better first.", "- First rule here."))
    deleted = apply_edit(SKILL, Edit("delete", anchor="- First rule here."))
    assert "First rule" not in deleted and "# Rules\n- Second" in deleted
    with pytest.raises(EditError, match="0 times"):
        apply_edit(SKILL, Edit("replace", "x", "name: s"))  # front matter is out of reach
    with pytest.raises(EditError, match="2 times"):
        apply_edit(SKILL, Edit("delete", anchor="rule here."))


def test_parse_edits_reports_each_bad_edit():
    edits, errors = parse_edits(
        '```json\n{"edits": [{"op": "append", "text": "- a"}, {"op": "zap"}, '
        '{"op": "replace", "text": "b"}]}\n```'
    )
    assert edits == [Edit("append", "- a")]
    assert len(errors) == 2 and "op" in errors[0] and "anchor" in errors[1]
    assert parse_edits("no json")[1]


def test_linter_finds_placeholders_duplicates_and_leaks():
    assert placeholders("- TODO: fill\n- Use <insert name here>.")
    assert not placeholders("- Use `Optional[int]` and a <b> tag.")
    assert duplicated_rules("- second rule here", SKILL)
    assert not duplicated_rules("- a rule about something else entirely", SKILL)
    shown = [
        Task(
            "t1",
            "convert the timestamp one two three four five six seven eight",
            "2024-01-31T10:00",
            Grader("exact"),
        ),
        Task("t2", "short", "42", Grader("exact")),
    ]
    assert leaked_tasks("- For that input answer 2024-01-31T10:00.", shown) == ["t1"]
    assert leaked_tasks("- convert the timestamp one two three four five six seven eight like so", shown) == [
        "t1"
    ]
    assert leaked_tasks("- There are 42 ways.", shown) == []  # too short to call a leak


def test_candidate_building_applies_limits_lint_and_ledger():
    ledger = Ledger([Rejection(1, Edit("append", "- Rejected before."), "gate: no win")])
    edits = [
        Edit("append", "- rejected before"),  # same key as the ledger entry
        Edit("append", "- TODO later"),
        Edit("append", "- A fine new rule about tests."),
        Edit("replace", "x", "missing anchor"),
        Edit("append", "- One more rule about naming."),
        Edit("append", "- Over the edit limit."),
    ]
    result = build_candidate(
        SKILL,
        edits,
        Limits(max_edits=5, max_changed_tokens=12, max_skill_tokens=500),
        folder_name="s",
        shown_tasks=[],
        ledger=ledger,
    )
    assert result.kept == [Edit("append", "- A fine new rule about tests.")]
    assert {r for _, r in result.skipped} >= {
        "already proposed and rejected",
        "over the limit of 5 edits this step",
        "over the cap of 12 changed tokens",
    }
    assert [reason_kinds(r) for _, r in result.linted] == [[PLACEHOLDER], [DOES_NOT_APPLY]]
    assert result.text is not None and result.text.endswith("- A fine new rule about tests.\n")


def test_bundled_task_sets_load_and_their_starting_skills_are_valid():
    from cairn.skills.train_cli import TASKS_DIR
    from cairn.skills.validation import validate_skill_text

    for name in ("terse-answers", "simulated-demo"):
        tasks = load_tasks(TASKS_DIR / f"{name}.jsonl")
        assert len(tasks) >= 50 and len({t.family for t in tasks}) >= 4
        text = (TASKS_DIR / name / "SKILL.md").read_text()
        assert [p for p in validate_skill_text(text, name) if p.is_error] == []
