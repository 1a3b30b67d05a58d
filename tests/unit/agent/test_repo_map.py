"""The repository map: symbols, what is walked (ignore rules, no symlinks), the parse cache,
incremental updates, ranking within a token cap, and its place in the agent's context."""

from __future__ import annotations

import os

import pytest

from cairn.memory.ports import approx_tokens
from cairn.server.agent import repo_map as repo_map_module
from cairn.server.agent.context_window import TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation
from cairn.server.agent.loop import Agent
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.repo_map import HEADING, RepoMap
from cairn.server.agent.repo_symbols import outline
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.context import ToolContext

LOOP_PY = '''"""The agent loop: ask the model, run the tools, repeat."""

class Agent:
    async def run(self):
        pass


class RepeatGuard:
    """Stops a model that repeats itself."""


def describe_call(call):
    return call

try:
    from fast import speedup
except ImportError:
    def speedup():
        pass
'''


def write(root, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "ws"
    write(root, "server/agent/loop.py", LOOP_PY)
    write(root, "server/agent/model.py", "class ModelClient:\n    pass\n\ndef _private():\n    pass\n")
    write(root, "memory/store.py", "class MemoryStore:\n    pass\n")
    write(
        root,
        "clients/vscode/src/extension.ts",
        "export async function activate(ctx) {}\nexport class Panel {}\n",
    )
    write(root, "clients/nvim/lua/cairn/init.lua", "local M = {}\nfunction M.setup(opts) end\nreturn M\n")
    write(root, "README.md", "# project\n")
    write(root, "tests/unit/test_loop.py", "def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    write(root, ".gitignore", "build/\n*.log\n")
    write(root, "build/generated.py", "class Generated:\n    pass\n")
    write(root, "debug.log", "noise\n")
    write(root, ".git/config", "[core]\n")
    outside = tmp_path / "outside"
    write(outside, "secret.py", "class OutsideSecret:\n    pass\n")
    os.symlink(outside / "secret.py", root / "linked.py")
    os.symlink(outside, root / "linked_dir")
    return root


def built(root) -> RepoMap:
    repo_map = RepoMap()
    with ConfinedWorkspace(root) as workspace:
        repo_map.refresh(workspace)
    return repo_map


def test_top_level_symbols_by_language():
    assert outline("a.py", LOOP_PY).symbols == ("Agent", "RepeatGuard", "describe_call", "speedup")
    assert outline("a.py", LOOP_PY).summary == "The agent loop: ask the model, run the tools, repeat."
    assert outline("a.py", "def broken(:\n").symbols == ()
    assert outline("x.ts", "export async function activate() {}\nexport class Panel {}\n").symbols == (
        "activate",
        "Panel",
    )
    assert outline("x.lua", "function M.setup(opts) end\nlocal function helper() end\n").symbols == (
        "M.setup",
        "helper",
    )
    assert outline("x.el", "(defun cairn-ask (prompt)\n  nil)\n(defvar cairn-x nil)\n").symbols == (
        "cairn-ask",
        "cairn-x",
    )
    assert outline("README.md", "# Title\ndef not_code():\n").symbols == ()


CONSTANTS_PY = """from decimal import Decimal

LOCK_PATH = "/var/run/tollgate/import.lock"
FUEL_SURCHARGE_PCT: Decimal = Decimal("18.75")
ZIP3 = ("995", "996", "997", "998", "999", "967", "968", "006", "007", "008", "009")
_PRIVATE = 3
logger = object()
A, B = 1, 2
TABLE = {
    "a": 1,
}


def quote():
    return LOCK_PATH
"""


def test_module_constants_are_shown_with_their_value_when_it_is_short():
    found = outline("rates.py", CONSTANTS_PY)
    assert found.symbols == ("quote",)
    assert found.constants == (
        'LOCK_PATH = "/var/run/tollgate/import.lock"',
        'FUEL_SURCHARGE_PCT = Decimal("18.75")',
        "ZIP3",  # too long to show: the name alone
        "TABLE",  # over several lines: the name alone
    )


def test_a_constant_appears_on_its_files_line_and_matches_the_request(tmp_path):
    write(tmp_path, "tollgate/rates/surcharges.py", CONSTANTS_PY)
    write(tmp_path, "tollgate/other.py", "def unrelated():\n    pass\n")
    text = built(tmp_path).render("the fuel surcharge", 2_000, approx_tokens)
    assert 'tollgate/rates/surcharges.py: LOCK_PATH = "/var/run/tollgate/import.lock", ' in text
    assert 'FUEL_SURCHARGE_PCT = Decimal("18.75")' in text


def test_files_changed_lately_come_first_when_the_request_names_none(tmp_path):
    """The files a user is in the middle of changing (modified after the rest of the tree) are
    what a new session most likely needs: they win the map's room over untouched ones."""
    names = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    old = 1_700_000_000
    for name in names:
        write(tmp_path, f"pkg/{name}.py", f"def {name}_helper():\n    pass\n")
        os.utime(tmp_path / f"pkg/{name}.py", (old, old))
    os.utime(tmp_path / "pkg/hotel.py")  # changed just now
    # Room for the heading and about one line: the changed file must be the one.
    text = built(tmp_path).render("what did we do yesterday?", 76, approx_tokens)
    assert "pkg/hotel.py: hotel_helper" in text, text
    assert "pkg/alpha.py" not in text
    # A request that names a file still puts it first.
    text = built(tmp_path).render("look at the kilo helper", 70, approx_tokens)
    assert "pkg/kilo.py: kilo_helper" in text, text


def test_the_map_lists_what_list_files_shows_and_never_follows_symlinks(project):
    paths = built(project).paths
    assert {"server/agent/loop.py", "clients/vscode/src/extension.ts", "README.md", ".gitignore"} <= paths
    assert not {p for p in paths if p.startswith(("build/", ".git/", "linked"))}, paths
    assert "debug.log" not in paths
    text = built(project).render("anything", 2_000, approx_tokens)
    assert "OutsideSecret" not in text and "Generated" not in text


def test_the_request_picks_the_files_shown_when_the_cap_is_tight(project):
    repo_map = built(project)
    request = "Which file defines the agent loop, and what stops a model that repeats itself?"
    text = repo_map.render(request, 120, approx_tokens)
    assert approx_tokens(text) <= 120
    assert text.startswith(HEADING)
    assert "server/agent/loop.py: Agent, RepeatGuard, describe_call, speedup" in text
    assert "memory/store.py:" not in text  # unrelated, and no room for it
    assert "memory/ (1 more file" in text or "more files not shown" in text  # never silently left out
    roomy = repo_map.render(request, 2_000, approx_tokens)
    assert "memory/store.py: MemoryStore" in roomy and "_private" not in roomy
    assert "tests/unit/test_loop.py: 2 tests" in roomy
    assert repo_map.render(request, 2_000, approx_tokens) == roomy  # stable across steps


def test_every_cap_is_respected_and_a_cap_too_small_gives_nothing(project):
    repo_map = built(project)
    for cap in (10, 40, 80, 160, 320, 5_000):
        text = repo_map.render("model client", cap, approx_tokens)
        assert approx_tokens(text) <= cap
    assert repo_map.render("model client", 10, approx_tokens) == ""


def test_files_are_parsed_once_per_size_and_modification_time(project):
    repo_map = RepoMap()
    with ConfinedWorkspace(project) as workspace:
        repo_map.refresh(workspace)
        first, version = repo_map.parsed, repo_map.version
        repo_map.refresh(workspace)
        assert repo_map.parsed == first and repo_map.version == version, "nothing changed: nothing parsed"
        write(project, "memory/store.py", "class MemoryStore:\n    pass\n\nclass Renamed:\n    pass\n")
        write(project, "memory/new.py", "def fresh():\n    pass\n")
        (project / "README.md").unlink()
        repo_map.refresh(workspace)
    assert repo_map.parsed == first + 2
    assert repo_map.entry("memory/store.py").outline.symbols == ("MemoryStore", "Renamed")
    assert "memory/new.py" in repo_map.paths and "README.md" not in repo_map.paths


def test_a_3000_file_tree_is_not_parsed_again(tmp_path):
    for i in range(3000):
        write(tmp_path, f"pkg{i % 30}/mod_{i}.py", f"def function_{i}():\n    pass\n")
    repo_map = RepoMap()
    with ConfinedWorkspace(tmp_path) as workspace:
        repo_map.refresh(workspace)
        assert len(repo_map.paths) == 3000 and repo_map.parsed == 3000
        repo_map.refresh(workspace)
    assert repo_map.parsed == 3000
    text = repo_map.render("function_1234", 300, approx_tokens)
    assert "pkg4/mod_1234.py: function_1234" in text and approx_tokens(text) <= 300


def test_changed_files_are_updated_without_walking_the_tree(project, monkeypatch):
    repo_map = built(project)
    before = repo_map.parsed
    write(project, "memory/store.py", "class MemoryStore:\n    pass\n\ndef reopen():\n    pass\n")
    (project / "server/agent/model.py").unlink()
    repo_map.mark_changed(["memory/store.py", "server/agent/model.py", "linked.py", "../outside/secret.py"])
    assert repo_map.stale

    def no_walk(*args, **kwargs):
        raise AssertionError("update must not walk the tree")

    monkeypatch.setattr(repo_map_module, "visible_entries", no_walk)
    with ConfinedWorkspace(project) as workspace:
        repo_map.update(workspace)
    assert repo_map.parsed == before + 1 and not repo_map.stale
    assert repo_map.entry("memory/store.py").outline.symbols == ("MemoryStore", "reopen")
    assert "server/agent/model.py" not in repo_map.paths
    assert not {p for p in repo_map.paths if "linked" in p or "secret" in p}


def test_a_missing_name_finds_its_closest_existing_files(project):
    assert built(project).similar("agent_loop.py")[0] == "server/agent/loop.py"
    assert built(project).similar("zzz.py") == []


async def test_the_model_sees_the_map_after_the_system_prompt(project):
    model = ModelClient(ModelConfig(model="scripted/map", request_timeout=10))
    repo_map = built(project)
    agent = Agent(
        model=model,
        tools=workspace_registry(shell=False),
        tool_context=ToolContext.create(project),
        conversation=InMemoryConversation(),
        context=TruncatingContext(
            model.count_tokens,
            repo_map=lambda request, cap, worked: repo_map.render(request, cap, model.count_tokens, worked),
        ),
        observer=Quiet(),
        system_prompt="You are a test agent.",
        repo_map=repo_map,
    )
    with ScriptedModel(turns=["It is server/agent/loop.py."]) as script:
        await agent.run("Where is the agent loop?")
    messages = script.requests[0]["messages"]
    assert messages[0]["role"] == "system" and "<repository-map" not in messages[0]["content"]
    assert messages[1]["role"] == "user" and messages[1]["content"].startswith("<repository-map")
    assert "server/agent/loop.py: Agent, RepeatGuard" in messages[1]["content"]
    assert messages[-1]["content"] == "Where is the agent loop?"


class Quiet:
    def text(self, delta: str) -> None:
        pass

    def status(self, message: str) -> None:
        pass

    def step(self, number: int) -> None:
        pass


async def test_the_host_builds_the_map_at_each_run_start_and_follows_reported_changes(project, tmp_path):
    from cairn.server.agent.compose import open_agent_host
    from cairn.server.agent.host import RunPorts
    from cairn.server.agent.tools.context import FixedApprover, NoBuffers, RefusingSink
    from cairn.server.settings import Settings

    settings = Settings(model="scripted/host-map", memory_path=str(tmp_path / "memory.sqlite3"))
    host = await open_agent_host(project, settings, skills=False)
    ports = RunPorts(
        buffers=NoBuffers(), edits=RefusingSink(), approver=FixedApprover(False), observer=Quiet()
    )
    try:
        assert host.memory is not None and host.repo_map is not None and not host.repo_map.built
        with ScriptedModel(turns=["server/agent/loop.py", "memory/store.py"]) as script:
            await host.run("Where is the agent loop?", session_id=await host.new_session(), ports=ports)
            sent = script.requests[0]["messages"]
            block = next(m["content"] for m in sent if str(m["content"]).startswith("<repository-map"))
            assert "server/agent/loop.py: Agent, RepeatGuard" in block
            parsed = host.repo_map.parsed
            write(project, "memory/store.py", "class MemoryStore:\n    pass\n\nclass Snapshot:\n    pass\n")
            host.files_changed([(project / "memory/store.py").as_uri()])
            assert host.repo_map.stale
            await host.run("And the store?", session_id=await host.new_session(), ports=ports)
        assert host.repo_map.parsed == parsed + 1  # only the changed file, not the tree
        assert "memory/store.py: MemoryStore, Snapshot" in json_text(script.requests[1]["messages"])
    finally:
        await host.close()


def json_text(messages: list[dict]) -> str:
    return "\n".join(str(m.get("content")) for m in messages)


def test_the_heading_does_not_read_as_an_entry():
    # "Files of this workspace (path: constants, ...)" describes the format with an entry of its
    # own shape: the embedded 0.5B model, asked which file opens the database, answered
    # "`constants`" and tried to read it.
    import re

    assert not re.search(r"\b\w+: \w", HEADING)


def test_a_config_files_settings_are_shown_like_constants(tmp_path):
    write(tmp_path, "config/settings.ini", "[storage]\narchive_bucket = s3://shop-archive-use2  # nightly\n")
    write(tmp_path, "deploy/compose.yaml", "services:\n  db:\n    image: postgres:15.6-alpine3.19\n")
    text = built(tmp_path).render("the archive bucket", 2_000, approx_tokens)
    assert "config/settings.ini: archive_bucket = s3://shop-archive-use2" in text, text
    assert "deploy/compose.yaml: image = postgres:15.6-alpine3.19" in text, text


def test_files_the_earlier_sessions_worked_in_come_before_untouched_ones(tmp_path):
    """A new session continues the earlier ones' work: the files they read or changed (memory
    passes them as ``worked``) win the map's room when the request names none."""
    names = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    old = 1_700_000_000
    for name in names:
        write(tmp_path, f"pkg/{name}.py", f"def {name}_helper():\n    pass\n")
        os.utime(tmp_path / f"pkg/{name}.py", (old, old))
    repo_map = built(tmp_path)
    plain = repo_map.render("pick up where we left off", 70, approx_tokens)
    assert "pkg/india.py" not in plain, plain
    worked = repo_map.render("pick up where we left off", 70, approx_tokens, ["pkg/india.py", "gone.py"])
    assert "pkg/india.py: india_helper" in worked, worked
    # A request that names a file still comes first.
    named = repo_map.render("look at the kilo helper", 70, approx_tokens, ["pkg/india.py"])
    assert "pkg/kilo.py: kilo_helper" in named, named


DESCRIBED_PY = '''"""Talks to the provider."""

# Seconds without stream data before the call counts as stalled.
STALL_SECONDS = 30
RETRIES = 3  # attempts before giving up


class StreamStalled(Exception):
    """Raised when no stream data arrived within the stall timeout. More text here."""


def _hidden():
    """A private helper that also mentions stream data."""


def plain():
    return 1
'''


def test_definitions_say_what_they_are_for():
    """A docstring's first sentence, the comment above a constant or after it on its line."""
    assert dict(outline("provider.py", DESCRIBED_PY).described) == {
        "STALL_SECONDS": "Seconds without stream data before the call counts as stalled.",
        "RETRIES": "attempts before giving up",
        "StreamStalled": "Raised when no stream data arrived within the stall timeout.",
        "_hidden": "A private helper that also mentions stream data.",
    }


def test_a_request_that_describes_behaviour_finds_the_code_and_names_the_definition(tmp_path):
    """Asked by what code does, not by its name: the file that has the behaviour comes first
    (before the test describing it in the same words), and the definition's line says what it
    is for, so a small model can name it instead of restating the question."""
    write(tmp_path, "agent/provider.py", DESCRIBED_PY)
    write(tmp_path, "agent/other.py", '"""Formats answers."""\n\ndef render():\n    pass\n')
    write(
        tmp_path,
        "tests/test_provider.py",
        '"""The exception raised when no stream data arrived within the stall timeout."""\n\n'
        "def test_stalled():\n    pass\n",
    )
    request = "Which exception is raised when no data arrives on the stream within the timeout?"
    lines = built(tmp_path).render(request, 2_000, approx_tokens).splitlines()
    assert lines[1].startswith("agent/provider.py: STALL_SECONDS = 30, RETRIES = 3, StreamStalled, plain")
    assert lines[2] == "  - StreamStalled: Raised when no stream data arrived within the stall timeout."
    assert lines.index(next(l for l in lines if l.startswith("tests/test_provider.py"))) > 2
    assert not any("_hidden" in line for line in lines)
    # Asked about the tests, the test file is not held back.
    about_tests = built(tmp_path).render("the test for a stalled stream timeout", 2_000, approx_tokens)
    assert about_tests.splitlines()[1].startswith("tests/test_provider.py")


def test_comments_say_what_definitions_are_for_in_other_languages():
    """Without docstrings, the comment block above a definition (JSDoc, ``//``, Lua ``---``) and
    the file's opening comment are what the map ranks by and shows."""
    ts = outline(
        "src/serverLaunch.ts",
        "/**\n * Finding the command that starts the server.\n * More detail.\n */\nimport x from 'y';\n\n"
        "/** Every way to start the server, best first. */\nexport function launchCandidates() {}\n\n"
        "// Runs one probe.\n// Second line.\nexport async function probe() {}\n\nexport class Bare {}\n",
    )
    assert ts.summary == "Finding the command that starts the server."
    assert dict(ts.described) == {
        "launchCandidates": "Every way to start the server, best first.",
        "probe": "Runs one probe.",
    }
    lua = outline(
        "lua/compat.lua",
        "-- Differences between Neovim versions in one place.\nlocal M = {}\n\n"
        "--- Send a request through `client`.\nfunction M.request(client) end\n",
    )
    assert lua.summary == "Differences between Neovim versions in one place."
    assert lua.described == (("M.request", "Send a request through `client`."),)
    shell = outline("run.sh", "#!/bin/sh\n# Starts the release.\n\n# Prints usage.\nusage() {\n  echo\n}\n")
    assert shell.summary == "Starts the release." and shell.described == (("usage", "Prints usage."),)
    elisp = outline("cairn.el", ";;;###autoload\n(defun cairn-chat ()\n  nil)\n")
    assert elisp.symbols == ("cairn-chat",) and elisp.described == ()
