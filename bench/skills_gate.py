"""Bench (1): acceptance rates of helpful, neutral and harmful edits, Cairn's gate vs SkillOpt's.

Both gates judge the same edits in the same run, in the simulated backend (ground truth known).
Targets: 0% harmful accepted and at least 90% helpful accepted under Cairn's gate.
Usage: python bench/skills_gate.py [--trials N] [--seed S] [--noise P]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from cairn.skills.optimize.gate_comparison import EDIT_KINDS, compare_gates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="trials per edit kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--noise", type=float, default=0.03, help="chance a task flips when the skill text changes"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    result = asyncio.run(compare_gates(args.trials, seed=args.seed, noise=args.noise))
    print(f"gate comparison: {args.trials} trials per kind, seed {args.seed}, noise {args.noise}")
    print(f"{'edit kind':<10} {'trials':>6} {'Cairn accepted':>15} {'SkillOpt accepted':>18}")
    for kind in EDIT_KINDS:
        print(
            f"{kind:<10} {result.trials[kind]:>6} {result.rate('cairn', kind):>14.1%} "
            f"{result.rate('skillopt', kind):>17.1%}"
        )
    print("(mixed: one edit carrying a helpful and a harmful rule; reported beside the targets, not in them)")
    harmful = result.cairn["harmful"]
    print(
        f"target runs: Cairn {result.calls['cairn']}, SkillOpt {result.calls['skillopt']}"
        f" (ratio {result.calls['cairn'] / max(1, result.calls['skillopt']):.2f})"
    )
    print(
        f"targets: harmful 0% -> {'MET' if harmful == 0 else 'MISSED'}; helpful >= 90% -> "
        f"{'MET' if result.rate('cairn', 'helpful') >= 0.9 else 'MISSED'}"
    )
    print(f"elapsed {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
