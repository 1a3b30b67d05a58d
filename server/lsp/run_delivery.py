"""A run's output, sent through the channels this client has (practice 17).

While the run goes: its steps to the work-done progress (when the client has it) and its text
and status lines to `cairn/stream` (when the client opted in), all recorded in the run's record.
When it ends: a streaming client gets ``error`` (if any) then ``done``; any other client gets a
markdown transcript opened with `window/showDocument` beside the code (when it can) and a
`window/showMessage`: errors as errors, otherwise one line (or, without showDocument, the
answer itself, which would otherwise be invisible).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types

from cairn.server.lsp import transcripts
from cairn.server.lsp.documents import path_to_uri
from cairn.server.lsp.progress import ProgressReporter
from cairn.server.lsp.run_records import RunRecord
from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)

SHOW_DOCUMENT_TIMEOUT = 10.0
MAX_MESSAGE_CHARS = 4000  # an answer shown in a message box (clients without showDocument)


class RunObserverForEditor:
    """The `RunObserver` of an editor run: record, stream (if opted in), report progress."""

    def __init__(self, server: CairnServer, run: RunRecord, progress: ProgressReporter) -> None:
        self._server = server
        self._run = run
        self._progress = progress
        self._step = 0

    def text(self, delta: str) -> None:
        if delta:
            self._run.streamed += delta
            self._server.stream(self._run.run_id, "text", delta)

    def status(self, message: str) -> None:
        self._run.activity.append(message)
        self._server.stream(self._run.run_id, "status", message)
        self._progress.report(f"Step {self._step}: {message}")

    def step(self, number: int) -> None:
        self._step = number
        self._progress.report(f"Step {number}: thinking")


async def deliver_outcome(
    server: CairnServer, run: RunRecord, root: Path | None, redact: Callable[[str], str]
) -> None:
    """Tell the user how ``run`` ended, through every channel the client has."""
    if server.channels.stream:
        if run.status != "done":
            server.stream(run.run_id, "error", run.error or "")
        server.stream(run.run_id, "done")
        return
    shown = False
    try:
        run.transcript = await transcripts.write(run, root, redact)
    except OSError as exc:
        logger.warning("Could not write the transcript of run %s: %s", run.run_id, exc)
    worth_showing = run.status == "done" or run.streamed or run.activity
    if run.transcript is not None and server.channels.show_document and worth_showing:
        shown = await _show_document(server, run.transcript)
    server.window_show_message(types.ShowMessageParams(type=_message_type(run), message=_message(run, shown)))


def _message_type(run: RunRecord) -> types.MessageType:
    return types.MessageType.Error if run.status == "error" else types.MessageType.Info


def _message(run: RunRecord, shown: bool) -> str:
    """One line (the run's title starts with "Cairn"), or the answer when nothing else shows it."""
    summary = " ".join(run.summary().split())
    if run.status != "done" or shown:
        return summary
    answer = run.text.strip() or "(no answer)"
    if len(answer) > MAX_MESSAGE_CHARS:
        answer = answer[:MAX_MESSAGE_CHARS] + "…"
    where = f"\n\n(Transcript: {run.transcript})" if run.transcript else ""
    return f"{summary}\n\n{answer}{where}"


async def _show_document(server: CairnServer, path: Path) -> bool:
    """Open ``path`` in the editor without taking the user's focus; whether it was shown."""
    try:
        result = await server.request_client(
            types.WINDOW_SHOW_DOCUMENT,
            types.ShowDocumentParams(uri=path_to_uri(path), take_focus=False),
            SHOW_DOCUMENT_TIMEOUT,
        )
    except Exception as exc:  # a refusal or no answer: the message carries the answer instead
        logger.info("The editor did not show the transcript: %s", exc or type(exc).__name__)
        return False
    success = result.get("success") if isinstance(result, dict) else getattr(result, "success", False)
    return bool(success)
