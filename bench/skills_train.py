"""Bench (2): test-split accuracy of the trained skill vs the starting skill, in the same run.

Default (`--target simulated`): trains the bundled simulated-demo skill on its tasks with the
simulated backend, over several seeds, and prints start vs end test accuracy per seed and the
candidate funnel (where the proposed edits were lost). `--proposer rules` trains with the rules
proposer made for small optimizer models.

`--target local`: trains the bundled terse-answers skill on terse-answers.jsonl with a real model
as target (the embedded local model) through the same trainer. The model objects come from a
factory ``name -> object with async complete(messages, max_tokens=...)`` named by
``--model-factory module:attribute`` (the agent's model adapter provides one); the optimizer
model defaults to the target model.
Usage: python bench/skills_train.py [--seeds 3] [--proposer rules]
       | --target local --model-factory MOD:ATTR --target-model NAME [--proposer rules]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from pathlib import Path

from cairn.skills.optimize.funnel import candidate_funnel
from cairn.skills.optimize.model_backend import ModelTargetRunner
from cairn.skills.optimize.simulated import SimulatedOptimizer, SimulatedTarget, SimWorld
from cairn.skills.optimize.tasks import load_tasks
from cairn.skills.optimize.trainer import PROPOSERS, TrainConfig, Trainer
from cairn.skills.train_cli import TASKS_DIR


async def train_once(skill: Path, tasks: Path, target, optimizer, config: TrainConfig, out: Path):
    trainer = Trainer(
        skill_text=skill.read_text(),
        folder_name=skill.parent.name,
        tasks=load_tasks(tasks),
        target=target,
        optimizer=optimizer,
        config=config,
        run_dir=out,
        concurrency=2,
    )
    state = await trainer.run()
    return trainer, state


def simulated(args: argparse.Namespace, out: Path) -> None:
    skill, tasks = TASKS_DIR / "simulated-demo" / "SKILL.md", TASKS_DIR / "simulated-demo.jsonl"
    world = SimWorld.load(TASKS_DIR / "simulated-demo.rules.jsonl")
    print(
        f"{'seed':>4} {'test start':>10} {'test end':>9} {'accepted':>8} {'rejected':>8} {'calls':>6} "
        f"{'tokens':>8}"
    )
    gains = []
    for seed in range(args.seeds):
        config = TrainConfig(
            epochs=args.epochs, batch_size=args.batch_size, seed=seed, proposer=args.proposer
        )
        _, state = asyncio.run(
            train_once(
                skill,
                tasks,
                SimulatedTarget(world, noise=args.noise, seed=seed),
                SimulatedOptimizer(world, seed=seed),
                config,
                out / f"sim-{seed}",
            )
        )
        gains.append(state.test_end - state.test_start)
        print(
            f"{seed:>4} {state.test_start:>10.3f} {state.test_end:>9.3f} {len(state.accepted):>8} "
            f"{len(state.ledger):>8} "
            f"{state.budget.calls:>6} {state.budget.tokens:>8}"
        )
        print(f"     {candidate_funnel(state).line()}")
    print(f"mean test accuracy gain over {args.seeds} seeds: {sum(gains) / len(gains):+.3f}")


def local(args: argparse.Namespace, out: Path) -> None:
    if not args.model_factory or ":" not in args.model_factory or not args.target_model:
        sys.exit(
            "--target local needs --model-factory MODULE:ATTRIBUTE and --target-model NAME "
            "(the embedded model's factory from the agent's model adapter)"
        )
    module, _, attribute = args.model_factory.partition(":")
    factory = getattr(importlib.import_module(module), attribute)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=0,
        target_model=args.target_model,
        optimizer_model=args.optimizer_model or args.target_model,
        max_calls=args.max_calls,
        proposer=args.proposer,
        target_max_tokens=96,
        optimizer_max_tokens=512,
    )
    target = ModelTargetRunner(factory(args.target_model), max_tokens=config.target_max_tokens)
    optimizer = factory(config.optimizer_model)
    skill, tasks = TASKS_DIR / "terse-answers" / "SKILL.md", TASKS_DIR / "terse-answers.jsonl"
    trainer, state = asyncio.run(train_once(skill, tasks, target, optimizer, config, out / "local"))
    print(f"target {args.target_model}, optimizer {config.optimizer_model}, splits {trainer.splits.sizes()}")
    print(
        f"test accuracy: start {state.test_start:.3f}, end {state.test_end:.3f} "
        f"({state.test_end - state.test_start:+.3f}); "
        f"{len(state.accepted)} edits accepted, {len(state.ledger)} rejected; {state.budget.calls} calls, "
        f"{state.budget.tokens} tokens; status {state.status}; outputs in {out / 'local'}"
    )
    print(candidate_funnel(state).line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("simulated", "local"), default="simulated")
    parser.add_argument("--seeds", type=int, default=5, help="simulated: seeds to train")
    parser.add_argument("--noise", type=float, default=0.03)
    parser.add_argument("--proposer", choices=PROPOSERS, default="reflective")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model-factory", help="local: MODULE:ATTRIBUTE of the model factory")
    parser.add_argument("--target-model", help="local: model name for the factory")
    parser.add_argument("--optimizer-model", help="local: optimizer model name (default: the target)")
    parser.add_argument("--max-calls", type=int, default=4000, help="local: hard call budget")
    parser.add_argument("--out", type=Path, help="keep run folders here (default: a temporary folder)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        (simulated if args.target == "simulated" else local)(args, out)
    print(f"elapsed {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
