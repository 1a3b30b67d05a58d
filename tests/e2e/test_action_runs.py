"""Code actions run through the real server as the action table says (server/action_specs.py):
the prompt follows, and names, the skill chosen for the file; an action that does not mutate
cannot edit."""

from __future__ import annotations

import pytest

from tests.support.session import cairn_session

pytestmark = pytest.mark.asyncio

SOURCE = "def add(a, b):\n    return a + b\n"
WHOLE = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 16}}
LUA_TESTS = """---
name: lua-tests
description: Busted conventions of this project. Use for Lua tests.
metadata:
  actions: "tests"
  globs: "**/*.lua"
---
Use busted describe/it blocks, one behaviour per test.
"""


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "mod.py").write_text(SOURCE)
    return root


async def test_an_action_names_the_skill_it_follows(workspace):
    skill = workspace / ".cairn" / "skills" / "lua-tests"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(LUA_TESTS)
    (workspace / "mod.lua").write_text("local function add(a, b)\n  return a + b\nend\n")
    async with cairn_session(workspace, ["Wrote no tests."], settings={"trusted": True}) as s:
        uri = s.open("mod.lua", language="lua")
        outcome = await s.command("cairn.runAction", {"action": "tests", "uri": uri, "range": WHOLE})
        assert outcome["status"] == "done"
        message = s.requests()[0]["messages"][-1]["content"]
        assert message.startswith("Follow the `lua-tests` skill:")
        assert "one behaviour per test" in message and "write-tests" not in message


async def test_an_action_that_does_not_mutate_cannot_edit(workspace):
    edit = {"path": "mod.py", "old_text": "a + b", "new_text": "a - b", "description": "break it"}
    turns = [{"tool_calls": [{"name": "propose_edit", "arguments": edit}]}, "It adds."]
    async with cairn_session(workspace, turns) as s:
        uri = s.open("mod.py")
        outcome = await s.command("cairn.runAction", {"action": "explain", "uri": uri, "range": WHOLE})
        assert outcome["status"] == "done" and outcome["text"] == "It adds."
        assert not s.state.applied_edits
        assert [e["status"] for e in outcome["edits"]] == ["rejected"]
        assert s.state.text(uri) == SOURCE
