"""A path a tool reported missing is never stated as fact: one corrective turn, then a note."""

from __future__ import annotations

import pytest

from cairn.server.agent.context_window import TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation
from cairn.server.agent.loop import Agent
from cairn.server.agent.missing_paths import names_path
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.repo_map import RepoMap
from cairn.server.agent.testing import RecordingObserver, ScriptedModel
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.context import ToolContext

pytestmark = pytest.mark.asyncio
QUESTION = "Which file defines the agent loop, and what stops a model that repeats itself?"


def make_agent(root, *, with_map: bool = True, max_steps: int = 20):
    (root / "server/agent").mkdir(parents=True, exist_ok=True)
    (root / "server/agent/loop.py").write_text("class Agent:\n    pass\n\nclass RepeatGuard:\n    pass\n")
    repo_map = None
    if with_map:
        repo_map = RepoMap()
        with ConfinedWorkspace(root) as workspace:
            repo_map.refresh(workspace)
    model = ModelClient(ModelConfig(model="scripted/guard", request_timeout=10))
    conversation = InMemoryConversation()
    agent = Agent(
        model=model,
        tools=workspace_registry(shell=False),
        tool_context=ToolContext.create(root),
        conversation=conversation,
        context=TruncatingContext(model.count_tokens),
        observer=RecordingObserver(),
        system_prompt="You are a test agent.",
        max_steps=max_steps,
        repo_map=repo_map,
    )
    return agent, conversation


def read(path: str) -> dict:
    return {"tool_calls": [{"name": "read_file", "arguments": {"path": path}}]}


async def test_an_answer_naming_a_missing_file_gets_one_corrective_turn(tmp_path):
    agent, conversation = make_agent(tmp_path)
    wrong = "The agent loop is defined in agent_loop.py."
    right = "The agent loop is in server/agent/loop.py; RepeatGuard stops repeats."
    with ScriptedModel(turns=[read("agent_loop.py"), wrong, right]) as script:
        result = await agent.run(QUESTION)
    assert result.text == right and result.steps == 3
    correction = script.requests[2]["messages"][-1]["content"]
    assert "`agent_loop.py` does not exist" in correction and "read_file reported it missing" in correction
    assert "`server/agent/loop.py`" in correction  # the map's closest name, for a model to copy
    shown = "".join(agent.observer.texts)
    assert "`agent_loop.py` does not exist in this workspace; asking for a corrected answer" in shown
    assert shown.rstrip().endswith(right)
    stored = [m.get("content") for m in await conversation.history()]
    assert not any("Answer again" in str(c) for c in stored), "the correction is Cairn's, not stored"


async def test_a_model_that_repeats_the_missing_name_gets_a_note_not_a_second_turn(tmp_path):
    agent, conversation = make_agent(tmp_path)
    wrong = "It is agent_loop.py."
    with ScriptedModel(turns=[read("agent_loop.py"), wrong, "Still ./agent_loop.py, I am sure."]) as script:
        result = await agent.run(QUESTION)
    assert len(script.requests) == 3
    assert result.text.startswith("Still ./agent_loop.py, I am sure.")
    assert "> Note from Cairn: `agent_loop.py` does not exist in this workspace" in result.text
    assert "closest existing: `server/agent/loop.py`" in result.text
    assert "".join(agent.observer.texts).endswith(result.text[len("Still ./agent_loop.py, I am sure.") :])
    assert (await conversation.history())[-1]["content"] == result.text  # stored with its note


async def test_without_a_map_the_correction_still_names_the_missing_path(tmp_path):
    agent, _ = make_agent(tmp_path, with_map=False)
    with ScriptedModel(turns=[read("src/agent_loop.py"), "See src/agent_loop.py.", "No idea."]) as script:
        assert (await agent.run(QUESTION)).text == "No idea."
    correction = script.requests[2]["messages"][-1]["content"]
    assert "`src` does not exist" in correction or "`src/agent_loop.py` does not exist" in correction


async def test_a_missing_path_created_since_or_never_named_is_left_alone(tmp_path):
    agent, _ = make_agent(tmp_path)
    create = {
        "tool_calls": [{"name": "create_file", "arguments": {"path": "notes.py", "content": "x = 1\n"}}]
    }
    applied = "Created notes.py."
    turns = [read("notes.py"), create, applied]
    agent.tool_context = ToolContext.create(tmp_path, edits=_WritingSink(tmp_path))
    with ScriptedModel(turns=turns) as script:
        assert (await agent.run("Make notes.py")).text == applied
    assert len(script.requests) == 3

    agent, _ = make_agent(tmp_path)
    answer = "The loop is in server/agent/loop.py, not loop.py's neighbours."
    with ScriptedModel(turns=[read("loop.py"), "It lives in server/agent/loop.py."]) as script:
        assert (await agent.run(QUESTION)).text == "It lives in server/agent/loop.py."
    assert len(script.requests) == 2
    assert names_path(answer, "loop.py") and not names_path("server/agent/loop.py", "loop.py")
    assert not names_path("loop.pyc and loop.py-old", "loop.py") and names_path("(`loop.py`).", "loop.py")


class _WritingSink:
    """Writes proposals straight to disk, as an editor that accepts every edit would."""

    def __init__(self, root) -> None:
        self.root = root

    async def apply(self, proposal):
        from cairn.server.agent.tools.context import ApplyOutcome

        (self.root / proposal.path).write_text(proposal.new_text)
        return ApplyOutcome("applied", "written")
