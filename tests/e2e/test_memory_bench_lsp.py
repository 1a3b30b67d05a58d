"""The product-path memory benchmark (bench/memory_lsp.py) itself works: a tiny session goes
through the real server, the scripted OpenAI-compatible endpoint, the probes and the restart."""

from __future__ import annotations

import pytest

from bench.memory_lsp import Scenario, run_scenario

pytestmark = pytest.mark.asyncio


async def test_a_tiny_session_through_the_real_server(tmp_path):
    folder = tmp_path / "tiny"
    (folder / "workspace").mkdir(parents=True)
    (folder / "workspace" / "settings.ini").write_text("[db]\nport = 6543\nhost = db-07.lab.example.org\n")
    turns = [
        {"user": "The deploy command is `make ship TARGET=blue-7`.", "steps": [{"answer": "Noted."}]},
        {
            "user": "Which database port do we use?",
            "steps": [{"tool": "read_file", "args": {"path": "settings.ini"}}, {"answer": "Port 6543."}],
        },
        {"user": "Actually the deploy target is green-3 now.", "steps": [{"answer": "OK, green-3."}]},
    ]
    facts = [
        {"id": "F1", "value": "TARGET=blue-7", "query": "deploy command", "replaced_by": "F3"},
        {"id": "F2", "value": "db-07.lab.example.org", "query": "database host"},
        {"id": "F3", "value": "green-3", "query": "deploy target"},
    ]
    scenario = Scenario(
        name="tiny",
        folder=folder,
        window=8192,
        turns=turns,
        next_day={"user": "Where were we?", "steps": [{"answer": "Deploying to green-3."}]},
        facts=facts,
    )
    result = await run_scenario(scenario, tmp_path / "scratch")
    assert result["values"] == 2  # F1 was replaced: only current values are scored
    assert result["day1_agent_requests"] == 4
    assert result["script_desync"] == {"skipped_steps": 0, "extra_requests": 0}
    assert result["end_seen"] == 2  # a short session fits the window whole
    assert result["end_reachable"] >= 1  # history finds the file's host in the transcript
