"""The editor and `cairn ask` are one product: the same host (compose.open_agent_host), so the
same redaction, the same memory and the same skills, checked through the real process of each
(the language server over LSP, and the `cairn` command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cairn.memory.testing import secret_canaries
from tests.support.session import cairn_session

REPO = Path(__file__).resolve().parents[2]
OWN_KEY = "cairn-own-key-Zq81xLw0pR4tY7uI"  # shapeless: only exact-value redaction catches it
TURNS = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "mod.py"}}]}, "Noted."]


def canary_prompt() -> tuple[str, list]:
    planted = secret_canaries(seed=11, env_secret=OWN_KEY)
    return "Keep these for later: " + " ".join(c.text for c in planted) + f" and {OWN_KEY}", planted


def run_cairn(
    workspace: Path, data_dir: Path, record: Path, turns: list, *args: str
) -> subprocess.CompletedProcess:
    script = workspace.parent / "cli-turns.json"
    script.write_text(json.dumps(turns))
    env = {
        **os.environ,
        "CAIRN_MODEL": "scripted/cli",
        "CAIRN_SCRIPT": "tests.support.scripts:agent",
        "CAIRN_TEST_TURNS": str(script),
        "CAIRN_SCRIPT_RECORD": str(record),
        "CAIRN_DATA_DIR": str(data_dir),
        "CAIRN_API_KEY": OWN_KEY,
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "cairn", *args, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def workspace_at(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "mod.py").write_text("PORT = 8443\n")
    return root


def sent_text(record: Path) -> str:
    return record.read_text() if record.exists() else ""


def stored_bytes(data_dir: Path) -> bytes:
    files = sorted(p for p in data_dir.rglob("memory.sqlite3*") if p.is_file())
    assert files, f"no memory database under {data_dir}"
    return b"".join(p.read_bytes() for p in files)


@pytest.mark.asyncio
async def test_the_same_canaries_are_redacted_through_the_editor_and_the_terminal(tmp_path):
    prompt, planted = canary_prompt()

    editor_root, editor_data = workspace_at(tmp_path, "editor"), tmp_path / "editor-data"
    async with cairn_session(
        editor_root, TURNS, env={"CAIRN_API_KEY": OWN_KEY}, data_dir=editor_data
    ) as session:
        reply = await session.command("cairn.chat", {"prompt": prompt, "streamId": "s"})
        assert reply["status"] in ("done", "started"), reply
        editor_sent = sent_text(session.record)

    cli_root, cli_data = workspace_at(tmp_path, "cli"), tmp_path / "cli-data"
    cli_record = tmp_path / "cli-requests.jsonl"
    result = run_cairn(cli_root, cli_data, cli_record, TURNS, "ask", prompt)
    assert result.returncode == 0, result.stderr
    cli_sent = sent_text(cli_record)

    for path_name, sent, data in (("editor", editor_sent, editor_data), ("cairn ask", cli_sent, cli_data)):
        assert "Keep these for later" in sent, f"{path_name}: the prompt never reached the model"
        assert "[REDACTED" in sent
        stored = stored_bytes(data)
        for canary in planted:
            assert canary.needle not in sent, f"{path_name}: {canary.kind} canary reached the model"
            assert canary.needle.encode() not in stored, f"{path_name}: {canary.kind} canary in the DB"
        assert OWN_KEY not in sent and OWN_KEY.encode() not in stored
    for canary in planted:
        assert canary.needle not in result.stderr and canary.needle not in result.stdout


def test_ask_keeps_its_session_in_memory_and_continue_resumes_it(tmp_path):
    root, data = workspace_at(tmp_path, "proj"), tmp_path / "data"
    record = tmp_path / "requests.jsonl"
    first = run_cairn(
        root, data, record, ["The staging port is 8443."], "ask", "Remember: staging listens on 8443."
    )
    assert first.returncode == 0, first.stderr
    assert "without memory" not in first.stderr

    found = run_cairn(root, data, record, [], "memory", "search", "--history", "staging")
    assert found.returncode == 0, found.stderr
    assert "8443" in found.stdout, found.stdout

    record.unlink()
    again = run_cairn(root, data, record, ["Still 8443."], "ask", "--continue", "Which port again?")
    assert again.returncode == 0, again.stderr
    request = json.loads(record.read_text().splitlines()[0])
    contents = json.dumps(request["messages"])
    assert "Remember: staging listens on 8443." in contents  # the earlier turn, resumed
