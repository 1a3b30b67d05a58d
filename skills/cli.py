"""`cairn skills list | lint | train | eval`: the skills sub-commands for people and CI.

``train --backend model`` needs chat model objects (``complete(messages, max_tokens=...)``),
which the agent's model adapter provides: the composition root passes ``model_factory`` to
:func:`add_parsers` (or calls :func:`set_model_factory`). Until then the model backend refuses to
start with a message saying so; the simulated backend always works, offline.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ModelFactory = Callable[[str], Any]
_model_factory: ModelFactory | None = None


def set_model_factory(factory: ModelFactory | None) -> None:
    """Install the factory ``name -> chat model object`` used by ``train --backend model``."""
    global _model_factory
    _model_factory = factory


def add_parsers(subparsers: argparse._SubParsersAction, *, model_factory: ModelFactory | None = None) -> None:
    """Register ``cairn skills ...`` (called by cairn/cli.py)."""
    if model_factory is not None:
        set_model_factory(model_factory)
    skills = subparsers.add_parser("skills", help="list, lint, train and evaluate SKILL.md skills")
    sub = skills.add_subparsers(dest="skills_command", metavar="SUBCOMMAND")
    skills.set_defaults(func=lambda args: (skills.print_help(sys.stderr), 2)[1])

    listing = sub.add_parser("list", help="the skills in effect, which source won, what was shadowed")
    listing.add_argument(
        "--workspace", type=Path, help="also read <workspace>/.cairn/skills (with --trusted)"
    )
    listing.add_argument("--trusted", action="store_true", help="the workspace is trusted: load its skills")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_run_list)

    lint = sub.add_parser("lint", help="validate SKILL.md files or folders (exit 1 on errors)")
    lint.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    lint.set_defaults(func=_run_lint)

    from cairn.skills.eval_cli import add_eval_parser
    from cairn.skills.train_cli import add_train_parser

    add_train_parser(sub, lambda: _model_factory)
    add_eval_parser(sub, lambda: _model_factory)


def _run_list(args: argparse.Namespace) -> int:
    from cairn.skills.catalog import Catalog
    from cairn.skills.sources import default_sources

    if args.workspace and not args.trusted:
        print(
            "note: workspace skills are not loaded until the workspace is trusted (--trusted)",
            file=sys.stderr,
        )
    catalog = Catalog.from_sources(
        default_sources(args.workspace.resolve() if args.workspace else None, trusted=args.trusted)
    )
    entries = catalog.precedence()
    if args.json:
        data = {
            "skills": [
                {
                    "name": e.name,
                    "source": e.source,
                    "path": str(e.path),
                    "description": catalog.get(e.name).description,
                    "shadowed": [{"source": s.source, "path": str(s.path)} for s in e.shadowed],
                }
                for e in entries
            ],
            "problems": [line for p in catalog.problems for line in p.lines()],
        }
        print(json.dumps(data, indent=2))
        return 0
    for entry in entries:
        print(f"{entry.name:<24} {entry.source:<10} {catalog.get(entry.name).description[:90]}")
        for shadowed in entry.shadowed:
            print(f"{'':<24} overrides {shadowed.source} skill at {shadowed.path}")
    for problem in catalog.problems:
        for line in problem.lines():
            print(line, file=sys.stderr)
    return 0


def _skill_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if (path / "SKILL.md").is_file():
        return [path / "SKILL.md"]
    return sorted(path.glob("*/SKILL.md"))


def _run_lint(args: argparse.Namespace) -> int:
    from cairn.skills.resources import resource_exists
    from cairn.skills.validation import validate_skill_text

    errors = warnings = files = 0
    for given in args.paths:
        found = _skill_files(given)
        if not found:
            print(f"{given}: error: no SKILL.md here", file=sys.stderr)
            errors += 1
        for path in found:
            files += 1
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                print(f"{path}:1:1: error: cannot read: {exc}")
                errors += 1
                continue
            folder = path.resolve().parent
            for problem in validate_skill_text(
                text, folder.name, resource_exists=partial(resource_exists, folder)
            ):
                print(problem.format(str(path)))
                errors += problem.is_error
                warnings += not problem.is_error
    print(f"{files} file(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0
