"""The gate in the simulated backend: helpful accepted, neutral and harmful rejected."""

from __future__ import annotations

from cairn.skills.optimize.budget import Budget
from cairn.skills.optimize.cache import ResponseCache
from cairn.skills.optimize.edits import Edit, apply_edit
from cairn.skills.optimize.gate import decide
from cairn.skills.optimize.gate_comparison import compare_gates
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.simulated import SimulatedOptimizer, SimulatedTarget
from cairn.skills.optimize.simulated_world import generate_world
from cairn.skills.optimize.splits import split_tasks
from cairn.skills.optimize.stats import sign_test_p


def test_sign_test_values():
    assert sign_test_p(0, 0) == 1.0
    assert sign_test_p(5, 0) == 1 / 32
    assert abs(sign_test_p(8, 1) - 10 / 512) < 1e-12
    assert sign_test_p(1, 5) > 0.9


def models(world, noise=0.0):
    return MeteredModels(
        SimulatedTarget(world, noise=noise),
        SimulatedOptimizer(world),
        cache=ResponseCache(None),
        budget=Budget(),
        target_name="sim",
        optimizer_name="sim",
        target_max_tokens=64,
        optimizer_max_tokens=64,
    )


async def test_each_kind_of_edit_gets_the_right_verdict():
    world, tasks, start = generate_world(5, families=4, per_family=50)
    splits = split_tasks(tasks, 5)
    gate, confirm = list(splits.gate), list(splits.confirm)
    helpful = world.of_kind("helpful")[0]
    with_helpful = apply_edit(start, Edit("append", helpful.text))
    verdict = await decide(models(world, 0.03), start, with_helpful, gate, confirm)
    assert verdict.accepted and verdict.confirm is not None
    neutral = apply_edit(start, Edit("append", world.of_kind("neutral")[0].text))
    verdict = await decide(models(world, 0.03), start, neutral, gate, confirm)
    assert not verdict.accepted and "no significant win" in verdict.reason
    # A harmful rule on a skill that already serves the family it breaks: stopped early.
    full = start
    for rule in world.of_kind("helpful"):
        full = apply_edit(full, Edit("append", rule.text))
    harmful = apply_edit(full, Edit("append", world.of_kind("harmful")[0].text))
    m = models(world, 0.03)
    verdict = await decide(m, full, harmful, gate, confirm)
    assert not verdict.accepted and verdict.gate["evaluated"] < len(gate)
    assert m.budget.calls < 2 * len(gate)  # early stop saved runs


async def test_a_win_that_hides_a_family_regression_is_rejected():
    world, tasks, start = generate_world(6, families=4, per_family=50)
    splits = split_tasks(tasks, 6)
    harmful = next(h for h in world.of_kind("harmful") if len(h.families) == 1)
    broken = harmful.families[0]
    current = start
    for rule in world.of_kind("helpful"):
        if broken in rule.families:
            current = apply_edit(current, Edit("append", rule.text))  # the broken family works now
    fixer = next(r for r in world.of_kind("helpful") if broken not in r.families)
    mixed = apply_edit(current, Edit("append", fixer.text + "\n" + harmful.text))
    verdict = await decide(models(world), current, mixed, list(splits.gate), list(splits.confirm))
    assert not verdict.accepted and f"regression on task family {broken}" in verdict.reason


async def test_gate_comparison_reduced_run_meets_the_targets():
    """The bench's code with a reduced count: Cairn accepts helpful, never harmful or neutral."""
    result = await compare_gates(12, seed=2)
    assert result.rate("cairn", "harmful") == 0.0
    assert result.rate("cairn", "neutral") == 0.0
    assert result.rate("cairn", "helpful") >= 0.9
    assert result.rate("skillopt", "neutral") > 0.1  # the stored-score gate lets noise through
