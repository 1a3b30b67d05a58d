"""The Cairn language server object: pygls' LanguageServer plus the state every feature shares.

Features are plain modules with ``register(server)`` (see app.py); they keep their logic
elsewhere and reach shared services through this object: resolved settings, the command
registry, the task runner with work-done progress, streams, and orderly exit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from cairn import __version__
from cairn.server.agent.background import BackgroundTasks
from cairn.server.commands import STREAM_NOTIFICATION, CommandSpec, stream_event
from cairn.server.lsp import workspace_root
from cairn.server.lsp.client_channels import ClientChannels
from cairn.server.lsp.documents import Documents, uri_to_path
from cairn.server.lsp.progress import TaskRunner
from cairn.server.lsp.protocol import CairnProtocol

if TYPE_CHECKING:
    from cairn.server.agent.host import AgentHost
    from cairn.server.settings import ResolvedSettings, Settings

logger = logging.getLogger(__name__)

CommandHandler = Callable[[Any], Awaitable[Any]]
Closer = Callable[[], Awaitable[None]]

CLOSE_TIMEOUT = 1.2  # seconds for closers; the whole exit stays well under R7's 2 s
# How long the answer to `shutdown` waits for closing: lsp-mode gives that answer 0.5 s, and
# jsonrpc.el (eglot) then gives `exit` only 0.1 s before it kills the process.
SHUTDOWN_ANSWER_WAIT = 0.4
ERROR_POPUP_INTERVAL = 60.0  # R5: at most one error popup a minute; the log gets everything


class CairnServer(LanguageServer):
    """One per editor window. Built by :func:`cairn.server.app.build_server`."""

    protocol: CairnProtocol

    def __init__(self) -> None:
        super().__init__(
            name="cairn",
            version=__version__,
            protocol_cls=CairnProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self._resolved: ResolvedSettings | None = None  # defaults until startup resolves them
        self.initialization_options: Any = {}
        self.workspace_settings: dict[str, Any] | None = None  # last workspace/configuration
        self.configuration_pull_in_flight = False
        self.settings_listeners: list[Callable[[CairnServer], None]] = []
        self.startup_hooks: list[Callable[[CairnServer], Awaitable[None]]] = []
        self.after_startup_hooks: list[Callable[[CairnServer], Awaitable[None]]] = []
        self.status_contributors: list[Callable[[], dict[str, Any]]] = []
        self.tasks = TaskRunner(self)
        self.documents = Documents(lambda: self.workspace)
        self.command_registry: dict[str, tuple[CommandSpec, CommandHandler]] = {}
        self.transport_name = "stdio"
        self.channels = ClientChannels()  # what the client can show; parsed at initialize
        self.workspace_root: Path | None = None  # final once settled (see settle_workspace_root)
        self.agent_host: AgentHost | None = None  # built whole by the agent's startup hook
        self.exit_code: asyncio.Future[int] | None = None
        self._root_settled: asyncio.Event | None = None  # set once workspace_root is final
        self._ready: asyncio.Event | None = None  # set when startup hooks have run
        self._closers: list[tuple[str, Closer]] = []
        self._closing: asyncio.Future[None] | None = None  # see begin_closing
        self.background = BackgroundTasks()  # the process's one registry (the host shares it)
        self._last_error_popup = float("-inf")
        self.suppressed_popups = 0

    # ----------------------------------------------------------------- settings

    @property
    def resolved(self) -> ResolvedSettings:
        if self._resolved is None:  # pydantic is imported only when settings are first needed
            from cairn.server.settings import ResolvedSettings, Settings

            self._resolved = ResolvedSettings(Settings())
        return self._resolved

    @resolved.setter
    def resolved(self, value: ResolvedSettings) -> None:
        self._resolved = value

    @property
    def settings(self) -> Settings:
        return self.resolved.settings

    # ----------------------------------------------------------------- commands

    def register_command(self, spec: CommandSpec, handler: Callable[[Any], Awaitable[Any]]) -> None:
        """Register ``handler(args)`` for ``spec.id``; args are validated into ``spec.args``."""
        if spec.id in self.command_registry:
            raise ValueError(f"command {spec.id} registered twice")
        self.command_registry[spec.id] = (spec, handler)

        # pygls lists fm.commands in executeCommandProvider; dispatch itself is ours.
        async def advertised(*_: Any) -> None:  # never called: CairnProtocol dispatches
            raise RuntimeError("dispatched by CairnProtocol")

        self.command(spec.id)(advertised)

    # ----------------------------------------------------------------- workspace root

    def settle_workspace_root(self, document_uri: str | None = None) -> None:
        """Make ``workspace_root`` final; the startup hooks (memory, the agent host) wait for it.

        A client that sent a folder settles it at initialize. One that sent none (a lone file)
        settles it with its first opened document (its git repository or folder), or with the
        first command that needs the services, whichever comes first (then the ``uri`` of that
        command's arguments, if any, is the document).
        """
        if self._root_settled is None or self._root_settled.is_set():
            return
        path = uri_to_path(document_uri) if document_uri else None
        if self.workspace_root is None and path is not None:
            self.workspace_root = workspace_root.for_document(path)
            logger.info("No workspace folder from the client; using %s", self.workspace_root or "none")
        self._root_settled.set()

    @property
    def workspace_root_settled(self) -> bool:
        """Whether ``workspace_root`` is final (a folder from the client, or the first document's)."""
        return self._root_settled is not None and self._root_settled.is_set()

    # ----------------------------------------------------------------- readiness

    def begin_startup(self) -> None:
        """Run the startup hooks in the background; initialize answers without waiting (R20).

        The hooks wait until the workspace root is settled (at once when the client sent one)."""
        ready = self._ready = asyncio.Event()
        root_settled = self._root_settled = asyncio.Event()
        if self.workspace_root is not None:
            root_settled.set()

        async def startup() -> None:
            try:
                await root_settled.wait()
                for hook in self.startup_hooks:
                    try:
                        await hook(self)
                    except Exception:  # one feature failing must not take the others down
                        logger.exception("Startup of %s failed", getattr(hook, "__qualname__", hook))
            finally:
                ready.set()
            for hook in self.after_startup_hooks:
                self.spawn(hook(self), name=f"after-startup:{getattr(hook, '__name__', 'hook')}")

        self.spawn(startup(), name="startup")

    async def wait_ready(self, document_uri: str | None = None) -> None:
        """Wait for the startup hooks (the memory store, skills, the agent host).

        Settles the workspace root first if nothing has (``document_uri`` may name it)."""
        if self._ready is None:
            raise RuntimeError("the server has not been initialized")
        self.settle_workspace_root(document_uri)
        await self._ready.wait()

    def register_service_command(self, spec: CommandSpec, handler: Callable[[Any], Awaitable[Any]]) -> None:
        """Like register_command, for commands that need what startup builds."""

        async def when_ready(args: Any) -> Any:
            uri = getattr(args, "uri", None)
            await self.wait_ready(uri if isinstance(uri, str) else None)
            return await handler(args)

        self.register_command(spec, when_ready)

    # ----------------------------------------------------------------- background work

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as a server-owned task: referenced until done, failures logged."""
        return self.background.spawn(coro, name)

    def on_close(self, name: str, closer: Closer) -> None:
        """Register an async resource closer, run (newest first) on every exit path."""
        self._closers.append((name, closer))

    # ----------------------------------------------------------------- user messages

    def stream(self, stream_id: str, kind: str, text: str = "") -> None:
        """Send one ``cairn/stream`` event, to a client that opted in (nobody else is sent one)."""
        if self.channels.stream:
            self.protocol.notify(STREAM_NOTIFICATION, stream_event(stream_id, kind, text))

    async def request_client(self, method: str, params: Any, timeout: float) -> Any:
        """Send a request to the client and wait at most ``timeout`` seconds for its answer.

        Raises TimeoutError when the client did not answer in time (the request is then
        withdrawn with ``$/cancelRequest``), or the client's error. Never waits forever: a
        client that drops the request (ALE) or whose user walked away must not hang a run.
        """
        msg_id = f"cairn-{uuid.uuid4().hex}"
        future = self.protocol.send_request_async(method, params, msg_id=msg_id)
        try:
            return await asyncio.wait_for(future, timeout)
        except (TimeoutError, asyncio.CancelledError):
            self.protocol.abandon_request(msg_id)
            raise

    def show_error(self, message: str) -> None:
        """An error popup, rate limited (R5); always logged."""
        logger.error("%s", message)
        now = time.monotonic()
        if now - self._last_error_popup < ERROR_POPUP_INTERVAL:
            self.suppressed_popups += 1
            return
        self._last_error_popup = now
        if self.protocol.initialized and not self.protocol.shutdown_received:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        if source is FeatureRequestError:
            logger.debug("Request failed: %s", error)  # the request's response carries it
            return
        self.show_error(f"Cairn: {error}")

    # ----------------------------------------------------------------- exit

    def request_exit(self, code: int, reason: str, *, quiet: bool = False) -> None:
        """Ask the runner to stop the process with ``code`` (first request wins).

        ``quiet``: the client said ``exit``, so from now on nothing is written to stderr or
        the editor's log (jsonrpc.el kills a server that writes after exit).
        """
        if self.exit_code is not None and not self.exit_code.done():
            if quiet:
                silence_logging()
            logger.info("Exiting (%s), code %d", reason, code)
            self.exit_code.set_result(code)

    def begin_closing(self, timeout: float = CLOSE_TIMEOUT) -> asyncio.Future[None]:
        """Start releasing resources (at ``shutdown``, or at exit if no shutdown came), once.

        Done at ``shutdown`` so that ``exit`` can end the process at once: jsonrpc.el (eglot)
        gives a server about 0.1 s after ``exit`` before it kills it, lsp-mode none at all,
        and the memory database should be closed cleanly before that."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self.close_resources(timeout))
        return self._closing

    async def closed_for_shutdown(self) -> None:
        """Start closing and wait for it, at most ``SHUTDOWN_ANSWER_WAIT`` (closing goes on)."""
        await asyncio.wait({self.begin_closing()}, timeout=SHUTDOWN_ANSWER_WAIT)

    async def close_resources(self, timeout: float) -> None:
        """Cancel background work and run closers, newest first, within ``timeout``."""
        self.background.cancel_all()
        for msg_id in list(self.protocol._command_tasks):
            self.protocol.cancel_request(msg_id)

        async def run_closers() -> None:
            for name, closer in reversed(self._closers):
                try:
                    await closer()
                except Exception:
                    logger.exception("Closing %s failed", name)

        try:
            await asyncio.wait_for(run_closers(), timeout)
        except TimeoutError:
            logger.warning("Closing resources took longer than %.1fs; exiting anyway", timeout)


def silence_logging() -> None:
    """Keep only log files: drop stderr and editor-log handlers (and Python's last resort)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    root.addHandler(logging.NullHandler())  # without any handler, logging falls back to stderr
