"""JSON-RPC dispatch done to the LSP 3.17 lifecycle rules (R2, R3), on top of pygls.

pygls structures messages inside ``json.loads``' object hook, so a request whose params fail to
validate raises before its id is known and never gets a response; it serves requests before
``initialize`` and drops them silently after ``shutdown``; and ``$/cancelRequest`` on a command
only cancels a wrapper future while the command's coroutine runs on. This protocol parses the
envelope first, answers every request with a valid id exactly once (-32002 before initialize,
-32600 after shutdown, -32602 for bad params, -32601 for unknown methods, -32603 for handler
failures), and cancels command coroutines for real.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcMethodNotFound,
    JsonRpcRequestCancelled,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

if TYPE_CHECKING:
    from collections.abc import Generator

    from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)

_MISSING = object()
CommandRunner = Callable[[Any], Awaitable[Any]]
# Errors that answer a client's mistake or wish, not a failure of ours: bad params, unknown
# method, invalid request, cancelled.
_CLIENT_ERRORS = frozenset({-32602, -32601, -32600, -32800})


def _valid_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


class CairnProtocol(LanguageServerProtocol):
    """LanguageServerProtocol with a strict lifecycle gate and real command cancellation."""

    _server: CairnServer

    def __init__(self, server, converter) -> None:  # pygls' signature
        super().__init__(server, converter)
        self.initialize_received = False
        self.initialized = False  # the initialize response has been sent
        self.shutdown_received = False
        self._pending: set[Any] = set()  # request ids received and not yet answered
        self._command_tasks: dict[Any, asyncio.Task[Any]] = {}
        self._abandoned: deque[Any] = deque(maxlen=256)  # our requests we stopped waiting for

    # ----------------------------------------------------------------- receiving

    def receive_body(self, body: bytes) -> None:
        """Handle one framed message body. Never raises."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            logger.warning("Ignoring a message that is not JSON: %s", str(exc)[:200])
            return
        if not isinstance(data, dict):
            logger.warning("Ignoring a JSON-RPC message that is not an object (batches unsupported)")
            return
        try:
            self._dispatch(data)
        except Exception:  # a bug of ours or pygls': answer the request rather than go silent
            logger.exception("Failed to dispatch %s", data.get("method", "a response"))
            msg_id = data.get("id", _MISSING)
            if "method" in data and _valid_id(msg_id) and msg_id in self._pending:
                self._send_error(msg_id, JsonRpcException("Internal error", code=-32603))

    def _dispatch(self, data: dict[str, Any]) -> None:
        msg_id = data.get("id", _MISSING)
        method = data.get("method", _MISSING)
        is_request = method is not _MISSING and msg_id is not _MISSING

        if data.get("jsonrpc") != "2.0" or (method is not _MISSING and not isinstance(method, str)):
            if is_request and _valid_id(msg_id):
                self._send_error(msg_id, JsonRpcInvalidRequest("Invalid request: not JSON-RPC 2.0"))
            else:
                logger.warning("Ignoring an invalid JSON-RPC message")
            return

        if not isinstance(method, str):  # absent (checked above): a response
            self._receive_response(data, msg_id)
        elif msg_id is _MISSING:
            self._receive_notification(data, method)
        elif not _valid_id(msg_id):
            logger.warning("Ignoring request %r with an invalid id %r", method, msg_id)
        else:
            self._receive_request(data, msg_id, method)

    def _receive_request(self, data: dict[str, Any], msg_id: Any, method: str) -> None:
        if msg_id in self._pending:
            logger.warning("Request id %r is already in flight; rejecting the duplicate", msg_id)
            error = JsonRpcInvalidRequest(f"Request id {msg_id!r} is already in flight")
            super()._send_response(msg_id, error=error.to_response_error())  # untracked
            return
        self._pending.add(msg_id)
        refusal = self._lifecycle_refusal(method)
        if refusal is not None:
            self._send_error(msg_id, refusal)
            return
        if method == types.INITIALIZE:
            self.initialize_received = True
        elif method == types.SHUTDOWN:
            self.shutdown_received = True
        try:
            message = self.structure_message(data)
        except Exception as exc:
            cause = exc.__cause__ or exc
            self._send_error(msg_id, JsonRpcInvalidParams(f"Invalid params for {method}: {_brief(cause)}"))
            return
        if getattr(message, "id", None) != msg_id:
            # A notification method sent with an id: lsprotocol's notification type drops the
            # id, and pygls would then treat it as a notification and never answer.
            self._send_error(msg_id, JsonRpcMethodNotFound(f"{method} is a notification, not a request"))
            return
        self.handle_message(message)

    def _receive_notification(self, data: dict[str, Any], method: str) -> None:
        if method != types.EXIT and (not self.initialized or self.shutdown_received):
            logger.debug("Dropping notification %s outside the initialized state", method)
            return
        try:
            message = self.structure_message(data)
        except Exception as exc:
            logger.warning(
                "Ignoring notification %s with invalid params: %s", method, _brief(exc.__cause__ or exc)
            )
            return
        self.handle_message(message)

    def _receive_response(self, data: dict[str, Any], msg_id: Any) -> None:
        if not _valid_id(msg_id):
            logger.warning("Ignoring a response with an invalid id %r", msg_id)
            return
        if msg_id in self._abandoned:
            logger.debug("Late answer to withdrawn request %r ignored", msg_id)
            return
        try:
            message = self.structure_message(data)
        except Exception as exc:
            # Fail the waiting future instead of leaving the requester hanging forever.
            future = self._request_futures.pop(msg_id, None)
            if future is not None and not future.done():
                future.set_exception(JsonRpcInvalidParams(f"Malformed response: {_brief(exc)}"))
            logger.warning("Malformed response to %r: %s", msg_id, _brief(exc))
            return
        self.handle_message(message)

    def _lifecycle_refusal(self, method: str) -> JsonRpcException | None:
        if method == types.INITIALIZE:
            if self.initialize_received:
                return JsonRpcInvalidRequest("initialize may only be sent once")
            return None
        if not self.initialized:
            return JsonRpcServerNotInitialized("Server not initialized: send initialize first")
        if self.shutdown_received:
            return JsonRpcInvalidRequest("Server is shutting down: only exit is accepted")
        return None

    # ----------------------------------------------------------------- answering

    def _send_error(self, msg_id: Any, error: JsonRpcException) -> None:
        self._pending.add(msg_id)
        self._send_response(msg_id, error=error.to_response_error())

    def _send_handler_result(self, future, *, msg_id) -> None:
        """Refusals of a client's mistake (bad params, unknown or cancelled request) are one log
        line; pygls would log each as an ERROR with a traceback, which editors show as a crash."""
        error = None if future.cancelled() else future.exception()
        if isinstance(error, JsonRpcException) and error.code in _CLIENT_ERRORS:
            self._request_futures.pop(msg_id, None)
            logger.info("Request %r refused: %s", msg_id, _brief(error))
            self._send_response(msg_id, error=error.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def abandon_request(self, msg_id: Any) -> None:
        """Stop waiting for our request ``msg_id``: withdraw it and ignore a late answer."""
        self._request_futures.pop(msg_id, None)
        self._abandoned.append(msg_id)
        if not self.shutdown_received:
            self.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    def _send_response(self, msg_id, result=None, error=None) -> None:
        """Send at most one response per received request id."""
        if msg_id not in self._pending:
            logger.debug("Suppressing a second response to %r", msg_id)
            return
        self._pending.discard(msg_id)
        if error is not None and isinstance(error.data, dict) and "traceback" in error.data:
            error.data = None  # tracebacks go to the log, not over the wire
        super()._send_response(msg_id, result, error)

    # ----------------------------------------------------------------- lifecycle

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        # The response is sent synchronously by the done-callback right after this returns,
        # before any other message is read, so no request can slip between the two.
        self.initialized = True
        return result

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        logger.info("Shutdown requested")
        current = self.msg_id
        for msg_id in list(self._command_tasks):
            if msg_id != current:
                self.cancel_request(msg_id)
        yield from super().lsp_shutdown(*args)
        # Close now, and answer once closed (bounded), not at `exit`: the editor may kill the
        # process right after it.
        yield self._server.closed_for_shutdown, (), None

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        # pygls calls sys.exit() from a callback, which its own runner swallows (exit code
        # lost); hand the decision to the server's orderly shutdown instead. As in pygls, a
        # feature registered for `exit` runs first.
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        self._server.request_exit(0 if self.shutdown_received else 1, "exit notification", quiet=True)

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        # A client without a workspace folder gets the first document's (see workspace_root.py),
        # before the features' handlers, which may wait for startup, see this document.
        self._server.settle_workspace_root(params.text_document.uri)
        yield from super().lsp_text_document__did_open(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        # pygls raises KeyError (an error popup) for a document that was never opened.
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            logger.warning("didChange for a document that is not open: %s", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)

    # ----------------------------------------------------------------- commands

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Generator[Any, Any, Any]:
        registered = self._server.command_registry.get(params.command)
        if registered is None:
            raise JsonRpcInvalidParams(f"Unknown command {params.command!r}")
        spec, handler = registered
        arguments = params.arguments or []
        if len(arguments) > 1:
            raise JsonRpcInvalidParams(f"{spec.id} takes one argument object, got {len(arguments)}")
        model = spec.args  # outside the try: a broken spec is our bug (-32603), not bad params
        try:
            args = model.model_validate(arguments[0] if arguments else {})
        except ValueError as exc:  # pydantic's ValidationError
            raise JsonRpcInvalidParams(f"Invalid arguments for {spec.id}: {_brief(exc)}") from exc

        msg_id = self.msg_id
        tasks = self._command_tasks

        async def run_tracked() -> Any:
            tasks[msg_id] = asyncio.current_task()  # type: ignore[assignment]
            try:
                return await handler(args)
            except asyncio.CancelledError:
                raise JsonRpcRequestCancelled(f"{spec.id} was cancelled") from None
            finally:
                tasks.pop(msg_id, None)

        result = yield run_tracked, (), None
        return result

    def cancel_request(self, msg_id: Any) -> None:
        """Cancel a request: answer it as cancelled and stop its coroutine."""
        future = self._request_futures.pop(msg_id, None)
        if future is not None:
            future.cancel()
        task = self._command_tasks.pop(msg_id, None)
        if task is not None and not task.done():
            task.cancel()

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        if msg_id in self._request_futures or msg_id in self._command_tasks:
            self.cancel_request(msg_id)
        else:
            logger.debug("Cancel for a request that already finished: %r", msg_id)


def _brief(exc: BaseException, limit: int = 300) -> str:
    """A one-line, bounded description of a validation error."""
    text = " ".join(str(exc).split())
    return text[:limit] + ("…" if len(text) > limit else "")
