"""The `cairn` command: one entry point, one sub-command module per area.

Sub-commands are imported only when chosen so `cairn serve` never pays for the agent's model
library and `cairn --version` is instant. Each area module exposes ``add_parsers(subparsers)``
which registers its sub-command and sets ``func`` (``args -> int exit code``) on it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cairn import __version__

# (module, attribute) of every sub-command's ``add_parser``. Order is the order in `--help`.
SUBCOMMANDS: tuple[str, ...] = (
    "cairn.server.cli",
    "cairn.memory.cli",
    "cairn.skills.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cairn",
        description="Cairn: a language server that hosts a coding agent with durable memory.",
    )
    parser.add_argument("--version", action="version", version=f"cairn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        importlib.import_module(module_name).add_parsers(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args) or 0)
