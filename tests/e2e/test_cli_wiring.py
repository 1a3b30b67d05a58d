"""The command line's composition: memory and skills commands reach the real model layer."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from cairn.memory.location import memory_db_path
from cairn.memory.store import MemoryStore

REPO = Path(__file__).resolve().parents[2]


def cairn(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cairn", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stdin=subprocess.DEVNULL,
    )


def test_skill_training_through_litellm_with_the_scripted_model(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"t{i}",
                    "family": f"f{i % 2}",
                    "input": f"Echo the word w{i}.",
                    "expected": f"w{i}",
                    "grader": "exact",
                }
            )
            for i in range(40)
        )
    )
    skill = tmp_path / "echo" / "SKILL.md"
    skill.parent.mkdir()
    skill.write_text(
        "---\nname: echo\ndescription: Echo words back exactly. Use for echo tasks.\n---\n# Echo\n- Be "
        "helpful.\n"
    )
    out = tmp_path / "run"
    result = cairn(
        "skills",
        "train",
        str(skill),
        "--tasks",
        str(tasks),
        "--backend",
        "model",
        "--target-model",
        "scripted/target",
        "--optimizer-model",
        "scripted/optimizer",
        "--out",
        str(out),
        "--epochs",
        "1",
        "--no-progress",
        env={"CAIRN_SCRIPT": "tests.support.scripts:trainer"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "value only" in (out / "SKILL.md").read_text()
    history = json.loads((out / "history.json").read_text())
    assert history["test"]["end"] > history["test"]["start"]


def test_training_without_any_model_fails_clearly(tmp_path):
    result = cairn(
        "skills",
        "train",
        "--demo",
        "--backend",
        "model",
        "--target-model",
        "",
        "--out",
        str(tmp_path / "run"),
        env={"CAIRN_MODEL": "", "CAIRN_LOCAL_MODEL": "off"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_memory_consolidation_from_the_command_line(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()

    async def seed():  # the command line only consolidates memory that exists
        async with await MemoryStore.open(
            memory_db_path(workspace.resolve()), workspace_root=workspace
        ) as store:
            await store.remember("Deploy with `make ship`", kind="fact", source="user")

    asyncio.run(seed())
    result = cairn(
        "memory",
        "consolidate",
        "--workspace",
        str(workspace),
        env={
            "CAIRN_MODEL": "scripted/m",
            "CAIRN_SCRIPT": "tests.support.scripts:agent",
            "CAIRN_TEST_TURNS": str(tmp_path / "none.json"),
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "consolidated" in result.stdout.lower()
