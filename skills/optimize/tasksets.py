"""Task sets by name or by path: the one table of named sets, and how ``--tasks`` is resolved.

A name in `NAMED_SETS` loads an installed benchmark (its data is never part of Cairn); anything
else is a JSONL file in the format of `tasks.py`. A new named set is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cairn.skills.optimize.tasks import Task, load_tasks


def _humaneval() -> list[Task]:
    from cairn.skills.optimize.humaneval import load_humaneval

    return load_humaneval()


NAMED_SETS: dict[str, Callable[[], list[Task]]] = {"humaneval": _humaneval}


def load_task_set(spec: str | Path) -> list[Task]:
    """The tasks ``spec`` names: a named set (`NAMED_SETS`) or a JSONL task file."""
    loader = NAMED_SETS.get(str(spec))
    if loader is not None and not Path(spec).exists():
        return loader()
    return load_tasks(Path(spec))
