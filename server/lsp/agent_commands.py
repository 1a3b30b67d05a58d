"""Registers the agent's editor commands; the agent itself is loaded after initialize.

The agent, its tools and memory bridge take a few hundred milliseconds to import, so they are
imported in a worker thread by a startup hook (initialize has already been answered, R20), and
the commands wait for startup to finish. The model library is imported after that, in the
background, so the first request does not wait 4-6 s for it.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from cairn import environment
from cairn.server.commands import CANCEL, CHAT, NEW_SESSION, RESULT, RUN_ACTION
from cairn.server.lsp.server import CairnServer

AGENT_MODULE = "cairn.server.lsp.agent_runs"


def register(server: CairnServer) -> None:
    state: dict[str, Any] = {}

    async def start(ls: CairnServer) -> None:
        module = await asyncio.to_thread(importlib.import_module, AGENT_MODULE)
        state["runs"] = await module.start(ls)

    async def warm_up(ls: CairnServer) -> None:
        if not environment.get("CAIRN_NO_WARMUP"):
            from cairn.server.agent.model import warm_up as import_model_library

            await import_model_library()

    server.startup_hooks.append(start)
    server.after_startup_hooks.append(warm_up)

    def dispatch(method: str):  # noqa: ANN202
        async def handler(args: Any) -> Any:
            runs = state.get("runs")
            if runs is None:
                raise RuntimeError("the agent failed to start; see the Cairn log")
            return await getattr(runs, method)(args)

        return handler

    for spec, method in (
        (CHAT, "chat"),
        (RUN_ACTION, "run_action"),
        (RESULT, "result"),
        (CANCEL, "cancel"),
        (NEW_SESSION, "new_session"),
    ):
        server.register_service_command(spec, dispatch(method))
