"""Code actions over the wire, with VS Code's (command up front) and Neovim 0.11's (command
resolved lazily) capabilities.

The raw client reads the JSON itself: lsprotocol's client-side converter structures any
CodeAction that has a ``command`` field as a bare Command, dropping its kind.
"""

from __future__ import annotations

import pytest
from lsprotocol import converters
from pytest_lsp import client_capabilities

from tests.support.rawclient import RawServer

SOURCE = "def add(a, b):\n    return a + b\n"
DIAGNOSTIC = {
    "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 10}},
    "message": "Undefined name 'c'",
    "severity": 1,
    "source": "pyflakes",
}
WHOLE_DEF = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 16}}
CURSOR = {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 2}}


def capabilities(preset: str) -> dict:
    return converters.get_converter().unstructure(client_capabilities(preset))


@pytest.fixture(params=["visual-studio-code", "neovim@v0.11.0"])
async def session(request, tmp_path):
    (tmp_path / "mod.py").write_text(SOURCE)
    server = await RawServer.start()
    await server.initialize(tmp_path, capabilities=capabilities(request.param))
    uri = (tmp_path / "mod.py").as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
    )
    yield server, uri, request.param
    await server.kill()


async def actions_for(server: RawServer, uri: str, rng: dict, diagnostics=(), only=None) -> list[dict]:
    context = {"diagnostics": list(diagnostics)}
    if only:
        context["only"] = only
    response = await server.request(
        "textDocument/codeAction", {"textDocument": {"uri": uri}, "range": rng, "context": context}
    )
    return response["result"]


async def command_of(server: RawServer, action: dict) -> dict:
    if "command" in action:
        return action["command"]
    resolved = (await server.request("codeAction/resolve", action))["result"]
    return resolved["command"]


async def test_all_kinds_offered_and_commands_carry_the_context(session):
    server, uri, preset = session
    actions = await actions_for(server, uri, WHOLE_DEF, [DIAGNOSTIC])
    by_kind = {action["kind"]: action for action in actions}
    assert set(by_kind) == {
        "quickfix",
        "refactor.cairn.explain",
        "refactor.cairn.rewrite",
        "refactor.cairn.docstring",
        "source.cairn.tests",
    }
    lazy = preset.startswith("neovim")
    assert all(("command" in action) is not lazy for action in actions)
    fix = by_kind["quickfix"]
    assert "Undefined name" in fix["title"] and fix["diagnostics"][0]["message"] == DIAGNOSTIC["message"]
    command = await command_of(server, fix)
    assert command["command"] == "cairn.runAction"
    arguments = command["arguments"][0]
    assert arguments["action"] == "fix" and arguments["uri"] == uri
    assert arguments["diagnostics"][0]["message"] == "Undefined name 'c'"
    assert arguments["range"] == DIAGNOSTIC["range"]
    explain = await command_of(server, by_kind["refactor.cairn.explain"])
    assert explain["arguments"][0] == {"action": "explain", "uri": uri, "range": WHOLE_DEF}


async def test_only_filter_is_hierarchical(session):
    server, uri, _ = session
    refactors = await actions_for(server, uri, WHOLE_DEF, only=["refactor"])
    assert {a["kind"] for a in refactors} == {
        "refactor.cairn.explain",
        "refactor.cairn.rewrite",
        "refactor.cairn.docstring",
    }
    source = await actions_for(server, uri, WHOLE_DEF, only=["source"])
    assert {a["kind"] for a in source} == {"source.cairn.tests"}
    quickfix = await actions_for(server, uri, WHOLE_DEF, [DIAGNOSTIC], only=["quickfix"])
    assert [a["kind"] for a in quickfix] == ["quickfix"]


async def test_cursor_without_selection_or_definition(session):
    server, uri, _ = session
    kinds = {a["kind"] for a in await actions_for(server, uri, CURSOR)}
    assert kinds == {"refactor.cairn.explain", "source.cairn.tests"}


async def test_run_action_arguments_validate_against_the_contract(session):
    """What code actions send must be accepted by the command's own argument model."""
    from cairn.server.command_args import RunActionArgs

    server, uri, _ = session
    for action in await actions_for(server, uri, WHOLE_DEF, [DIAGNOSTIC]):
        RunActionArgs.model_validate((await command_of(server, action))["arguments"][0])
