"""`cairn ask` grounds the model in the repository: the map is in the first request it sends, and
an answer naming a file that read_file reported missing is sent back once (the real command,
with the scripted model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WRONG = "The agent loop is defined in agent_loop.py."
RIGHT = "The agent loop is in server/agent/loop.py; RepeatGuard stops a model that repeats itself."
TURNS = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "agent_loop.py"}}]}, WRONG, RIGHT]


def test_cairn_ask_shows_the_map_and_sends_back_an_answer_naming_a_missing_file(tmp_path):
    root = tmp_path / "ws"
    (root / "server/agent").mkdir(parents=True)
    (root / "server/agent/loop.py").write_text('"""The agent loop."""\n\nclass RepeatGuard:\n    pass\n')
    (root / ".gitignore").write_text(".venv/\n")
    (root / ".venv/lib").mkdir(parents=True)
    (root / ".venv/lib/site.py").write_text("class Hidden:\n    pass\n")
    turns, record = tmp_path / "turns.json", tmp_path / "requests.jsonl"
    turns.write_text(json.dumps(TURNS))
    env = {
        **os.environ,
        "CAIRN_MODEL": "scripted/cli",
        "CAIRN_SCRIPT": "tests.support.scripts:agent",
        "CAIRN_TEST_TURNS": str(turns),
        "CAIRN_SCRIPT_RECORD": str(record),
        "CAIRN_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "cairn", "ask", "Where is the agent loop?", "--workspace", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    requests = [json.loads(line) for line in record.read_text().splitlines()]
    agent_requests = [r for r in requests if r.get("tools")]
    first = json.dumps(agent_requests[0]["messages"])
    assert "<repository-map" in first and "server/agent/loop.py: RepeatGuard" in first
    assert "Hidden" not in first and ".venv" not in first.split("<repository-map", 1)[1].split("</repo", 1)[0]
    correction = agent_requests[2]["messages"][-1]["content"]
    assert "`agent_loop.py` does not exist" in correction and "`server/agent/loop.py`" in correction
    assert "asking for a corrected answer" in done.stdout and done.stdout.rstrip().endswith(RIGHT)
