"""The WorkspaceEdit an edit proposal becomes, for what the client negotiated and declared."""

from __future__ import annotations

from types import SimpleNamespace

from lsprotocol import types
from pygls.workspace import Workspace

from cairn.server.agent.tools.context import EditProposal
from cairn.server.lsp.edits import ANNOTATION_ID, LspEditSink

URI = "file:///ws/a.py"


def _workspace_edit(
    edit_caps: types.WorkspaceEditClientCapabilities,
    encoding: types.PositionEncodingKind = types.PositionEncodingKind.Utf16,
    base: str = "a = 1\n",
    new: str = "a = 2\n",
) -> types.WorkspaceEdit | None:
    server = SimpleNamespace(
        client_capabilities=types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(apply_edit=True, workspace_edit=edit_caps)
        ),
        workspace=Workspace(None, position_encoding=encoding),
    )
    sink = LspEditSink(server, root=None)
    proposal = EditProposal("a.py", base, None, new, "change a")
    return sink._workspace_edit(proposal, URI, None)


def test_a_client_without_document_changes_gets_plain_text_edits_even_with_annotation_support():
    # changeAnnotations only exist next to documentChanges: an AnnotatedTextEdit in a plain
    # `changes` map would name an annotation the client is never sent.
    edit = _workspace_edit(types.WorkspaceEditClientCapabilities(change_annotation_support=True))
    assert edit is not None and edit.document_changes is None and edit.change_annotations is None
    assert edit.changes is not None
    assert [type(e) for e in edit.changes[URI]] == [types.TextEdit]


def test_document_changes_with_annotation_support_ask_for_confirmation():
    caps = types.WorkspaceEditClientCapabilities(
        document_changes=True, change_annotation_support=types.ChangeAnnotationsSupportOptions()
    )
    edit = _workspace_edit(caps)
    assert edit is not None and edit.document_changes is not None and edit.change_annotations is not None
    (change,) = edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.edits
    assert all(isinstance(e, types.AnnotatedTextEdit) for e in change.edits)
    assert {e.annotation_id for e in change.edits} == {ANNOTATION_ID}
    assert edit.change_annotations[ANNOTATION_ID].needs_confirmation


def test_positions_are_counted_in_the_encoding_the_client_negotiated():
    # The last line has no newline, so the edit ends inside it: 'é' is 2 UTF-8 bytes and
    # '😀' 4, but 1 and 2 UTF-16 units.
    base, new = "x = 'é😀'", "x = 1"
    caps = types.WorkspaceEditClientCapabilities()
    ends = {}
    for encoding in (types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16):
        edit = _workspace_edit(caps, encoding, base, new)
        assert edit is not None and edit.changes is not None
        (text_edit,) = edit.changes[URI]
        ends[encoding] = text_edit.range.end.character
    assert ends == {types.PositionEncodingKind.Utf8: 12, types.PositionEncodingKind.Utf16: 9}


async def test_edits_are_sent_to_a_client_that_opted_in_without_declaring_apply_edit(tmp_path):
    (tmp_path / "a.py").write_text("a = 1\n", encoding="utf-8")
    sent: list[types.ApplyWorkspaceEditParams] = []

    async def apply_edit(params):
        sent.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    server = SimpleNamespace(
        client_capabilities=types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(apply_edit=False)
        ),
        channels=SimpleNamespace(apply_edit=True),
        documents=SimpleNamespace(open_snapshot=lambda path: None),
        workspace=Workspace(None),
        workspace_apply_edit_async=apply_edit,
    )
    outcome = await LspEditSink(server, root=tmp_path).apply(
        EditProposal("a.py", "a = 1\n", None, "a = 2\n", "change a")
    )
    assert outcome.status == "applied" and len(sent) == 1
    server.channels.apply_edit = False
    outcome = await LspEditSink(server, root=tmp_path).apply(
        EditProposal("a.py", "a = 1\n", None, "a = 2\n", "change a")
    )
    assert outcome.status == "failed" and len(sent) == 1
