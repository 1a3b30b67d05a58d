"""Deterministic train / validation (gate + confirm) / test splits, stratified by family.

The test split is never shown to the optimizer and is scored only at the start and the end. The
validation split is cut in two: the gate decides on the larger part and confirms on the rest.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from cairn.skills.errors import SkillError
from cairn.skills.optimize.tasks import Task


@dataclass(frozen=True)
class Splits:
    train: tuple[Task, ...]
    gate: tuple[Task, ...]
    confirm: tuple[Task, ...]
    test: tuple[Task, ...]

    @property
    def validation(self) -> tuple[Task, ...]:
        return self.gate + self.confirm

    def sizes(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("train", "gate", "confirm", "test")}


GATE_SHARE = 0.6  # of the validation split; the gate needs the power, confirmation less


def split_tasks(tasks: list[Task], seed: int, train: float = 0.3, validation: float = 0.5) -> Splits:
    """Split by ``seed``; each family is shuffled and dealt so every split sees every family.

    Fractions: ``train``, ``validation`` (60% gate, 40% confirm), the rest is test.
    """
    if not (0 < train < 1 and 0 < validation < 1 and train + validation < 1):
        raise SkillError("split fractions must be positive and leave room for a test split")
    if len(tasks) < 8:
        raise SkillError(f"need at least 8 tasks to split into train/gate/confirm/test, got {len(tasks)}")
    by_family: dict[str, list[Task]] = defaultdict(list)
    for task in sorted(tasks, key=lambda t: t.id):
        by_family[task.family].append(task)
    rng = random.Random(f"cairn-split:{seed}")
    parts: dict[str, list[Task]] = {"train": [], "gate": [], "confirm": [], "test": []}
    bounds = (train, train + validation * GATE_SHARE, train + validation)
    offset = rng.random()  # where the rounding starts, so small families are not all train
    for family in sorted(by_family):
        members = by_family[family]
        rng.shuffle(members)
        for index, task in enumerate(members):
            position = (index + offset) / len(members) % 1.0
            name = (
                "train"
                if position < bounds[0]
                else "gate"
                if position < bounds[1]
                else ("confirm" if position < bounds[2] else "test")
            )
            parts[name].append(task)
        offset = (offset + 0.382) % 1.0
    for name, members in parts.items():
        rng.shuffle(members)
        if not members:
            raise SkillError(f"the {name} split is empty: add tasks or change the fractions")
    return Splits(*(tuple(parts[name]) for name in ("train", "gate", "confirm", "test")))
