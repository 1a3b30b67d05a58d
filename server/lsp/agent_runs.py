"""The agent in the editor: `cairn.chat`, `cairn.runAction`, `cairn.result`, `cairn.cancel`,
`cairn.newSession`.

An editor never waits on a model (practice 17): `cairn.chat` and `cairn.runAction` answer at
once with ``{runId, sessionId, status: "started"}`` and the run goes on as a server-owned task,
with work-done progress per step. Its outcome reaches the user through the channels the client
has (run_delivery.py) and stays available from `cairn.result`. A run is cancelled by
`cairn.cancel` or the progress cancel button; whatever happens, it ends as done, error or
cancelled, and a run in a busy session waits for the previous one instead of being refused.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from cairn.server.action_specs import action_spec
from cairn.server.agent.compose import open_agent_host
from cairn.server.agent.errors import AgentError
from cairn.server.agent.host import AgentHost, RunPorts
from cairn.server.agent.loop import RunResult
from cairn.server.agent.tools.context import (
    ApplyOutcome,
    BufferText,
    EditProposal,
    EditSink,
    NoBuffers,
    RefusingSink,
)
from cairn.server.command_args import CancelArgs, ChatArgs, NoArgs, ResultArgs, RunActionArgs
from cairn.server.lsp import logs
from cairn.server.lsp.approval import LspApprover
from cairn.server.lsp.edits import LspEditSink
from cairn.server.lsp.progress import ProgressReporter
from cairn.server.lsp.run_delivery import RunObserverForEditor, deliver_outcome
from cairn.server.lsp.run_prompts import chat_prompt, code_action_prompt
from cairn.server.lsp.run_records import EditRecord, RunRecord, RunRecords
from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)

PromptFactory = Callable[[], Awaitable[str]]
WAITING = "Waiting for the previous request in this session to finish"


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


class NoEditsSink:
    """The `EditSink` of an action that does not mutate (Explain): every proposal is refused."""

    def __init__(self, reason: str, on_outcome: Callable[[EditProposal, ApplyOutcome], None]) -> None:
        self._reason = reason
        self._on_outcome = on_outcome

    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        outcome = ApplyOutcome("rejected", self._reason)
        self._on_outcome(proposal, outcome)
        return outcome


class AgentRuns:
    """The editor's agent commands, bound to one server and its host."""

    def __init__(self, server: CairnServer, host: AgentHost) -> None:
        self.server = server
        self.host = host
        self.chat_session: str | None = None  # created with the first chat
        self.records = RunRecords()
        # per session, set when its latest run has ended: runs in one session go in order
        self._session_tail: dict[str, asyncio.Event] = {}
        self._chat_session_lock = asyncio.Lock()  # two first chats must not make two sessions

    # ---------------------------------------------------------------- runs

    def start(
        self,
        make_prompt: PromptFactory,
        *,
        run_id: str | None,
        session_id: str,
        title: str,
        request: str,
        origin: str,
        read_only: bool = False,
        user_text: str | None = None,
    ) -> dict[str, Any]:
        """Start a run in the background and answer at once with its id."""
        run_id = run_id or uuid.uuid4().hex
        if self.records.running(run_id):
            raise JsonRpcInvalidParams(f"A run with id {run_id!r} is already running")
        run = RunRecord(
            run_id=run_id,
            session_id=session_id,
            title=title,
            request=request,
            origin=origin,
            read_only=read_only,
            user_text=user_text,
        )
        self.records.add(run)
        previous, ended = self._session_tail.get(session_id), asyncio.Event()
        self._session_tail[session_id] = ended
        self.server.spawn(self._execute(run, make_prompt, previous, ended), name=f"run:{run_id}")
        return {"runId": run_id, "streamId": run_id, "sessionId": session_id, "status": "started"}

    async def _execute(
        self, run: RunRecord, make_prompt: PromptFactory, previous: asyncio.Event | None, ended: asyncio.Event
    ) -> None:
        """Run to an outcome (done, error or cancelled), then deliver it."""
        try:
            await self._outcome(run, self._work(run, make_prompt, previous))
        finally:
            ended.set()
            if self._session_tail.get(run.session_id) is ended:
                del self._session_tail[run.session_id]
        await deliver_outcome(self.server, run, self.host.workspace_root, self.host.redactor.redact)

    async def _outcome(
        self, run: RunRecord, work: Callable[[ProgressReporter], Awaitable[RunResult]]
    ) -> None:
        try:
            run.succeed(await self.server.tasks.run(run.title, work, key=run.run_id))
        except AgentError as exc:  # the user's to fix (no model, bad key...): one log line
            logger.warning("Agent run failed: %s (%s)", exc.user_message, exc.detail or type(exc).__name__)
            run.fail(exc.user_message)
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # the document cannot be read
            logger.warning("Agent run could not start: %s", exc)
            run.fail(f"Cannot read the document: {exc}")
        except asyncio.CancelledError:
            run.cancel()
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the server is closing: nobody is left to tell
        except Exception as exc:  # a bug of ours: the log gets the traceback, the user one line
            logger.exception("Agent run %s failed", run.run_id)
            run.fail(f"Cairn failed unexpectedly ({type(exc).__name__}: {exc}); see the Cairn log.")

    def _work(
        self, run: RunRecord, make_prompt: PromptFactory, previous: asyncio.Event | None
    ) -> Callable[[ProgressReporter], Awaitable[RunResult]]:
        root = self.host.workspace_root

        def record_edit(proposal: EditProposal, outcome: ApplyOutcome) -> None:
            run.edits.append(EditRecord(proposal.path, outcome.status, proposal.description, outcome.message))

        async def work(progress: ProgressReporter) -> RunResult:
            observer = RunObserverForEditor(self.server, run, progress)
            if previous is not None and not previous.is_set():
                observer.status(WAITING)
                await previous.wait()
            prompt = await make_prompt()
            edits: EditSink = LspEditSink(self.server, root, record_edit) if root else RefusingSink()
            if run.read_only:
                edits = NoEditsSink(
                    f"{run.title} does not change code; ask in a chat to change it", record_edit
                )
            ports = RunPorts(
                buffers=EditorBuffers(self.server, root) if root else NoBuffers(),
                edits=edits,
                approver=LspApprover(self.server, lambda: self.host.settings.approval_timeout),
                observer=observer,
            )
            return await self.host.run(
                prompt, session_id=run.session_id, ports=ports, origin=run.origin, user_text=run.user_text
            )

        return work

    # ---------------------------------------------------------------- commands

    async def chat(self, args: ChatArgs) -> dict[str, Any]:
        session = args.session_id or await self._chat_session()

        async def make_prompt() -> str:
            return await chat_prompt(
                self.server.documents, args.prompt, args.uri, args.range, self.host.workspace_root
            )

        return self.start(
            make_prompt,
            run_id=args.stream_id,
            session_id=session,
            title="Cairn",
            request=args.prompt,
            origin="chat",
            user_text=args.prompt,  # the rest of the prompt (file, selection) is Cairn's
        )

    async def run_action(self, args: RunActionArgs) -> dict[str, Any]:
        spec = action_spec(args.action)

        async def make_prompt() -> str:
            return await code_action_prompt(
                self.server.documents,
                args,
                self.host.workspace_root,
                self.host.skills.catalog if self.host.skills else None,
            )

        request = f"{args.action} in {args.uri}" + (f": {args.instructions}" if args.instructions else "")
        return self.start(
            make_prompt,
            run_id=args.stream_id,
            session_id=await self.host.new_session(f"action:{args.action}"),
            title=f"Cairn: {args.action}",
            request=request,
            origin=f"action:{args.action}",
            read_only=not spec.mutates,
            user_text=args.instructions or "",  # the prompt and skill text are Cairn's
        )

    async def _chat_session(self) -> str:
        async with self._chat_session_lock:
            if self.chat_session is None:
                self.chat_session = await self.host.new_session("chat")
            return self.chat_session

    async def result(self, args: ResultArgs) -> dict[str, Any]:
        run = self.records.get(args.run_id) if args.run_id else self.records.latest()
        if run is None:
            raise JsonRpcInvalidParams(f"No run {args.run_id!r}" if args.run_id else "No run yet")
        return run.to_json()

    async def cancel(self, args: CancelArgs) -> dict[str, Any]:
        return {"cancelled": self.server.tasks.cancel(args.stream_id)}

    async def new_session(self, _: NoArgs) -> dict[str, Any]:
        self.chat_session = await self.host.new_session("chat")
        return {"sessionId": self.chat_session}


async def start(server: CairnServer) -> AgentRuns:
    """Build the workspace's agent host and the editor's run commands (a startup hook)."""
    host = await open_agent_host(server.workspace_root, server.settings, background=server.background)
    logs.redact_with(host.redactor)  # stderr, the log file and the editor's log (R15)
    server.agent_host = host
    server.on_close("agent host", host.close)  # background work, then memory
    await host.start_consolidation()  # so the first request finds earlier sessions consolidated
    server.settings_listeners.append(lambda s: host.configure(s.settings))

    def agent_status() -> dict[str, Any]:
        described = host.model().describe()
        described.pop("api_base", None)  # shown once, without credentials, under settings
        return {"agent": described}

    server.status_contributors.append(agent_status)
    return AgentRuns(server, host)
