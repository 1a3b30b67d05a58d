"""Edit proposals become WorkspaceEdits applied by the editor (never written behind its back).

Before sending, the document must still be exactly what the proposal was computed from (same
buffer version and text, or same disk text for closed files); otherwise the proposal is
``stale`` and the tool re-reads and redoes it. Versioned TextDocumentEdits let the editor refuse
too if the user types in between. Where the client supports change annotations, every edit asks
for confirmation (VS Code shows its refactor preview).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types

from cairn.server.agent.tools.context import ApplyOutcome, EditProposal
from cairn.server.agent.tools.textedits import PositionEncoding, TextEditSpan, text_edits
from cairn.server.lsp.documents import path_to_uri
from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)

ANNOTATION_ID = "cairn.agentEdit"
# The encodings text_edits() counts in, by the name the client negotiated (LSP 3.17).
POSITION_ENCODINGS: dict[str, PositionEncoding] = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


class LspEditSink:
    """The `EditSink` of an editor session: ``workspace/applyEdit`` after a version check."""

    def __init__(
        self,
        server: CairnServer,
        root: Path,
        on_outcome: Callable[[EditProposal, ApplyOutcome], None] | None = None,
    ) -> None:
        self._server = server
        self._root = root
        self._on_outcome = on_outcome  # the run's record of what became of each edit

    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        outcome = await self._apply(proposal)
        if self._on_outcome is not None:
            self._on_outcome(proposal, outcome)
        return outcome

    async def _apply(self, proposal: EditProposal) -> ApplyOutcome:
        if not self._server.channels.apply_edit:
            return ApplyOutcome("failed", "this editor does not accept edits from the server")
        path = self._root / proposal.path
        uri = path_to_uri(path)
        stale = await self._staleness(proposal, path)
        if stale:
            return ApplyOutcome("stale", stale)
        opened = self._server.documents.open_snapshot(path)
        edit = self._workspace_edit(proposal, uri, opened.version if opened else None)
        if edit is None:
            return ApplyOutcome("failed", "this editor cannot create files from the server")
        try:
            result = await self._server.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=edit, label=f"Cairn: {proposal.description}"[:200])
            )
        except Exception as exc:  # the client answered with an error
            return ApplyOutcome("failed", f"the editor could not apply the edit: {exc}")
        if result.applied:
            return ApplyOutcome("applied")
        if await self._staleness(proposal, path):
            return ApplyOutcome("stale", "the document changed while the edit was being applied")
        return ApplyOutcome("rejected", result.failure_reason or "the user did not apply the edit")

    async def _staleness(self, proposal: EditProposal, path: Path) -> str | None:
        """Why the document no longer matches the proposal's base, or None when it does."""
        opened = self._server.documents.open_snapshot(path)
        if opened is not None:
            if proposal.creates_file:
                return "the file is already open in the editor"
            if opened.version != proposal.base_version or opened.text != proposal.base_text:
                return "the document changed in the editor since it was read"
            return None
        exists = await asyncio.to_thread(path.exists)
        if proposal.creates_file:
            return "the file exists now" if exists else None
        if not exists:
            return "the file no longer exists"
        try:
            disk = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return f"the file cannot be read again: {exc}"
        return None if disk == proposal.base_text else "the file changed on disk since it was read"

    def _workspace_edit(
        self, proposal: EditProposal, uri: str, version: int | None
    ) -> types.WorkspaceEdit | None:
        workspace = self._server.client_capabilities.workspace
        edit_caps = workspace.workspace_edit if workspace else None
        resource_ops = set(edit_caps.resource_operations or []) if edit_caps else set()
        # The negotiated encoding is a str-valued enum (whose str() is "PositionEncodingKind.Utf8")
        # or a plain string: compare by value, or edits on non-ASCII lines land in the wrong column.
        negotiated = self._server.workspace.position_encoding
        name = negotiated.value if isinstance(negotiated, types.PositionEncodingKind) else negotiated
        encoding = POSITION_ENCODINGS.get(name or "utf-16", "utf-16")
        spans = text_edits(proposal.base_text, proposal.new_text, encoding)
        if proposal.creates_file:
            # Resource operations only exist inside documentChanges: a client that lists
            # "create" (Neovim does, without declaring documentChanges) accepts them there.
            if types.ResourceOperationKind.Create not in resource_ops:
                return None
        elif not (edit_caps and edit_caps.document_changes):
            # A plain `changes` map holds TextEdits only: annotations live in documentChanges.
            plain = [types.TextEdit(range=_range(span), new_text=span.new_text) for span in spans]
            return types.WorkspaceEdit(changes={uri: plain})
        annotate = bool(edit_caps and edit_caps.change_annotation_support)
        annotation = ANNOTATION_ID if annotate else None
        changes: list[types.TextDocumentEdit | types.CreateFile] = []
        if proposal.creates_file:
            changes.append(
                types.CreateFile(
                    uri=uri,
                    options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False),
                    annotation_id=annotation,
                )
            )
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=[_text_edit(span, annotation) for span in spans],
            )
        )
        annotations = None
        if annotate:
            annotations = {
                ANNOTATION_ID: types.ChangeAnnotation(
                    label="Cairn edit", needs_confirmation=True, description=proposal.description
                )
            }
        return types.WorkspaceEdit(document_changes=changes, change_annotations=annotations)


def _range(span: TextEditSpan) -> types.Range:
    return types.Range(
        start=types.Position(line=span.start_line, character=span.start_character),
        end=types.Position(line=span.end_line, character=span.end_character),
    )


def _text_edit(span: TextEditSpan, annotation: str | None = None) -> types.TextEdit | types.AnnotatedTextEdit:
    """The LSP edit of one span, annotated (the user confirms it) when ``annotation`` is set."""
    if annotation:
        return types.AnnotatedTextEdit(range=_range(span), new_text=span.new_text, annotation_id=annotation)
    return types.TextEdit(range=_range(span), new_text=span.new_text)
