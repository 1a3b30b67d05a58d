"""A SkillOpt-style gate, kept only to measure Cairn's gate against it.

SkillOpt keeps a candidate when its validation score is strictly higher than the score stored
when the current skill was accepted. The stored score was measured earlier, on another draw of a
small validation sample, and nothing checks whether some task family got worse.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cairn.skills.optimize.gate import GateDecision
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.splits import Splits
from cairn.skills.optimize.tasks import Task


async def sample_score(
    models: MeteredModels, skill_text: str, tasks: list[Task], size: int, rng: random.Random
) -> float:
    """Pass rate of ``skill_text`` on a random sample of ``size`` tasks."""
    sample = rng.sample(tasks, min(size, len(tasks)))
    runs = await models.run_tasks(skill_text, sample)
    return sum(g.passed for g in await models.grade(sample, runs)) / len(sample)


@dataclass
class StoredScoreGate:
    """Accept when the candidate's fresh sample score beats the score stored for the current
    skill (measured once, when the gate first sees it, on its own draw), strictly."""

    sample_size: int
    stored_rng: random.Random
    fresh_rng: random.Random
    name: str = "skillopt"
    stored: dict[str, float] = field(default_factory=dict)

    async def judge(
        self, models: MeteredModels, current: str, candidate: str, splits: Splits
    ) -> GateDecision:
        validation = list(splits.validation)
        if current not in self.stored:
            self.stored[current] = await sample_score(
                models, current, validation, self.sample_size, self.stored_rng
            )
        stored = self.stored[current]
        score = await sample_score(models, candidate, validation, self.sample_size, self.fresh_rng)
        accepted = score > stored
        if accepted:
            self.stored[candidate] = score
        return GateDecision(
            accepted,
            f"sample score {score:.3f} vs stored {stored:.3f}",
            {"score": score, "stored": stored, "size": self.sample_size},
        )
