"""Cairn in editors that know nothing of it (eglot, lsp-mode, ALE): only standard LSP reaches them.

The client here opts in to nothing Cairn-specific. Runs must return at once, show their outcome
through `window/showDocument` / `window/showMessage`, ask through prompts that may be refused,
dismissed or never answered, and work with no workspace folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.generic import SHOWS_DOCUMENTS, CommandError, generic_session

pytestmark = pytest.mark.asyncio

SHELL_TURN = {"tool_calls": [{"name": "run_command", "arguments": {"command": "echo hello > ran.txt"}}]}
TRUSTED = {"settings": {"trusted": True}}


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "mod.py").write_text("def add(a, b):\n    return a + b\n")
    return root


def tool_names(request: dict) -> set[str]:
    return {tool["function"]["name"] for tool in request.get("tools") or []}


def tool_results(request: dict) -> list[str]:
    return [str(m.get("content")) for m in request["messages"] if m["role"] == "tool"]


async def test_chat_returns_at_once_and_the_outcome_opens_as_a_transcript(tmp_path, workspace):
    turns = [SHELL_TURN, {"chunks": ["The answer ", "is 42."]}]
    async with generic_session(
        tmp_path / "g",
        workspace,
        turns,
        capabilities=SHOWS_DOCUMENTS,
        options=TRUSTED,
        hold={"window/showMessageRequest"},
    ) as g:
        g.server.auto_reply["window/showDocument"] = {"success": True}
        started = await g.command("cairn.chat", {"prompt": "What is the answer?"})
        assert started["status"] == "started" and started["runId"] and started["sessionId"]
        # the run now waits for the user's answer: the command did not wait for the run
        prompt = await g.server_request("window/showMessageRequest")
        running = await g.command("cairn.result", {"runId": started["runId"]})
        assert running["status"] == "running"
        g.server.reply(prompt["id"], {"title": "Run"})

        shown = (await g.server_request("window/showDocument"))["params"]
        transcript = Path(shown["uri"].removeprefix("file://"))
        assert transcript.is_relative_to(g.data_dir) and not transcript.is_relative_to(workspace)
        text = transcript.read_text()
        assert "What is the answer?" in text and "The answer is 42." in text and "echo hello" in text
        message = await g.message(lambda p: p["type"] == 3 and "Cairn" in p["message"])
        assert "\n" not in message["message"]

        outcome = await g.command("cairn.result", {"runId": started["runId"]})
        assert outcome["status"] == "done" and outcome["text"] == "The answer is 42."
        assert outcome["tools"] == ["run_command"] and outcome["transcript"] == str(transcript)
        assert (workspace / "ran.txt").exists()
        assert not g.notifications("cairn/stream")  # not opted in: no custom notification
        token = (await g.server_request("window/workDoneProgress/create"))["params"]["token"]
        kinds = [p["value"]["kind"] for p in g.notifications("$/progress") if p["token"] == token]
        assert kinds[0] == "begin" and kinds[-1] == "end"


async def test_an_answer_reaches_a_client_without_show_document(tmp_path, workspace):
    async with generic_session(tmp_path / "g", workspace, ["Short answer."]) as g:
        started = await g.command("cairn.chat", {"prompt": "Say something"})
        message = await g.message(lambda p: "Short answer." in p["message"])
        assert message["type"] == 3
        assert (await g.command("cairn.result", {}))["runId"] == started["runId"]  # the latest run
        assert not [r for r in g.server.server_requests if r["method"] == "window/showDocument"]


async def test_no_model_configured_is_shown_to_a_generic_client(tmp_path, workspace):
    async with generic_session(
        tmp_path / "g", workspace, env={"CAIRN_MODEL": "", "CAIRN_LOCAL_MODEL": "off"}
    ) as g:
        started = await g.command("cairn.chat", {"prompt": "hello"})
        message = await g.message(lambda p: p["type"] == 1)
        assert "No model is configured" in message["message"]
        outcome = await g.command("cairn.result", {"runId": started["runId"]})
        assert outcome["status"] == "error" and "No model is configured" in outcome["error"]
        logged = g.notifications("window/logMessage")
        assert not [p for p in logged if "Traceback" in p["message"] or p["type"] == 1]


async def test_code_action_run_returns_at_once(tmp_path, workspace):
    async with generic_session(
        tmp_path / "g", workspace, [{"chunks": ["It adds."]}], capabilities=SHOWS_DOCUMENTS
    ) as g:
        g.server.auto_reply["window/showDocument"] = {"success": True}
        uri = g.open(workspace / "mod.py")
        rng = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}
        started = await g.command("cairn.runAction", {"action": "explain", "uri": uri, "range": rng})
        assert started["status"] == "started"
        shown = (await g.server_request("window/showDocument"))["params"]
        assert "It adds." in Path(shown["uri"].removeprefix("file://")).read_text()


@pytest.mark.parametrize("answer", ["refused", "dismissed", "unanswered"])
async def test_an_approval_that_is_not_given_declines_and_the_run_goes_on(tmp_path, workspace, answer):
    turns = [SHELL_TURN, "I did not run it.", "Second answer."]
    options = {"settings": {"trusted": True, "approvalTimeout": 0.5}, "streamNotifications": True}
    async with generic_session(
        tmp_path / "g",
        workspace,
        turns,
        options=options,
        hold={"window/showMessageRequest"} if answer == "unanswered" else set(),
        refuse={"window/showMessageRequest": {"code": -32601, "message": "unsupported"}}
        if answer == "refused"
        else {},
    ) as g:
        first = await g.command("cairn.chat", {"prompt": "run it", "streamId": "first"})
        done = await g.server.wait_for(
            lambda m: m["method"] == "cairn/stream" and m["params"]["kind"] == "done", 60
        )
        assert done["params"]["streamId"] == "first"
        outcome = await g.command("cairn.result", {"runId": first["runId"]})
        assert outcome["status"] == "done" and outcome["text"] == "I did not run it."
        assert not (workspace / "ran.txt").exists()
        assert "declined" in tool_results(g.requests()[1])[0]
        prompt = (await g.server_request("window/showMessageRequest"))["params"]["message"]
        assert prompt.startswith("Cairn wants to run `echo hello > ran.txt` in the workspace folder.")
        assert "in . " not in prompt and "in .." not in prompt
        if answer == "unanswered":  # the prompt is withdrawn
            held = next(r for r in g.server.server_requests if r["method"] == "window/showMessageRequest")
            assert {"id": held["id"]} in g.notifications("$/cancelRequest")
        # the session is free again: the next chat is not refused
        await g.command("cairn.chat", {"prompt": "again", "streamId": "second"})
        await g.server.wait_for(
            lambda m: (
                m["method"] == "cairn/stream"
                and m["params"] == {"streamId": "second", "kind": "done", "text": ""}
            ),
            60,
        )
        assert (await g.command("cairn.result", {"runId": "second"}))["text"] == "Second answer."


@pytest.mark.parametrize("with_git", [True, False])
async def test_a_file_opened_without_a_workspace_gives_the_agent_tools(tmp_path, with_git):
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    if with_git:
        (project / ".git").mkdir()
    source = project / "pkg" / "mod.py"
    source.write_text("VALUE = 7\n")
    turns = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "mod.py"}}]}, "Seven."]
    async with generic_session(tmp_path / "g", None, turns, options={"streamNotifications": True}) as g:
        uri = g.open(source)
        status = await g.command("cairn.status")
        expected = project if with_git else project / "pkg"
        assert status["workspace"] == str(expected)
        await g.command("cairn.chat", {"prompt": "What is VALUE?", "uri": uri, "streamId": "c"})
        await g.server.wait_for(lambda m: m["method"] == "cairn/stream" and m["params"]["kind"] == "done", 60)
        first = g.requests()[0]
        assert "read_file" in tool_names(first)
        if not with_git:
            assert "VALUE = 7" in tool_results(g.requests()[1])[0]


async def test_a_status_poll_before_any_file_leaves_the_workspace_to_the_first_file(tmp_path):
    """VS Code's status bar asks for the status as soon as the server starts, before the user
    opens a file in a window with no folder: that poll must not settle "no workspace"."""
    project = tmp_path / "loose"
    project.mkdir()
    source = project / "loose.py"
    source.write_text("VALUE = 7\n")
    turns = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "loose.py"}}]}, "Seven."]
    async with generic_session(tmp_path / "g", None, turns, options={"streamNotifications": True}) as g:
        before = await g.command("cairn.status")
        assert before["workspace"] is None and before["workspacePending"] is True
        uri = g.open(source)
        await g.command("cairn.chat", {"prompt": "What is VALUE?", "uri": uri, "streamId": "c"})
        await g.server.wait_for(lambda m: m["method"] == "cairn/stream" and m["params"]["kind"] == "done", 60)
        assert "read_file" in tool_names(g.requests()[0])
        assert "VALUE = 7" in tool_results(g.requests()[1])[0]
        after = await g.command("cairn.status")
        assert after["workspace"] == str(project) and "workspacePending" not in after


async def test_a_client_without_code_action_literals_gets_commands(tmp_path, workspace):
    async with generic_session(tmp_path / "g", workspace) as g:
        uri = g.open(workspace / "mod.py")
        response = await g.server.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                "context": {"diagnostics": []},
            },
        )
        items = response["result"]
        assert items and all(set(item) <= {"title", "command", "arguments", "tooltip"} for item in items)
        assert {item["command"] for item in items} == {"cairn.runAction"}


async def test_user_errors_are_logged_as_one_line_records(tmp_path, workspace):
    async with generic_session(tmp_path / "g", workspace) as g:
        with pytest.raises(CommandError, match="Invalid arguments"):
            await g.command("cairn.chat", {"prompt": 5})
        await g.command("cairn.status")
        logged = g.notifications("window/logMessage")
        refused = [p for p in logged if "cairn.chat" in p["message"]]
        assert refused and all(p["type"] != 1 and "\n" not in p["message"] for p in refused)
        assert not [p for p in logged if "Traceback" in p["message"]]


async def test_nothing_is_written_after_exit(tmp_path, workspace):
    async with generic_session(tmp_path / "g", workspace) as g:
        await g.command("cairn.status")
        assert (await g.server.request("shutdown"))["result"] is None
        before = len(g.server.notifications)
        g.server.notify("exit")
        assert await g.server.wait_exit(5) == 0
        stderr = (await g.server.stderr_text()).strip().splitlines()
        assert "Shutdown requested" in stderr[-1], stderr[-3:]
        assert len(g.server.notifications) == before


async def test_file_watching_is_limited_to_source_files(tmp_path, workspace):
    capabilities = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}}
    async with generic_session(tmp_path / "g", workspace, capabilities=capabilities) as g:
        request = await g.server_request("client/registerCapability")
        watchers = [
            w
            for r in request["params"]["registrations"]
            if r["method"] == "workspace/didChangeWatchedFiles"
            for w in r["registerOptions"]["watchers"]
        ]
        assert watchers and all(w["globPattern"] not in ("**/*", "**") for w in watchers)
        assert all("*.{" in w["globPattern"] and "py" in w["globPattern"] for w in watchers)


async def test_workspace_configuration_is_pulled_once_at_start_up(tmp_path, workspace):
    capabilities = {"workspace": {"configuration": True, "didChangeConfiguration": {}}}
    async with generic_session(tmp_path / "g", workspace, capabilities=capabilities) as g:
        g.server.notify("workspace/didChangeConfiguration", {"settings": None})  # as eglot does
        await g.command("cairn.status")
        pulls = [r for r in g.server.server_requests if r["method"] == "workspace/configuration"]
        assert len(pulls) == 1
