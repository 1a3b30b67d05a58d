"""The acceptance gate: paired, re-measured, significant, no family regression, confirmed.

The current skill and the candidate run on the same tasks (never compared with a stored score).
Only discordant pairs count: a win is a task the candidate passes and the current skill fails.
Stage 1 ("gate", on the gate split) needs a one-sided exact sign test at ``alpha`` with no task
family regressing (a net loss above ``family_tolerance`` that its own sign test at
``family_alpha`` says is no accident). Interim looks every ``chunk`` tasks stop
early when the answer is clear: futility (even winning every remaining task could not reach
significance), a family regression the remaining tasks cannot undo, or an overwhelming win
(Haybittle-Peto: p below ``interim_alpha``, which keeps the overall error rate at ``alpha``).
Stage 2 ("confirm", on a second split) needs a net win and again no family regression.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.splits import Splits
from cairn.skills.optimize.stats import sign_test_p
from cairn.skills.optimize.tasks import Task


@dataclass(frozen=True)
class GateConfig:
    alpha: float = 0.05
    interim_alpha: float = 0.001
    chunk: int = 8
    family_tolerance: int = 1
    family_alpha: float = 0.2
    confirm_min_net: int = 1


@dataclass
class Tally:
    """Paired outcomes so far, overall and per family."""

    wins: Counter = field(default_factory=Counter)
    losses: Counter = field(default_factory=Counter)
    evaluated: int = 0

    def add(self, family: str, current_passed: bool, candidate_passed: bool) -> None:
        self.evaluated += 1
        if candidate_passed and not current_passed:
            self.wins[family] += 1
        elif current_passed and not candidate_passed:
            self.losses[family] += 1

    @property
    def net(self) -> int:
        return sum(self.wins.values()) - sum(self.losses.values())

    def p_value(self, extra_wins: int = 0) -> float:
        return sign_test_p(sum(self.wins.values()) + extra_wins, sum(self.losses.values()))

    def regressed(self, tolerance: int, alpha: float, remaining: Counter | None = None) -> list[str]:
        """Families that got worse, even if all their ``remaining`` tasks were won.

        A family regresses when its net loss exceeds ``tolerance`` and the one-sided sign test
        of its losses against its wins is below ``alpha``: one or two flips are what a re-rolled
        prompt does to borderline tasks anyway; a consistent loss is not.
        """
        remaining = remaining or Counter()
        return sorted(
            f
            for f in self.losses
            if self.losses[f] - self.wins[f] - remaining[f] > tolerance
            and sign_test_p(self.losses[f], self.wins[f] + remaining[f]) <= alpha
        )

    def to_dict(self) -> dict:
        return {
            "wins": sum(self.wins.values()),
            "losses": sum(self.losses.values()),
            "evaluated": self.evaluated,
        }


@dataclass(frozen=True)
class GateDecision:
    accepted: bool
    reason: str
    gate: dict
    confirm: dict | None = None
    p_value: float = 1.0


async def _paired(
    models: MeteredModels, current: str, candidate: str, tasks: list[Task], tally: Tally
) -> None:
    before = await models.run_tasks(current, tasks)
    after = await models.run_tasks(candidate, tasks)
    grades = await models.grade(tasks + tasks, before + after)
    for task, old, new in zip(tasks, grades[: len(tasks)], grades[len(tasks) :]):
        tally.add(task.family, old.passed, new.passed)


def _chunks(tasks: list[Task], size: int) -> list[list[Task]]:
    return [tasks[i : i + size] for i in range(0, len(tasks), max(1, size))]


# A stage's rule: given the tally and the tasks still to run, a verdict (passed, reason) or None
# to keep going. Called after every chunk; with no task left it must give a verdict.
StageRule = Callable[[Tally, list[Task]], "tuple[bool, str] | None"]


async def _sequential(
    models: MeteredModels,
    current: str,
    candidate: str,
    tasks: list[Task],
    cfg: GateConfig,
    rule: StageRule,
    label: str,
) -> tuple[bool, str, Tally]:
    """Run paired chunks until ``rule`` decides; a family regression always ends the stage."""
    tally = Tally()
    chunks = _chunks(tasks, cfg.chunk)
    for index, chunk in enumerate(chunks):
        await _paired(models, current, candidate, chunk, tally)
        rest = [t for c in chunks[index + 1 :] for t in c]
        if bad := tally.regressed(cfg.family_tolerance, cfg.family_alpha, Counter(t.family for t in rest)):
            return False, f"{label}regression on task family {', '.join(bad)}", tally
        verdict = rule(tally, rest)
        if verdict is not None:
            return verdict[0], label + verdict[1], tally
    raise AssertionError("a stage rule must decide when no task is left")  # pragma: no cover


def _gate_rule(cfg: GateConfig) -> StageRule:
    def rule(tally: Tally, rest: list[Task]) -> tuple[bool, str] | None:
        counts = tally.to_dict()
        if tally.p_value(extra_wins=len(rest)) > cfg.alpha:  # futile even if every rest task is won
            return False, f"no significant win (wins {counts['wins']}, losses {counts['losses']})"
        if not rest:
            return True, "significant paired win"
        if tally.p_value() <= cfg.interim_alpha and not tally.regressed(
            cfg.family_tolerance, cfg.family_alpha
        ):
            return True, "overwhelming paired win (stopped early)"
        return None

    return rule


def _confirm_rule(cfg: GateConfig) -> StageRule:
    def rule(tally: Tally, rest: list[Task]) -> tuple[bool, str] | None:
        if tally.net + len(rest) < cfg.confirm_min_net:
            return False, f"no net win on the second split (net {tally.net})"
        if not rest:
            return True, "confirmed on the second split"
        return None

    return rule


async def decide(
    models: MeteredModels,
    current: str,
    candidate: str,
    gate_tasks: list[Task],
    confirm_tasks: list[Task],
    config: GateConfig = GateConfig(),
) -> GateDecision:
    """Accept ``candidate`` over ``current`` only on a significant, confirmed, regression-free win."""
    passed, reason, gate_tally = await _sequential(
        models, current, candidate, gate_tasks, config, _gate_rule(config), ""
    )
    p_value = gate_tally.p_value()
    if not passed:
        return GateDecision(False, reason, gate_tally.to_dict(), None, p_value)
    confirmed, confirm_reason, confirm_tally = await _sequential(
        models, current, candidate, confirm_tasks, config, _confirm_rule(config), "confirmation: "
    )
    return GateDecision(
        confirmed, f"{reason}; {confirm_reason}", gate_tally.to_dict(), confirm_tally.to_dict(), p_value
    )


class Gate(Protocol):
    """Decides whether ``candidate`` replaces ``current``: the trainer and the gate comparison
    take any gate of this shape (Cairn's paired gate, or a baseline measured against it)."""

    @property
    def name(self) -> str:
        """Short id used in reports ("cairn", "skillopt")."""

    async def judge(
        self, models: MeteredModels, current: str, candidate: str, splits: Splits
    ) -> GateDecision: ...


@dataclass(frozen=True)
class PairedGate:
    """Cairn's gate (module docstring): paired, re-measured, significant, confirmed."""

    config: GateConfig = field(default_factory=GateConfig)
    name: str = "cairn"

    async def judge(
        self, models: MeteredModels, current: str, candidate: str, splits: Splits
    ) -> GateDecision:
        return await decide(models, current, candidate, list(splits.gate), list(splits.confirm), self.config)
