"""Cairn in a real Vim (9.0, headless) with ALE (3.3, Debian's vim-ale) and clients/vim.

clients/vim/tests/ale-spec.vim runs in `vim -es` and prints TAP: the user's scenario (a chat
longer than 10 s that never blocks, a chat, an edit from a chat, Explain as a code action and
as :CairnExplain, Add docstring, a dismissed approval, a file outside any project, shutdown)
against this interpreter's `python -m cairn serve` with the scripted model. Vim and vim-ale come
from Debian (`scripts/setup-clients`). What the model was sent is checked here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.clients.tap import REPO, missing, run_tap, which

VIM_CLIENT = REPO / "clients" / "vim"
ALE = Path("/usr/share/vim-ale")
SOURCE = "def add(a, b):\n    return a + c\n"

TURNS = {
    "Say hello": [{"chunks": ["Hello", ", ", "world."]}],
    "Explain the following code": ["It adds a to an undefined name c."],
    "Print a sum": [
        {
            "tool_calls": [
                {
                    "name": "propose_edit",
                    "arguments": {
                        "path": "mod.py",
                        "old_text": "    return a + c\n",
                        "new_text": "    return a + c\n\n\nprint(add(1, 2))\n",
                        "description": "print",
                    },
                }
            ]
        },
        "Added a print.",
    ],
    "Add a docstring": [
        {
            "tool_calls": [
                {
                    "name": "propose_edit",
                    "arguments": {
                        "path": "mod.py",
                        "old_text": "def add(a, b):\n",
                        "new_text": 'def add(a, b):\n    """Add a and c."""\n',
                        "description": "docstring",
                    },
                }
            ]
        },
        "Added a docstring.",
    ],
    # three chunks 4 s apart: the run outlives the 10 s other editors wait for a request
    "Take your time": [{"chunks": ["Slow ", "and ", "steady."], "delay": 4}],
    "Clean the build": [
        {"tool_calls": [{"name": "run_command", "arguments": {"command": "touch cleaned.txt"}}]},
        "I did not run it.",
    ],
    "What is VALUE": [
        {"tool_calls": [{"name": "read_file", "arguments": {"path": "loose.py"}}]},
        "VALUE is seven.",
    ],
}


def _vim() -> str:
    """Vim with jobs (not vim-tiny) and ALE, else skip/fail."""
    vim = which("vim")
    version = subprocess.run([vim, "--version"], capture_output=True, text=True).stdout if vim else ""
    if "+job" not in version or not (ALE / "plugin" / "ale.vim").is_file():
        missing("Vim with ALE", "run scripts/setup-clients (vim and vim-ale from Debian)")
    return vim  # type: ignore[return-value]


def _ale_version() -> str:
    query = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "vim-ale"], capture_output=True, text=True, check=False
    )
    return query.stdout.strip()


def _tool_results(record: Path) -> list[str]:
    results = []
    for line in record.read_text(encoding="utf-8").splitlines():
        for message in json.loads(line).get("messages", []):
            if message.get("role") == "tool":
                results.append(str(message.get("content")))
    return results


def test_vim_with_ale(tmp_path: Path):
    vim = _vim()
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)  # a repository: the project's root
    (project / "mod.py").write_text(SOURCE, encoding="utf-8")
    loose = tmp_path / "loose"  # no repository, no project file
    loose.mkdir()
    (loose / "loose.py").write_text("VALUE = 7\n", encoding="utf-8")
    turns = tmp_path / "turns.json"
    turns.write_text(json.dumps(TURNS), encoding="utf-8")
    record = tmp_path / "requests.jsonl"
    home = tmp_path / "home"
    home.mkdir()
    run = run_tap(
        [
            vim,
            "-N",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-es",
            "-S",
            str(VIM_CLIENT / "tests" / "ale-spec.vim"),
        ],
        cwd=tmp_path,
        env={
            "CAIRN_PYTHON": sys.executable,
            "CAIRN_VIM_PROJECT": str(project),
            "CAIRN_VIM_LOOSE": str(loose),
            "CAIRN_VIM_CLIENT": f"ALE {_ale_version()}",
            "CAIRN_MODEL": "scripted/vim",
            "CAIRN_SCRIPT": "tests.e2e.clients.model_script:by_prompt",
            "CAIRN_CLIENT_TURNS": str(turns),
            "CAIRN_SCRIPT_RECORD": str(record),
            "PYTHONPATH": str(REPO),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
        },
        timeout=300,
    )
    run.check()
    steps = {
        "connects",
        "long-run-starts",
        "chat-answer",
        "chat-edit",
        "explain-code-action",
        "explain-command",
        "docstring-edit",
        "dismissed-approval",
        "file-outside-any-project",
        "long-run-ends",
        "shutdown",
    }
    assert {f"cairn-ale-{step}" for step in steps} <= set(run.passed), run.output[-3000:]
    assert "VIM - Vi IMproved 9" in run.output and "ALE 3." in run.output, run.output[:300]
    results = _tool_results(record)
    assert any("declined" in result for result in results), results  # the dismissed prompt
    assert any("VALUE = 7" in result for result in results), results  # tools outside a project
    assert not (project / "cleaned.txt").exists()
