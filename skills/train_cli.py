"""`cairn skills train`: argument parsing and backend wiring for the offline trainer."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cairn.skills.errors import SkillError

TASKS_DIR = Path(__file__).resolve().parent / "optimize" / "tasks"
DEMO = "simulated-demo"


def add_train_parser(sub: argparse._SubParsersAction, get_factory: Callable[[], Any]) -> None:
    """Register ``train``; ``get_factory()`` returns the injected model factory or None."""
    train = sub.add_parser("train", help="improve a skill offline on a task set")
    train.add_argument("skill", type=Path, nargs="?", help="the starting SKILL.md or its folder")
    train.add_argument("--tasks", type=Path, help="task set: a JSONL file or a named set (humaneval)")
    train.add_argument(
        "--demo", action="store_true", help=f"train the bundled {DEMO} skill on its tasks (simulated)"
    )
    train.add_argument("--backend", choices=("simulated", "model"), default="simulated")
    train.add_argument(
        "--target-model", default="", help="litellm model string of the model being trained for"
    )
    train.add_argument(
        "--optimizer-model", default="", help="litellm model string of the model proposing edits"
    )
    train.add_argument(
        "--proposer",
        choices=("reflective", "rules"),  # trainer.PROPOSERS (not imported: `cairn` starts fast)
        default="reflective",
        help="how the optimizer proposes edits: reflective (reflect, then JSON edits with anchors) "
        "or rules (one short call per kind of failure, one rule each: for small optimizer models)",
    )
    train.add_argument(
        "--max-edits",
        type=int,
        help="at most this many edits proposed per step, all run long (default: 4, falling to 2); "
        "each edit is gated on its own, which is what a step's time is mostly spent on",
    )
    train.add_argument("--epochs", type=int, default=2)
    train.add_argument("--batch-size", type=int, default=8)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--max-calls", type=int, help="hard limit on model calls")
    train.add_argument("--max-tokens", type=int, help="hard limit on tokens")
    train.add_argument(
        "--concurrency", type=int, default=4, help="local executor: target runs in flight at once"
    )
    train.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where target runs and grading happen: this process, or a Ray cluster (extra cairn-lsp[ray])",
    )
    train.add_argument(
        "--address",
        help="--executor ray: the cluster (host:6379 or ray://host:10001; "
        "default: RAY_ADDRESS, else a Ray started on this machine)",
    )
    train.add_argument(
        "--out", type=Path, required=True, help="run folder: outputs, event log, cache (rerun to resume)"
    )
    train.add_argument("--cache", type=Path, help="response cache to share between runs (default: in --out)")
    train.add_argument("--estimate-only", action="store_true", help="print the worst-case cost and stop")
    train.add_argument(
        "--sim-rules", type=Path, help="simulated backend: rules file (default: <tasks>.rules.jsonl)"
    )
    train.add_argument("--sim-noise", type=float, default=0.03, help="simulated backend: flip probability")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(func=lambda args: _run_train(args, get_factory()))


def _inputs(args: argparse.Namespace) -> tuple[Path, Path]:
    if args.demo:
        return TASKS_DIR / DEMO / "SKILL.md", TASKS_DIR / f"{DEMO}.jsonl"
    if args.skill is None or args.tasks is None:
        raise SkillError("give the starting skill and --tasks (or --demo)")
    skill = args.skill / "SKILL.md" if args.skill.is_dir() else args.skill
    return skill, args.tasks


def _backends(
    args: argparse.Namespace, tasks_path: Path, factory: Any, max_tokens: int
) -> tuple[Any, Any, str, str]:
    if args.backend == "simulated":
        from cairn.skills.optimize.simulated import SimulatedOptimizer, SimulatedTarget, SimWorld

        rules = args.sim_rules or tasks_path.with_suffix(".rules.jsonl")
        if not rules.is_file():
            raise SkillError(
                f"the simulated backend needs a rules file; {rules} does not exist (--sim-rules)"
            )
        world = SimWorld.load(rules)
        return (
            SimulatedTarget(world, noise=args.sim_noise, seed=args.seed),
            SimulatedOptimizer(world, seed=args.seed),
            "simulated",
            "simulated",
        )
    if factory is None:
        raise SkillError(
            "--backend model needs the agent's model adapter, which is not wired into this build: "
            "cairn.skills.cli.set_model_factory(name -> object with async complete(messages, "
            "max_tokens=...)) "
            "has not been called. Use --backend simulated to try the trainer offline."
        )
    if not args.target_model or not args.optimizer_model:
        raise SkillError("--backend model needs --target-model and --optimizer-model")
    from cairn.skills.optimize.model_backend import ModelTargetRunner

    target = ModelTargetRunner(factory(args.target_model), max_tokens=max_tokens)
    return target, factory(args.optimizer_model), args.target_model, args.optimizer_model


def open_executor(args: argparse.Namespace) -> Any:
    """The executor ``--executor`` names (the caller closes it); Ray is imported only here."""
    from cairn.skills.optimize.executor import LocalExecutor

    if args.executor == "local":
        if args.address:
            raise SkillError("--address is for --executor ray")
        return LocalExecutor(args.concurrency)
    try:
        from cairn.skills.optimize.ray_executor import RayExecutor
    except ImportError as exc:
        raise SkillError(
            f"--executor ray needs Ray: pip install 'cairn-lsp[ray]' (same version on every node): {exc}"
        ) from None
    return RayExecutor.connect(args.address)


def build_trainer(args: argparse.Namespace, factory: Any, executor: Any = None) -> Any:
    """The Trainer the arguments describe (raises SkillError with a clear message).

    ``executor`` runs the target (default: the local one, ``--concurrency`` at a time)."""
    from cairn.skills.optimize.progress import BarProgress, NullProgress
    from cairn.skills.optimize.tasksets import load_task_set
    from cairn.skills.optimize.trainer import TrainConfig, Trainer

    skill_path, tasks_path = _inputs(args)
    try:
        skill_text = skill_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillError(f"cannot read {skill_path}: {exc}") from None
    tasks = load_task_set(tasks_path)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        max_calls=args.max_calls,
        max_tokens=args.max_tokens,
        proposer=args.proposer,
        **(
            {}
            if args.max_edits is None
            else {"max_edits_start": args.max_edits, "max_edits_end": args.max_edits}
        ),
    )
    target, optimizer, target_name, optimizer_name = _backends(
        args, tasks_path, factory, config.target_max_tokens
    )
    config = TrainConfig(
        **{**config.__dict__, "target_model": target_name, "optimizer_model": optimizer_name}
    )
    progress = NullProgress() if args.no_progress else BarProgress()
    return Trainer(
        skill_text=skill_text,
        folder_name=skill_path.resolve().parent.name,
        tasks=tasks,
        target=target,
        optimizer=optimizer,
        config=config,
        run_dir=args.out,
        concurrency=args.concurrency,
        progress=progress,
        cache_path=args.cache,
        executor=executor,
    )


def _run_train(args: argparse.Namespace, factory: Any) -> int:
    executor = None
    try:
        if not args.estimate_only:  # --estimate-only never connects to a cluster
            executor = open_executor(args)
        trainer = build_trainer(args, factory, executor)
        estimate = trainer.estimate()
        print(f"splits {trainer.splits.sizes()}; estimate: {estimate.describe()}", file=sys.stderr)
        if args.estimate_only:
            return 0
        state = asyncio.run(trainer.run())
    except SkillError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted; run the same command again to resume from {args.out}", file=sys.stderr)
        return 130
    finally:
        if executor is not None:
            executor.close()
    from cairn.skills.optimize.funnel import candidate_funnel

    print(
        f"{state.status}: test accuracy {state.test_start} -> {state.test_end}; "
        f"{len(state.accepted)} edits accepted, {len(state.ledger)} rejected; "
        f"{state.budget.calls} calls, {state.budget.tokens} tokens charged "
        f"({trainer.models.real_calls} real calls this time); outputs in {args.out}",
        file=sys.stderr,
    )
    print(candidate_funnel(state).line(), file=sys.stderr)
    return 0
