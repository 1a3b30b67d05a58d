"""Logging: stderr (and an optional file) always, the editor's log once it is connected.

Nothing is ever logged to stdout (it carries JSON-RPC). pygls logs every message at INFO, which
would flood the editor's log and leak document text, so its loggers are turned down. Once the
process's redactor exists (startup), every handler passes records through it: configured
secrets never reach any log (R15).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from cairn.memory.redaction import Redactor

NOISY_LOGGERS = ("pygls", "LiteLLM", "litellm", "httpx", "httpcore", "asyncio", "aiosqlite")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_MESSAGE_TYPES = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
    (logging.NOTSET, types.MessageType.Log),
)


def redact_with(redactor: Redactor) -> None:
    """Pass every record of every handler on the root logger (stderr, the log file, the
    editor's log) through ``redactor`` from now on (R15).

    Installed once the process's redactor exists, at startup: building it compiles the secret
    patterns, which the ``initialize`` reply must not wait for (R20)."""
    from cairn.memory.redaction import RedactingLogFilter

    redacting = RedactingLogFilter(redactor)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingLogFilter) for f in handler.filters):
            handler.addFilter(redacting)


def configure(verbosity: int = 0, log_file: Path | None = None) -> None:
    """Route logs to stderr (and ``log_file``); -v: debug for Cairn, -vv: debug for all."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    logging.getLogger("cairn").setLevel(logging.DEBUG if verbosity >= 1 else logging.INFO)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)


class EditorLogHandler(logging.Handler):
    """Forwards records to the editor with ``window/logMessage``.

    Records from other threads are handed to the event loop; a record emitted while forwarding
    (pygls logging its own send) is not forwarded again.
    """

    def __init__(
        self, send: Callable[[types.LogMessageParams], None], loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__()
        self._send = send
        self._loop = loop
        self._busy = threading.local()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def set_level_name(self, name: str) -> None:
        self.setLevel(_LEVELS.get(name, logging.INFO))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "active", False):
            return
        try:
            text = self.format(record)
        except Exception:
            return
        kind = next(kind for level, kind in _MESSAGE_TYPES if record.levelno >= level)
        params = types.LogMessageParams(type=kind, message=text)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._forward(params)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._forward, params)

    def _forward(self, params: types.LogMessageParams) -> None:
        self._busy.active = True
        try:
            self._send(params)
        except Exception:
            pass  # the client may be gone; stderr already has the record
        finally:
            self._busy.active = False
