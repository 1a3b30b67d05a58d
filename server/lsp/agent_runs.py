"""The agent in the editor: `cairn.chat`, `cairn.runAction`, `cairn.cancel`, `cairn.newSession`.

Each run is a server-owned task keyed by its stream id, with work-done progress per step and the
answer streamed through `cairn/stream`. It is cancelled by `$/cancelRequest` on the command, by
the progress cancel button, or by `cairn.cancel`; whatever happens, the stream ends with "done".
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

from cairn.server.agent.compose import open_agent_host
from cairn.server.agent.errors import AgentError
from cairn.server.agent.host import AgentHost, RunPorts
from cairn.server.agent.loop import RunResult
from cairn.server.agent.tools.context import BufferText, NoBuffers, RefusingSink
from cairn.server.command_args import (
    CancelArgs,
    ChatArgs,
    NoArgs,
    RunActionArgs,
)
from cairn.server.lsp import logs
from cairn.server.lsp.approval import LspApprover
from cairn.server.lsp.documents import uri_to_path
from cairn.server.lsp.edits import LspEditSink
from cairn.server.lsp.progress import ProgressReporter
from cairn.server.lsp.run_prompts import chat_prompt, code_action_prompt
from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)


class EditorBuffers:
    """`BufferSource` over the editor's open documents (unsaved text wins over disk)."""

    def __init__(self, server: CairnServer, root: Path) -> None:
        self._server = server
        self._root = root

    def get(self, rel_path: str) -> BufferText | None:
        snapshot = self._server.documents.open_snapshot(self._root / rel_path)
        return BufferText(snapshot.text, snapshot.version) if snapshot else None

    def open_paths(self) -> list[str]:
        paths = []
        for path in self._server.documents.open_paths():
            try:
                paths.append(path.relative_to(self._root).as_posix())
            except ValueError:
                continue
        return paths


class StreamObserver:
    """Sends a run's text and status to the client and its steps to the progress UI."""

    def __init__(self, server: CairnServer, stream_id: str, progress: ProgressReporter) -> None:
        self._server = server
        self._stream_id = stream_id
        self._progress = progress
        self._step = 0

    def text(self, delta: str) -> None:
        if delta:
            self._server.stream(self._stream_id, "text", delta)

    def status(self, message: str) -> None:
        self._server.stream(self._stream_id, "status", message)
        self._progress.report(f"Step {self._step}: {message}")

    def step(self, number: int) -> None:
        self._step = number
        self._progress.report(f"Step {number}: thinking")


class AgentRuns:
    """The editor's agent commands, bound to one server and its host."""

    def __init__(self, server: CairnServer, host: AgentHost) -> None:
        self.server = server
        self.host = host
        self.chat_session: str | None = None  # created with the first chat
        self._busy_sessions: set[str] = set()

    async def run(
        self,
        prompt: str,
        *,
        stream_id: str | None,
        session_id: str,
        title: str,
        origin: str,
        user_text: str | None = None,
    ) -> dict[str, Any]:
        """Run the agent as a cancellable server task and report how it ended."""
        stream_id = stream_id or uuid.uuid4().hex
        if session_id in self._busy_sessions:
            message = "Cairn is still working on the previous request in this session; cancel it first."
            self._finish(stream_id, error=message)
            return {"streamId": stream_id, "sessionId": session_id, "status": "error", "error": message}
        root = self.host.workspace_root

        async def work(progress: ProgressReporter) -> RunResult:
            ports = RunPorts(
                buffers=EditorBuffers(self.server, root) if root else NoBuffers(),
                edits=LspEditSink(self.server, root) if root else RefusingSink(),
                approver=LspApprover(self.server),
                observer=StreamObserver(self.server, stream_id, progress),
            )
            return await self.host.run(
                prompt, session_id=session_id, ports=ports, origin=origin, user_text=user_text
            )

        self._busy_sessions.add(session_id)
        report: dict[str, Any] = {"streamId": stream_id, "sessionId": session_id}
        try:
            result = await self.server.tasks.run(title, work, key=stream_id)
            report.update(
                status="done",
                text=result.text,
                steps=result.steps,
                promptTokens=result.prompt_tokens,
                completionTokens=result.completion_tokens,
                costUsd=result.cost_usd,
                tools=result.tool_calls,
            )
        except AgentError as exc:
            logger.warning("Agent run failed: %s (%s)", exc.user_message, exc.detail or type(exc).__name__)
            report.update(status="error", error=exc.user_message)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                self._finish(stream_id, error="Cancelled.")
                raise  # the command itself was cancelled ($/cancelRequest): let the protocol answer
            report.update(status="cancelled")
        finally:
            self._busy_sessions.discard(session_id)
        self._finish(
            stream_id,
            error=report.get("error") or ("Cancelled." if report["status"] == "cancelled" else None),
        )
        return report

    def _finish(self, stream_id: str, error: str | None = None) -> None:
        if error:
            self.server.stream(stream_id, "error", error)
        self.server.stream(stream_id, "done")

    # ---------------------------------------------------------------- commands

    async def chat(self, args: ChatArgs) -> dict[str, Any]:
        session = args.session_id
        if not session:  # absent or empty: the editor's ongoing chat
            if self.chat_session is None:
                self.chat_session = await self.host.new_session("chat")
            session = self.chat_session
        prompt = await chat_prompt(
            self.server.documents, args.prompt, args.uri, args.range, self.host.workspace_root
        )
        return await self.run(
            prompt,
            stream_id=args.stream_id,
            session_id=session,
            title="Cairn",
            origin="chat",
            user_text=args.prompt,  # the rest of the prompt (file, selection) is Cairn's
        )

    async def run_action(self, args: RunActionArgs) -> dict[str, Any]:
        path = uri_to_path(args.uri)
        if path is None:
            return {"status": "error", "error": f"Not a file: {args.uri}"}
        prompt = await code_action_prompt(
            self.server.documents,
            args,
            self.host.workspace_root,
            self.host.skills.catalog if self.host.skills else None,
        )
        return await self.run(
            prompt,
            stream_id=args.stream_id,
            session_id=await self.host.new_session(f"action:{args.action}"),
            title=f"Cairn: {args.action}",
            origin=f"action:{args.action}",
            user_text=args.instructions or "",  # the prompt and skill text are Cairn's
        )

    async def cancel(self, args: CancelArgs) -> dict[str, Any]:
        return {"cancelled": self.server.tasks.cancel(args.stream_id)}

    async def new_session(self, _: NoArgs) -> dict[str, Any]:
        self.chat_session = await self.host.new_session("chat")
        return {"sessionId": self.chat_session}


async def start(server: CairnServer) -> AgentRuns:
    """Build the workspace's agent host and the editor's run commands (a startup hook)."""
    host = await open_agent_host(server.workspace_root, server.settings)
    logs.redact_with(host.redactor)  # stderr, the log file and the editor's log (R15)
    server.agent_host = host
    server.on_close("agent host", host.close)  # background work, then memory
    server.settings_listeners.append(lambda s: host.configure(s.settings))

    def agent_status() -> dict[str, Any]:
        described = host.model().describe()
        described.pop("api_base", None)  # shown once, without credentials, under settings
        return {"agent": described}

    server.status_contributors.append(agent_status)
    return AgentRuns(server, host)
