"""What each editor run did, kept so that its outcome can be asked for (`cairn.result`).

A run is started by `cairn.chat` / `cairn.runAction`, which answer at once with its id; the
record then collects the answer, the tools' status lines and the edits as they happen, and
ends as done, error or cancelled. Only the latest runs are kept (this is not memory: the
conversation itself lives in the memory store).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cairn.server.agent.loop import RunResult

RunStatus = Literal["running", "done", "error", "cancelled"]
KEPT_RUNS = 100


@dataclass
class EditRecord:
    path: str
    status: str  # applied, rejected, stale, failed (ApplyOutcome.status)
    description: str
    detail: str = ""


@dataclass
class RunRecord:
    """One run, from its start to its outcome."""

    run_id: str
    session_id: str
    title: str
    request: str  # the user's own words (or the action's name), for the transcript
    origin: str = "chat"  # the memory session's origin: chat, action:<name>
    read_only: bool = False  # an action that does not mutate: its edits are refused
    status: RunStatus = "running"
    streamed: str = ""  # every piece of answer text, in order, across steps
    activity: list[str] = field(default_factory=list)  # status lines: tools run, retries
    edits: list[EditRecord] = field(default_factory=list)
    result: RunResult | None = None
    error: str | None = None
    transcript: Path | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def text(self) -> str:
        """The answer: the final reply once done, the text streamed so far before."""
        return self.result.text if self.result is not None else self.streamed

    def succeed(self, result: RunResult) -> None:
        self.result, self.status, self.finished = result, "done", time.time()

    def fail(self, message: str) -> None:
        self.error, self.status, self.finished = message, "error", time.time()

    def cancel(self) -> None:
        self.error, self.status, self.finished = "Cancelled.", "cancelled", time.time()

    def summary(self) -> str:
        """One line saying how the run ended."""
        if self.status == "running":
            return f"{self.title} is running."
        if self.status != "done":
            return f"{self.title}: {self.error}"
        parts = [f"{self.result.steps} step{'s' if self.result.steps != 1 else ''}"] if self.result else []
        applied = sum(1 for edit in self.edits if edit.status == "applied")
        if self.edits:
            parts.append(f"{applied} of {len(self.edits)} edit{'s' if len(self.edits) != 1 else ''} applied")
        return f"{self.title} finished ({', '.join(parts)})."

    def to_json(self) -> dict[str, Any]:
        """The camelCase outcome a client receives from `cairn.result`."""
        report: dict[str, Any] = {
            "runId": self.run_id,
            "streamId": self.run_id,
            "sessionId": self.session_id,
            "title": self.title,
            "status": self.status,
            "text": self.text,
            "edits": [
                {"path": e.path, "status": e.status, "description": e.description, "detail": e.detail}
                for e in self.edits
            ],
            "transcript": str(self.transcript) if self.transcript else None,
        }
        if self.error is not None:
            report["error"] = self.error
        if self.result is not None:
            report.update(
                steps=self.result.steps,
                promptTokens=self.result.prompt_tokens,
                completionTokens=self.result.completion_tokens,
                costUsd=self.result.cost_usd,
                tools=self.result.tool_calls,
            )
        return report


class RunRecords:
    """The latest runs by id (oldest finished ones are dropped first)."""

    def __init__(self, keep: int = KEPT_RUNS) -> None:
        self._runs: OrderedDict[str, RunRecord] = OrderedDict()
        self._keep = keep

    def add(self, run: RunRecord) -> None:
        self._runs.pop(run.run_id, None)
        self._runs[run.run_id] = run
        finished = [key for key, r in self._runs.items() if r.status != "running"]
        for key in finished[: max(0, len(self._runs) - self._keep)]:
            del self._runs[key]

    def get(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def running(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        return run is not None and run.status == "running"

    def latest(self) -> RunRecord | None:
        return next(reversed(self._runs.values()), None)
