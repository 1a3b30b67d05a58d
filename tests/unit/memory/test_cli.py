"""`cairn memory ...` on the same store the server uses."""

from __future__ import annotations

import asyncio
import json

from cairn.cli import main
from cairn.memory.location import memory_db_path
from cairn.memory.store import MemoryStore


def _seed(workspace):
    async def seed():
        async with await MemoryStore.open(memory_db_path(workspace), workspace_root=workspace) as store:
            session = await store.new_session("seed")
            await store.append_message(session, {"role": "user", "content": "The cache dir is .cache/cairn"})
            return await store.remember("Deploy with `make ship`", kind="fact", source="user")

    return asyncio.run(seed())


def test_show_search_forget_consolidate(workspace, capsys):
    memory_id = _seed(workspace)
    assert main(["memory", "--workspace", str(workspace), "show"]) == 0
    out = capsys.readouterr().out
    assert f"[#{memory_id} fact] Deploy with `make ship`" in out and "seed" in out

    assert main(["memory", "search", "deploy", "--workspace", str(workspace), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == memory_id
    assert main(["memory", "search", "cache dir", "--history", "--workspace", str(workspace)]) == 0
    assert "The cache dir is .cache/cairn" in capsys.readouterr().out  # exact text, no markers

    assert main(["memory", "consolidate", "--workspace", str(workspace)]) == 0
    captured = capsys.readouterr()
    assert "Memory consolidated" in captured.out and "[100%] done" in captured.err

    assert main(["memory", "forget", str(memory_id), "--workspace", str(workspace)]) == 0
    assert main(["memory", "forget", str(memory_id), "--workspace", str(workspace)]) == 1
    assert "no memory with id" in capsys.readouterr().err


def test_a_workspace_without_memory_gets_no_database(tmp_path, capsys):
    workspace = tmp_path / "never-used"
    workspace.mkdir()
    db = memory_db_path(workspace.resolve())
    for action in (["show"], ["search", "x"], ["consolidate"]):
        assert main(["memory", "--workspace", str(workspace), *action]) == 0
        assert "no memory for" in capsys.readouterr().err
    assert main(["memory", "--workspace", str(workspace), "forget", "1"]) == 1
    assert not db.exists() and not db.parent.exists()


def test_memory_path_override_and_refused_file(tmp_path, capsys):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    assert main(["memory", "--memory-path", str(bogus), "show"]) == 1
    assert "not an SQLite database" in capsys.readouterr().err
    assert bogus.read_text() == "not a database"


def test_consolidate_uses_the_model_factory_when_wired(workspace, capsys):
    import argparse

    from cairn.memory import cli
    from cairn.memory.testing import FakeTextModel

    _seed(workspace)
    made = []

    def factory():
        made.append(FakeTextModel())
        return made[-1]

    parser = argparse.ArgumentParser()
    cli.add_parsers(parser.add_subparsers(), model_factory=factory)
    args = parser.parse_args(["memory", "--workspace", str(workspace), "consolidate"])
    assert args.func(args) == 0
    assert len(made) == 1
