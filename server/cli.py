"""`cairn serve` and `cairn status`: the language server's own sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    serve.add_argument("--tcp", type=_host_port, metavar="HOST:PORT", help="listen on TCP instead")
    serve.add_argument("--log-file", type=Path, help="also write the log to this file")
    serve.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    serve.set_defaults(func=_run_serve)

    ask = subparsers.add_parser("ask", help="run the agent once in a terminal, streaming its answer")
    ask.add_argument("prompt", help="what to ask or do")
    ask.add_argument("--workspace", type=Path, default=Path.cwd(), help="workspace folder (default: cwd)")
    ask.add_argument("--apply", action="store_true", help="write the proposed edits (default: show a diff)")
    ask.add_argument(
        "--trust",
        action="store_true",
        help="trust this workspace: allows shell commands (asked for each time) and workspace skills",
    )
    ask.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="continue the last `cairn ask` session in this workspace instead of starting a new one",
    )
    ask.set_defaults(func=_run_ask)

    status = subparsers.add_parser("status", help="print the resolved configuration")
    status.add_argument("--workspace", type=Path, default=Path.cwd(), help="workspace folder")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.set_defaults(func=_run_status)


def _run_serve(args: argparse.Namespace) -> int:
    from cairn.server.__main__ import serve

    return serve(tcp=args.tcp, log_file=args.log_file, verbosity=args.verbose)


def _run_ask(args: argparse.Namespace) -> int:
    from cairn.server.ask import run

    if not args.workspace.is_dir():
        sys.stderr.write(f"cairn: workspace {args.workspace} is not a directory\n")
        return 2
    return run(args.prompt, args.workspace, apply=args.apply, trust=args.trust, resume=args.resume)


def _run_status(args: argparse.Namespace) -> int:
    from cairn.server import settings as settings_mod
    from cairn.server.status import build_status, format_status

    resolved = settings_mod.resolve([(settings_mod.ENVIRONMENT, settings_mod.env_layer())])
    report = build_status(resolved, workspace_root=args.workspace.resolve(), transport="cli")
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_status(report))
    return 0
