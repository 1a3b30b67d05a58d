"""`python -m cairn.server` / `cairn serve`: argv -> logging to stderr -> build_server() -> run.

The process ends with os._exit once the server has closed its resources and flushed its
output: a worker thread blocked in a read (stdin, a model call, SQLite) must not keep an
editor's server alive after it was told to exit (R7).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# pydantic scans every installed distribution's entry points for plugins on first use (~60 ms
# of importlib.metadata); the server uses none, and initialize must answer fast (R20).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from cairn.server.lsp import logs

if TYPE_CHECKING:
    from cairn.server.app import Feature

logger = logging.getLogger("cairn.server")


def serve(
    tcp: tuple[str, int] | None = None,
    log_file: Path | None = None,
    verbosity: int = 0,
    features: Sequence[Feature] | None = None,
) -> int:
    """Run the language server in this process until exit; never returns normally.

    ``features`` replaces the composition root's list (test servers add debug commands).
    """
    from cairn.server.lsp import transport

    stdio = None if tcp else transport.isolate_stdio()  # before anything can print
    logs.configure(verbosity, log_file)
    code = 1
    try:
        # Not asyncio.run(): its teardown joins executor threads, which may be stuck in a read.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        code = loop.run_until_complete(_main(tcp, stdio, features))
    except BaseException:  # the last line of defence must log everything
        logger.exception("Cairn server crashed")
    finally:
        logging.shutdown()
        sys.stderr.flush()
        os._exit(code)


async def _main(
    tcp: tuple[str, int] | None, stdio: tuple[int, int] | None, features: Sequence[Feature] | None
) -> int:
    from cairn.server.app import FEATURES, build_server
    from cairn.server.lsp import runner, transport

    server = build_server(features if features is not None else FEATURES)
    connection: transport.Connection
    if tcp:
        server.transport_name = f"tcp {tcp[0]}:{tcp[1]}"
        connection = await transport.accept_one(*tcp)
    else:
        assert stdio is not None
        connection = transport.StdioConnection(*stdio)
    return await runner.run(server, connection)


if __name__ == "__main__":
    from cairn.cli import main

    sys.exit(main(["serve", *sys.argv[1:]]))
