"""The `cairn` command: one entry point, one sub-command module per area.

Sub-commands are imported only when chosen so `cairn serve` never pays for the agent's model
library and `cairn --version` is instant. Each area module exposes ``add_parsers(subparsers)``
which registers its sub-command and sets ``func`` (``args -> int exit code``) on it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn import __version__

if TYPE_CHECKING:
    from cairn.server.agent.model import ModelClient

# (module, attribute) of every sub-command's ``add_parser``. Order is the order in `--help`.
SUBCOMMANDS: tuple[str, ...] = (
    "cairn.server.cli",
    "cairn.memory.cli",
    "cairn.skills.cli",
)


def configured_model(name: str | None = None) -> ModelClient | None:
    """The model the environment configures (``name`` overrides it); None when there is none.

    Injected into the memory and skills command lines, which never import the model layer.
    """
    from dataclasses import replace

    from cairn.server import settings as settings_mod
    from cairn.server.agent.model import ModelClient, ModelConfig, resolve_default_model

    resolved = settings_mod.resolve([(settings_mod.ENVIRONMENT, settings_mod.env_layer())])
    config = ModelConfig.from_settings(resolved.settings)
    if name:
        config = replace(config, model=name)
    if resolve_default_model(config.model)[1] is not None:
        return None
    return ModelClient(config)


@contextlib.asynccontextmanager
async def open_memory(workspace: Path, memory_path: str | None) -> AsyncIterator[Any]:
    """The workspace's store as the agent host opens it (compose.open_agent_host): the same
    redaction and location as the server and `cairn ask`."""
    from cairn.memory.migrate import MemoryStoreError
    from cairn.server import settings as settings_mod
    from cairn.server.agent.compose import open_agent_host

    layers: list = [(settings_mod.ENVIRONMENT, settings_mod.env_layer())]
    if memory_path:
        layers.append((settings_mod.INIT_OPTIONS, {"memoryPath": memory_path}))
    host = await open_agent_host(workspace, settings_mod.resolve(layers).settings, skills=False)
    try:
        if host.memory is None:
            raise MemoryStoreError(host.memory_problem or "memory is unavailable")
        yield host.memory.store
    finally:
        await host.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cairn",
        description="Cairn: a language server that hosts a coding agent with durable memory.",
    )
    parser.add_argument("--version", action="version", version=f"cairn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        module = importlib.import_module(module_name)
        if module_name == "cairn.memory.cli":
            module.add_parsers(subparsers, model_factory=configured_model, open_memory=open_memory)
        elif module_name == "cairn.skills.cli":
            module.add_parsers(subparsers, model_factory=_required_model)
        else:
            module.add_parsers(subparsers)
    return parser


def _required_model(name: str) -> ModelClient:
    model = configured_model(name)
    if model is None:
        raise SystemExit(f"cairn: no model {name!r} available; set CAIRN_MODEL or install cairn-lsp[local]")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args) or 0)
