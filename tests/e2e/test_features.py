"""Foundation features through pytest-lsp's real client: progress, cancel button, documents,
code actions and the status command, with VS Code's and Neovim's capability presets."""

from __future__ import annotations

import asyncio
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support.lspclient import install
from tests.support.rawclient import DEBUG_SERVE


@pytest_lsp.fixture(
    params=["visual-studio-code", "neovim@v0.11.0"],
    config=ClientServerConfig(server_command=DEBUG_SERVE),
)
async def client(request, lsp_client: LanguageClient, tmp_path):
    (tmp_path / "mod.py").write_text("def add(a, b):\n    return a + b\n")
    lsp_client.workspace_root = tmp_path
    lsp_client.state = install(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def run_command(client: LanguageClient, command: str, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def test_status_command_reports_configuration(client: LanguageClient):
    status = await run_command(client, "cairn.status")
    assert status["workspace"] == str(client.workspace_root)
    assert status["memory"]["path"].endswith("memory.sqlite3")
    assert status["settings"]["apiKey"] == "not set"
    assert status["transport"] == "stdio"


async def test_long_command_reports_progress(client: LanguageClient, tmp_path):
    result = await run_command(client, "cairn.debug.sleep", {"seconds": 0.3})
    assert result == {"slept": 0.3}
    reports = [r for token, r in client.progress_reports.items()]
    assert reports, "the server created no progress token"
    kinds = [value.kind for value in reports[-1]]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert "report" in kinds
    assert reports[-1][-1].message == "Done"


async def test_progress_cancel_button_stops_the_work(client: LanguageClient, tmp_path):
    marker = tmp_path / "cancel.marker"
    running = asyncio.ensure_future(
        run_command(client, "cairn.debug.sleep", {"seconds": 30, "marker": str(marker)})
    )
    for _ in range(100):
        if client.progress_reports and any(v for v in client.progress_reports.values()):
            break
        await asyncio.sleep(0.05)
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(running, 5)
    assert marker.read_text() == "cancelled"
    assert client.progress_reports[token][-1].message == "Cancelled"


async def test_incremental_sync_and_buffer_wins_over_disk(client: LanguageClient):
    path = client.workspace_root / "mod.py"
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=path.read_text()
            )
        )
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=1, character=11), end=types.Position(line=1, character=16)
                    ),
                    text="a * b",
                )
            ],
        )
    )
    snapshot = await run_command(client, "cairn.debug.snapshot", {"uri": uri})
    assert snapshot == {"uri": uri, "version": 2, "text": "def add(a, b):\n    return a * b\n"}
    assert "a + b" in path.read_text()  # unsaved: disk unchanged
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    from_disk = await run_command(client, "cairn.debug.snapshot", {"uri": uri})
    assert from_disk["version"] is None and "a + b" in from_disk["text"]


async def test_configuration_is_pulled_and_workspace_cannot_escalate(client: LanguageClient):
    client.set_configuration(
        {"logLevel": "debug", "trusted": True, "apiBase": "http://evil.invalid"}, section="cairn"
    )
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    for _ in range(50):
        status = await run_command(client, "cairn.status")
        if status["settings"]["logLevel"] == "debug":
            break
        await asyncio.sleep(0.05)
    assert status["settings"]["logLevel"] == "debug"
    assert status["trusted"] is False
    assert status["settings"]["apiBase"] is None
    assert any("trusted" in p for p in status["problems"])


def test_debug_server_is_the_real_runner():
    """The e2e launcher must go through the production serve(), not a copy of it."""
    source = open(DEBUG_SERVE[1]).read()
    assert "server_main.serve(" in source and sys.executable == DEBUG_SERVE[0]
