"""Acceptance rates of helpful, neutral and harmful edits under Cairn's gate and SkillOpt's.

Shared by bench/skills_gate.py (full counts) and the test suite (a reduced count of the same
code). Each trial draws a split and a current skill (a random subset of the helpful rules), then
one edit of the kind under test, and asks both gates about the same edit.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from cairn.skills.optimize.baseline_gate import StoredScoreGate
from cairn.skills.optimize.budget import Budget
from cairn.skills.optimize.cache import ResponseCache
from cairn.skills.optimize.edits import Edit, apply_edit
from cairn.skills.optimize.gate import Gate, GateConfig, PairedGate
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.simulated import SimulatedOptimizer, SimulatedTarget, SimWorld
from cairn.skills.optimize.simulated_world import generate_world
from cairn.skills.optimize.splits import split_tasks

EDIT_KINDS = ("helpful", "neutral", "harmful", "mixed")  # mixed: helpful and harmful in one edit


@dataclass
class Comparison:
    trials: Counter = field(default_factory=Counter)
    cairn: Counter = field(default_factory=Counter)
    skillopt: Counter = field(default_factory=Counter)
    calls: Counter = field(default_factory=Counter)  # target runs per gate name

    def rate(self, gate: str, kind: str) -> float:
        return getattr(self, gate)[kind] / max(1, self.trials[kind])


def _edit_text(world: SimWorld, kind: str, current: str, rng: random.Random) -> str | None:
    missing = [r for r in world.of_kind("helpful") if not world.contains(current, r)]
    harmful = world.of_kind("harmful")
    if kind == "helpful":
        return rng.choice(missing).text if missing else None
    if kind == "neutral":
        return rng.choice(world.of_kind("neutral")).text
    if kind == "harmful":
        return rng.choice(harmful).text
    if not missing:
        return None
    helpful = rng.choice(missing)
    # Harmful for some family other than the one the helpful rule fixes.
    others = [h for h in harmful if set(h.families) - set(helpful.families)]
    return helpful.text + "\n" + rng.choice(others or harmful).text


def _models(world: SimWorld, noise: float, seed: int) -> MeteredModels:
    return MeteredModels(
        SimulatedTarget(world, noise=noise, seed=seed),
        SimulatedOptimizer(world),
        cache=ResponseCache(None),
        budget=Budget(),
        target_name="sim",
        optimizer_name="sim",
        target_max_tokens=64,
        optimizer_max_tokens=64,
    )


async def compare_gates(
    trials_per_kind: int,
    *,
    seed: int = 0,
    noise: float = 0.03,
    families: int = 4,
    per_family: int = 50,
    config: GateConfig = GateConfig(),
) -> Comparison:
    """Run ``trials_per_kind`` trials of each edit kind through both gates."""
    world, tasks, start = generate_world(seed, families=families, per_family=per_family)
    result = Comparison()
    rng = random.Random(f"cairn-gate-bench:{seed}")
    for trial in range(trials_per_kind * len(EDIT_KINDS)):
        kind = EDIT_KINDS[trial % len(EDIT_KINDS)]
        splits = split_tasks(tasks, seed * 100_003 + trial)
        current = start
        for rule in world.of_kind("helpful"):
            if rng.random() < 0.5:
                current = apply_edit(current, Edit("append", rule.text))
        text = _edit_text(world, kind, current, rng)
        if text is None:
            continue
        candidate = apply_edit(current, Edit("append", text))
        gates: tuple[Gate, ...] = (
            PairedGate(config),
            StoredScoreGate(
                len(splits.gate), random.Random(f"stored:{trial}"), random.Random(f"fresh:{trial}")
            ),
        )
        result.trials[kind] += 1
        for gate in gates:  # the same edit in the same simulated world, metered apart
            models = _models(world, noise, seed * 7919 + trial)
            verdict = await gate.judge(models, current, candidate, splits)
            getattr(result, gate.name)[kind] += verdict.accepted
            result.calls[gate.name] += models.budget.calls
    return result
