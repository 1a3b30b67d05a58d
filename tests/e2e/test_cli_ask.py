"""`cairn ask`: the agent headless in a terminal, streaming to stdout, edits only with --apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def ask(workspace: Path, turns: list, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    script = workspace.parent / "turns.json"
    script.write_text(json.dumps(turns))
    full_env = {
        **os.environ,
        "CAIRN_MODEL": "scripted/cli",
        "CAIRN_SCRIPT": "tests.support.scripts:agent",
        "CAIRN_TEST_TURNS": str(script),
        "PYTHONPATH": str(REPO),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "cairn", "ask", *args, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


EDIT = [
    {"tool_calls": [{"name": "read_file", "arguments": {"path": "app.py"}}]},
    {
        "tool_calls": [
            {
                "name": "propose_edit",
                "arguments": {"path": "app.py", "old_text": "DEBUG = True", "new_text": "DEBUG = False"},
            }
        ]
    },
    {"chunks": ["Turned ", "debug ", "off."]},
]


def make_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("DEBUG = True\n")
    return root


def test_ask_streams_the_answer_and_shows_a_diff_without_writing(tmp_path):
    root = make_workspace(tmp_path)
    result = ask(root, EDIT, "Turn debug off")
    assert result.returncode == 0, result.stderr
    assert "Turned debug off." in result.stdout
    assert "-DEBUG = True" in result.stdout and "+DEBUG = False" in result.stdout
    assert (root / "app.py").read_text() == "DEBUG = True\n"
    assert "--apply" in result.stderr
    assert "step 2: propose_edit app.py" in result.stderr  # the progress display


def test_ask_apply_writes_the_changes(tmp_path):
    root = make_workspace(tmp_path)
    result = ask(root, EDIT, "Turn debug off", "--apply")
    assert result.returncode == 0, result.stderr
    assert (root / "app.py").read_text() == "DEBUG = False\n"
    assert "wrote 1 file(s): app.py" in result.stderr


# The agent edits, then runs a command that reads the file (as it would run a test or a doctest).
EDIT_THEN_LOOK = [
    EDIT[1],
    {"tool_calls": [{"name": "run_command", "arguments": {"command": "cat app.py > seen.txt"}}]},
    {"chunks": ["Checked."]},
]


def test_with_apply_a_command_after_an_edit_sees_the_edited_file(tmp_path):
    root = make_workspace(tmp_path)
    result = ask(root, EDIT_THEN_LOOK, "Turn debug off", "--apply", "--trust", env={"CAIRN_SHELL": "allow"})
    assert result.returncode == 0, result.stderr
    assert (root / "seen.txt").read_text() == "DEBUG = False\n", "written when the edit was accepted"
    assert (root / "app.py").read_text() == "DEBUG = False\n"
    assert "-DEBUG = True" in result.stdout and "+DEBUG = False" in result.stdout
    assert "wrote 1 file(s): app.py" in result.stderr
    assert "done in 3 step(s)" in result.stderr


def test_without_apply_a_command_sees_the_disk_and_nothing_is_written(tmp_path):
    root = make_workspace(tmp_path)
    result = ask(root, EDIT_THEN_LOOK, "Turn debug off", "--trust", env={"CAIRN_SHELL": "allow"})
    assert result.returncode == 0, result.stderr
    assert (root / "seen.txt").read_text() == "DEBUG = True\n"
    assert (root / "app.py").read_text() == "DEBUG = True\n"
    assert "+DEBUG = False" in result.stdout and "nothing written" in result.stderr


def test_ask_reports_model_errors_plainly(tmp_path):
    root = make_workspace(tmp_path)
    result = ask(root, [{"error": "auth"}], "Hello")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("cairn: ")
    assert "Traceback" not in result.stderr


def test_ask_without_a_model_says_how_to_configure_one(tmp_path):
    root = make_workspace(tmp_path)
    result = ask(root, [], "Hello", env={"CAIRN_MODEL": "", "CAIRN_LOCAL_MODEL": "off"})
    assert result.returncode == 1 and "CAIRN_MODEL" in result.stderr
