"""Generating simulated worlds: families of tasks, the rules they need, neutral and harmful rules.

Used by the tests and benches, and to write the bundled demo (``tasks/simulated-demo*``) that
`cairn skills train --backend simulated --demo` trains on.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from cairn.skills.optimize.simulated import SimRule, SimWorld
from cairn.skills.optimize.tasks import Grader, Task

# (family, the rule its tasks need): instructions a coding agent's skill might really carry.
FAMILY_RULES: tuple[tuple[str, str], ...] = (
    ("dates", "Write dates in ISO 8601 form, YYYY-MM-DD."),
    ("paths", "Use forward slashes in file paths, even on Windows."),
    ("json", "Return machine-readable answers as a single JSON object and nothing else."),
    ("naming", "Name Python functions and variables in snake_case."),
    ("errors", "Quote the exact error message before explaining it."),
    ("units", "Give durations in seconds as plain integers."),
    ("imports", "Put imports at the top of the file, standard library first."),
    ("tests", "Name each test after the behaviour it checks."),
)
NEUTRAL_RULES: tuple[str, ...] = (
    "Be thorough and careful.",
    "Think about the problem before answering.",
    "Keep a friendly and professional tone.",
    "Prefer clarity over cleverness.",
    "Double-check your work.",
    "Remember that the user is an experienced developer.",
    "Consider edge cases.",
    "Stay focused on the request.",
)
# (rule, how many families it breaks): plausible advice that is wrong for some task families.
HARMFUL_RULES: tuple[tuple[str, int], ...] = (
    ("Always answer in full sentences with an explanation first.", 2),
    ("Write dates the way the user's locale does, e.g. 01/31/2024.", 1),
    ("Use backslashes in paths for Windows users.", 1),
    ("Wrap every answer in a markdown code block with a heading.", 2),
    ("Use camelCase for all identifiers.", 1),
    ("Round durations to minutes for readability.", 1),
)
START_DESCRIPTION = (
    "Conventions for answering small coding questions in this project. Use for every task of the task set."
)
START_SKILL = """---
name: {name}
description: {description}
---
# Answering conventions

## Rules
- Answer the question that was asked.
"""


def generate_world(
    seed: int = 0,
    *,
    families: int = 4,
    per_family: int = 50,
    need_fraction: float = 0.8,
    name: str = "simulated-demo",
) -> tuple[SimWorld, list[Task], str]:
    """A world, its tasks and a starting skill that lacks every helpful rule."""
    if not 1 <= families <= len(FAMILY_RULES):
        raise ValueError(f"families must be 1-{len(FAMILY_RULES)}")
    rng = random.Random(f"cairn-sim-world:{seed}")
    chosen = FAMILY_RULES[:families]
    family_names = [family for family, _ in chosen]
    rules = [SimRule(f"help-{f}", f"- {text}", "helpful", (f,)) for f, text in chosen]
    rules += [SimRule(f"neutral-{i}", f"- {text}", "neutral") for i, text in enumerate(NEUTRAL_RULES)]
    for i, (text, breaks) in enumerate(HARMFUL_RULES):
        rules.append(
            SimRule(
                f"harm-{i}",
                f"- {text}",
                "harmful",
                tuple(sorted(rng.sample(family_names, min(breaks, families)))),
            )
        )
    tasks: list[Task] = []
    for family in family_names:
        for index in range(per_family):
            needs = [f"help-{family}"] if rng.random() < need_fraction else []
            expected = f"{family}-answer-{index:03d}-{rng.randrange(16**6):06x}"
            tasks.append(
                Task(
                    id=f"{family}-{index:03d}",
                    input=(
                        f"[{family}] question {index}: "
                        f"produce the {family} result for case {rng.randrange(10**6)}"
                    ),
                    expected=expected,
                    grader=Grader("exact"),
                    family=family,
                    meta={"needs": needs},
                )
            )
    return SimWorld(rules), tasks, START_SKILL.format(name=name, description=START_DESCRIPTION)


def write_world(folder: Path, name: str = "simulated-demo", **kwargs: object) -> tuple[Path, Path, Path]:
    """Write ``<name>.jsonl`` (tasks), ``<name>.rules.jsonl`` and ``<name>/SKILL.md`` in ``folder``."""
    world, tasks, skill = generate_world(name=name, **kwargs)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    tasks_path, rules_path = folder / f"{name}.jsonl", folder / f"{name}.rules.jsonl"
    with open(tasks_path, "w", encoding="utf-8") as out:
        for t in tasks:
            row = {
                "id": t.id,
                "family": t.family,
                "input": t.input,
                "expected": t.expected,
                "grader": t.grader.kind,
                "meta": t.meta,
            }
            out.write(json.dumps(row, sort_keys=True) + "\n")
    with open(rules_path, "w", encoding="utf-8") as out:
        for r in world.rules.values():
            out.write(
                json.dumps(
                    {"id": r.id, "text": r.text, "kind": r.kind, "families": list(r.families)}, sort_keys=True
                )
                + "\n"
            )
    skill_path = folder / name / "SKILL.md"
    skill_path.parent.mkdir(exist_ok=True)
    skill_path.write_text(skill, encoding="utf-8")
    return tasks_path, rules_path, skill_path
