"""What a real editor's client does that pytest-lsp's does not by default.

Registers handlers for the server-to-client requests Cairn sends (dynamic registration,
applyEdit that really edits the client's copy of the buffer, showMessageRequest answered by
the test) and collects `cairn/stream` events per stream id.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lsprotocol import types
from pytest_lsp import LanguageClient


class ClientState:
    """The editor side of a test session."""

    def __init__(self) -> None:
        self.registrations: list[types.Registration] = []
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []
        self.buffers: dict[str, list[str]] = {}  # uri -> lines (with endings) of open documents
        self.versions: dict[str, int] = {}
        self.streams: dict[str, list[dict]] = defaultdict(list)
        self.stream_done: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.message_requests: list[types.ShowMessageRequestParams] = []
        self.message_answer: str | None = None  # the button title the "user" clicks
        self.accept_edits = True
        # called with each applyEdit before it is applied; a string return refuses it
        self.before_apply: Callable[[types.ApplyWorkspaceEditParams], str | None] | None = None

    def text(self, uri: str) -> str:
        return "".join(self.buffers[uri])

    def streamed_text(self, stream_id: str) -> str:
        return "".join(e["text"] for e in self.streams[stream_id] if e["kind"] == "text")


def _apply(
    lines: list[str], edit: types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit
) -> list[str]:
    if isinstance(edit, types.SnippetTextEdit):
        raise AssertionError("the server sent a snippet edit; this client never declared support")
    text = "".join(lines)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return starts[position.line] + position.character  # ASCII test files: units == chars

    start, end = offset(edit.range.start), offset(edit.range.end)
    updated = text[:start] + edit.new_text + text[end:]
    return updated.splitlines(keepends=True)


def install(client: LanguageClient) -> ClientState:
    """Attach editor behaviour to ``client``; returns the state the test inspects."""
    state = ClientState()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        state.registrations.extend(params.registrations)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        state.applied_edits.append(params)
        if not state.accept_edits:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="declined by the test user")
        if state.before_apply is not None:
            refusal = state.before_apply(params)
            if refusal:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason=refusal)
        changes = list(params.edit.document_changes or [])
        for uri, edits in (params.edit.changes or {}).items():  # the unversioned form
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                    edits=edits,
                )
            )
        for change in changes:
            if isinstance(change, types.CreateFile):
                path = Path(urlparse(change.uri).path)
                if path.exists():
                    return types.ApplyWorkspaceEditResult(applied=False, failure_reason="exists")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
            elif isinstance(change, types.TextDocumentEdit):
                uri = change.text_document.uri
                if uri not in state.buffers:  # a closed file: the editor edits it on disk
                    path = Path(urlparse(uri).path)
                    lines = path.read_text().splitlines(keepends=True)
                    for edit in sorted(
                        change.edits,
                        key=lambda e: (e.range.start.line, e.range.start.character),
                        reverse=True,
                    ):
                        lines = _apply(lines, edit)
                    path.write_text("".join(lines))
                else:
                    if (
                        change.text_document.version is not None
                        and change.text_document.version != state.versions[uri]
                    ):
                        return types.ApplyWorkspaceEditResult(
                            applied=False, failure_reason="version mismatch"
                        )
                    for edit in sorted(
                        change.edits,
                        key=lambda e: (e.range.start.line, e.range.start.character),
                        reverse=True,
                    ):
                        state.buffers[uri] = _apply(state.buffers[uri], edit)
                    state.versions[uri] += 1
                    client.text_document_did_change(
                        types.DidChangeTextDocumentParams(
                            text_document=types.VersionedTextDocumentIdentifier(
                                uri=uri, version=state.versions[uri]
                            ),
                            content_changes=[
                                types.TextDocumentContentChangeWholeDocument(text=state.text(uri))
                            ],
                        )
                    )
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        state.message_requests.append(params)
        if state.message_answer is None:
            return None
        return types.MessageActionItem(title=state.message_answer)

    @client.feature("cairn/stream")
    def stream(params: Any) -> None:
        event = params._asdict() if hasattr(params, "_asdict") else dict(params)
        state.streams[event["streamId"]].append(event)
        if event["kind"] == "done":
            state.stream_done[event["streamId"]].set()

    return state


def open_document(
    client: LanguageClient, state: ClientState, uri: str, text: str, language: str = "python"
) -> None:
    state.buffers[uri] = text.splitlines(keepends=True)
    state.versions[uri] = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
        )
    )
