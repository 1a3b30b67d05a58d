"""A SkillOpt-style gate, kept only to measure Cairn's gate against it.

SkillOpt keeps a candidate when its validation score is strictly higher than the score stored
when the current skill was accepted. The stored score was measured earlier, on another draw of a
small validation sample, and nothing checks whether some task family got worse.
"""

from __future__ import annotations

import random

from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.tasks import Task


async def sample_score(
    models: MeteredModels, skill_text: str, tasks: list[Task], size: int, rng: random.Random
) -> float:
    """Pass rate of ``skill_text`` on a random sample of ``size`` tasks."""
    sample = rng.sample(tasks, min(size, len(tasks)))
    runs = await models.run_tasks(skill_text, sample)
    return sum(grade(t, r.output).passed for t, r in zip(sample, runs)) / len(sample)


async def stored_score_gate(
    models: MeteredModels,
    stored_score: float,
    candidate: str,
    validation: list[Task],
    size: int,
    rng: random.Random,
) -> bool:
    """Accept when the candidate's fresh sample score beats the stored score, strictly."""
    return await sample_score(models, candidate, validation, size, rng) > stored_score
