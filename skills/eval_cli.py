"""`cairn skills eval`: does a skill help? Both arms on the same tasks, paired, in one run.

    cairn skills eval SKILL --tasks SET [--against OTHER_SKILL | --without] [--limit N --seed S]

SKILL and OTHER_SKILL are SKILL.md files, their folders, or the names of skills in effect
(bundled or the user's). SET is a named task set (``humaneval``) or a JSONL task file. The
report goes to stdout (``--json`` for machines, which the editor's command reads); progress, one
line per task, goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cairn.skills.errors import SkillError

DEFAULT_MAX_TOKENS = 768  # HumanEval answers run past 512 tokens (issue 13's calibration)
# One stderr line per finished task; the editor's command reads it for its progress report.
_PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] passed: (.*)$")


def progress_line(done: int, total: int, arms: tuple[str, str], passes: tuple[int, int]) -> str:
    """The progress line after ``done`` of ``total`` tasks."""
    return f"[{done}/{total}] passed: {arms[0]} {passes[0]}, {arms[1]} {passes[1]}"


def parse_progress(line: str) -> tuple[int, int, str] | None:
    """(done, total, the passes as text) of a progress line, or None for any other line."""
    match = _PROGRESS.match(line.strip())
    return (int(match.group(1)), int(match.group(2)), match.group(3)) if match else None


def add_eval_parser(sub: argparse._SubParsersAction, get_factory: Callable[[], Any]) -> None:
    """Register ``eval``; ``get_factory()`` returns the injected model factory or None."""
    ev = sub.add_parser("eval", help="does a skill help? paired pass rates against another skill or none")
    ev.add_argument("skill", help="SKILL.md, its folder, or the name of a skill in effect")
    ev.add_argument("--tasks", required=True, help="a named task set (humaneval) or a JSONL task file")
    other = ev.add_mutually_exclusive_group()
    other.add_argument("--against", metavar="OTHER_SKILL", help="compare with this skill")
    other.add_argument("--without", action="store_true", help="compare with no skill at all (default)")
    ev.add_argument("--limit", type=int, help="a seeded sample of this many tasks")
    ev.add_argument("--seed", type=int, default=0, help="which sample (with --limit)")
    ev.add_argument("--model", default="", help="litellm model string of the target (default: configured)")
    ev.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, help="answer length cap")
    ev.add_argument("--concurrency", type=int, default=1, help="model calls in flight at once")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument(
        "--record", type=Path, help="append each task's answers and grades here as JSONL, as they finish"
    )
    ev.set_defaults(func=lambda args: _run_eval(args, get_factory()))


def read_skill(spec: str) -> tuple[str, str]:
    """(name, text) of a skill given as a SKILL.md path, its folder, or a name in effect."""
    path = Path(spec)
    if path.is_dir():
        path = path / "SKILL.md"
    if path.is_file():
        try:
            return path.resolve().parent.name, path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SkillError(f"cannot read {path}: {exc}") from None
    from cairn.skills.catalog import Catalog
    from cairn.skills.sources import default_sources

    catalog = Catalog.from_sources(default_sources(None, trusted=False))
    skill = catalog.get(spec)  # UnknownSkillError names the skills there are
    if skill.path is None:
        raise SkillError(f"skill {spec!r} has no file")
    return skill.name, skill.path.read_text(encoding="utf-8")


def _arms(args: argparse.Namespace) -> tuple[Any, Any]:
    from cairn.skills.optimize.paired_eval import Arm

    name, text = read_skill(args.skill)
    if args.against:
        other_name, other_text = read_skill(args.against)
        if other_name == name:
            name, other_name = f"{name} ({args.skill})", f"{other_name} ({args.against})"
        return Arm(name, text), Arm(other_name, other_text)
    return Arm(name, text), Arm("without", "")


def _recorder(path: Path, names: tuple[str, str]) -> Callable[[Any, Any], None]:
    """Appends one JSON line per arm and task (flushed: an interrupted run keeps its figures)."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def record(task: Any, pair: Any) -> None:
        with path.open("a", encoding="utf-8") as f:
            for name, outcome in zip(names, pair):
                row = {"task": task.id, "arm": name, "passed": outcome.passed, "detail": outcome.detail}
                f.write(json.dumps({**row, "output": outcome.output}) + "\n")

    return record


def _run_eval(args: argparse.Namespace, factory: Any) -> int:
    from cairn.skills.optimize.model_backend import ModelTargetRunner
    from cairn.skills.optimize.paired_eval import evaluate_paired, select_tasks
    from cairn.skills.optimize.tasksets import load_task_set

    try:
        if factory is None:
            raise SkillError(
                "cairn skills eval needs the agent's model adapter, which is not wired into this build "
                "(cairn.skills.cli.set_model_factory)"
            )
        if args.limit is not None and args.limit < 1:
            raise SkillError("--limit must be at least 1")
        arms = _arms(args)
        tasks = select_tasks(load_task_set(args.tasks), args.limit, args.seed)
        target = ModelTargetRunner(factory(args.model), max_tokens=args.max_tokens)
        sample = f"a seeded sample (seed {args.seed}) of " if args.limit else ""
        print(
            f"eval: {arms[0].name} against {arms[1].name} on {sample}{len(tasks)} tasks from "
            f"{args.tasks}, model {args.model or '(configured)'}",
            file=sys.stderr,
        )

        def progress(done: int, total: int, passes: tuple[int, int]) -> None:
            names = (arms[0].name, arms[1].name)
            print(progress_line(done, total, names, passes), file=sys.stderr, flush=True)

        record = _recorder(args.record, (arms[0].name, arms[1].name)) if args.record else None
        report = asyncio.run(
            evaluate_paired(
                tasks, arms, target, concurrency=args.concurrency, progress=progress, on_pair=record
            )
        )
    except SkillError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(
            json.dumps(
                {"skill": args.skill, "task_set": str(args.tasks), "seed": args.seed, **report.to_dict()}
            )
        )
    else:
        print(report.describe())
    return 0
