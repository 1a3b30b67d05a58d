"""`cairn skills list | lint | train` as people and CI use them."""

from __future__ import annotations

import json

import pytest

from cairn.cli import main
from cairn.skills import cli as skills_cli
from cairn.skills.optimize.ports import Usage


def run_skills(argv: list[str], model_factory=None) -> int:
    """`cairn skills ...` through the skills module alone, with the given factory (or none)."""
    import argparse

    parser = argparse.ArgumentParser(prog="cairn")
    skills_cli.set_model_factory(None)
    skills_cli.add_parsers(parser.add_subparsers(dest="command"), model_factory=model_factory)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    finally:
        skills_cli.set_model_factory(None)


from .conftest import skill_text, write_skill


def test_lint_passes_the_bundled_library_and_fails_bad_files(tmp_path, capsys):
    assert main(["skills", "lint", str(skills_cli.__file__).replace("cli.py", "library")]) == 0
    bad = write_skill(tmp_path, "bad", skill_text("Bad Name", extra="owner: me\n"))
    assert main(["skills", "lint", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad / 'SKILL.md'}:2:1: error:" in out and "warning: unknown key 'owner'" in out
    warn_only = write_skill(tmp_path, "warn", skill_text("warn", extra="owner: me\n"))
    assert main(["skills", "lint", str(warn_only / "SKILL.md")]) == 0
    assert main(["skills", "lint", "--strict", str(warn_only)]) == 1
    assert main(["skills", "lint", str(tmp_path / "nothing-here")]) == 1


def test_list_shows_the_winner_and_what_it_shadows(config_dir, tmp_path, capsys):
    write_skill(config_dir / "skills", "review", description="My review checklist. Use for reviews.")
    write_skill(
        tmp_path / ".cairn" / "skills", "review", description="Team review checklist. Use for reviews here."
    )
    assert main(["skills", "list", "--workspace", str(tmp_path), "--trusted", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    review = [s for s in data["skills"] if s["name"] == "review"][0]
    assert review["source"] == "workspace" and [s["source"] for s in review["shadowed"]] == [
        "bundled",
        "user",
    ]
    assert main(["skills", "list", "--workspace", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "not loaded until the workspace is trusted" in captured.err
    assert "overrides bundled skill" in captured.out  # the user's skill still wins over the bundled one


def test_train_demo_runs_offline_and_resumes_for_free(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["skills", "train", "--demo", "--out", str(out), "--epochs", "1", "--no-progress"]
    assert main(args) == 0
    first = capsys.readouterr().err
    assert "estimate: at most" in first and "completed: test accuracy" in first
    assert main(args) == 0
    assert "(0 real calls this time)" in capsys.readouterr().err
    assert main(args + ["--estimate-only", "--seed", "3"]) == 0


def test_train_with_the_rules_proposer_prints_the_funnel(tmp_path, capsys):
    from cairn.skills.optimize.trainer import PROPOSERS

    out = tmp_path / "run"
    args = ["skills", "train", "--demo", "--proposer", "rules", "--out", str(out), "--epochs", "1"]
    assert main(args + ["--no-progress"]) == 0
    err = capsys.readouterr().err
    funnel = json.loads((out / "history.json").read_text())["funnel"]
    assert (
        f"funnel: {funnel['asked']} proposal calls; {funnel['proposed']} proposed, "
        f"{funnel['parsed']} parsed" in err.splitlines()[-1]
    )
    assert json.loads((out / "history.json").read_text())["config"]["proposer"] == "rules"
    assert main(["skills", "train", "--demo", "--out", str(out), "--epochs", "1", "--no-progress"]) == 2
    assert "different training run" in capsys.readouterr().err  # the proposer is in the fingerprint
    with pytest.raises(SystemExit):
        main(["skills", "train", "--demo", "--proposer", "other", "--out", str(out)])
    # The command line offers exactly the trainer's proposers.
    assert f"(choose from {', '.join(repr(c) for c in PROPOSERS)})" in capsys.readouterr().err


def test_max_edits_caps_every_step(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["skills", "train", "--demo", "--max-edits", "1", "--out", str(out), "--epochs", "1"]
    assert main(args + ["--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    steps = [row for row in history["steps"] if row["step"]]
    assert steps and all(row["max_edits"] == 1 and len(row.get("edits", [])) <= 1 for row in steps)
    assert main(["skills", "train", "--demo", "--max-edits", "0", "--out", str(tmp_path / "x")]) == 2
    assert "edit limits" in capsys.readouterr().err


def test_train_with_the_model_backend_fails_clearly_when_not_wired(tmp_path, capsys):
    assert run_skills(["skills", "train", "--demo", "--backend", "model", "--out", str(tmp_path)]) == 2
    assert "set_model_factory" in capsys.readouterr().err


class ScriptedModel:
    """A chat model object as the model adapter will provide: answers and usage accounting."""

    def __init__(self, name: str) -> None:
        self.name, self.usage = name, Usage()

    async def complete(self, messages, *, max_tokens=None):
        self.usage = self.usage + Usage(10, 5)
        prompt = messages[-1]["content"]
        if "Task: propose-edits" in prompt:
            return json.dumps(
                {"edits": [{"op": "append", "text": "- Reply with the value only, no sentence."}]}
            )
        if "Task: reflect" in prompt:
            return "Answers carry extra words."
        follows_rule = "value only" in messages[0]["content"]
        return prompt.rsplit(" ", 1)[-1].rstrip(".") if follows_rule else "The answer is: " + prompt


def test_train_with_an_injected_model_factory(tmp_path, capsys):
    tasks = tmp_path / "tasks.jsonl"
    rows = [
        {
            "id": f"t{i}",
            "family": f"f{i % 2}",
            "input": f"Echo the word w{i}.",
            "expected": f"w{i}",
            "grader": "exact",
        }
        for i in range(40)
    ]
    tasks.write_text("\n".join(json.dumps(r) for r in rows))
    skill = write_skill(
        tmp_path,
        "echo",
        description="Echo words back exactly. Use for echo tasks.",
        body="# Echo\n- Be helpful.\n",
    )
    out = tmp_path / "run"
    code = run_skills(
        [
            "skills",
            "train",
            str(skill),
            "--tasks",
            str(tasks),
            "--backend",
            "model",
            "--target-model",
            "local/x",
            "--optimizer-model",
            "local/y",
            "--out",
            str(out),
            "--epochs",
            "1",
            "--no-progress",
        ],
        model_factory=ScriptedModel,
    )
    assert code == 0, capsys.readouterr().err
    assert "value only" in (out / "SKILL.md").read_text()
    history = json.loads((out / "history.json").read_text())
    assert history["test"] == {"start": 0.0, "end": 1.0}
    assert history["config"]["target_model"] == "local/x"
