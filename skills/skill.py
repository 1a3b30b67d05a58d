"""The Skill value: one validated SKILL.md and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.skills.problems import Problem

# Metadata keys Cairn reads (values are comma-separated strings, as the spec wants strings).
LANGUAGES_KEY = "languages"  # LSP language ids, e.g. "python,typescript"
GLOBS_KEY = "globs"  # gitignore-style patterns, e.g. "**/*.py,**/*.pyi"
ACTIONS_KEY = "actions"  # Cairn code actions served: explain, fix, refactor, docstring, tests


def split_list(value: str | None) -> tuple[str, ...]:
    """``"a, b,,c"`` -> ``("a", "b", "c")``."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Skill:
    """A skill that passed validation. Unknown front-matter keys are kept in ``extra``."""

    name: str
    description: str
    body: str
    license: str | None = None
    compatibility: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    allowed_tools: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None
    source: str = "memory"
    warnings: tuple[Problem, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang.lower() for lang in split_list(self.metadata.get(LANGUAGES_KEY)))

    @property
    def globs(self) -> tuple[str, ...]:
        return split_list(self.metadata.get(GLOBS_KEY))

    @property
    def actions(self) -> tuple[str, ...]:
        return split_list(self.metadata.get(ACTIONS_KEY))

    @property
    def path(self) -> Path | None:
        """The SKILL.md file, when the skill was loaded from disk."""
        return self.folder / "SKILL.md" if self.folder else None
