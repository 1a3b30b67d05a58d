"""The skill catalog: precedence across sources and progressive disclosure to the agent.

Only names and descriptions go into the system prompt (:meth:`Catalog.index_text`); the agent
reads a body with :meth:`Catalog.load_skill` and a resource with :meth:`Catalog.read_resource`,
each only when it needs it, so a large library costs a few lines of context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cairn.skills.errors import ResourceError, UnknownSkillError
from cairn.skills.loader import LoadProblem, load_source
from cairn.skills.resources import list_resources, read_resource_text
from cairn.skills.skill import Skill
from cairn.skills.sources import SkillSource

INDEX_HEADER = (
    "Skills: detailed instructions for recurring kinds of work. When a request matches a description, "
    "call load_skill(name) before you start, then follow the instructions it returns."
)


@dataclass(frozen=True)
class Shadowed:
    """A skill of the same name that lost to a later source."""

    source: str
    path: Path | None


@dataclass(frozen=True)
class PrecedenceEntry:
    """Which source won for one name, and which were shadowed (lowest precedence first)."""

    name: str
    source: str
    path: Path | None
    shadowed: tuple[Shadowed, ...] = ()


class Catalog:
    """The skills in effect for one workspace: later sources override earlier ones by name."""

    def __init__(self, skills: Sequence[Skill] = (), problems: Sequence[LoadProblem] = ()) -> None:
        self._skills: dict[str, Skill] = {}
        self._shadowed: dict[str, list[Shadowed]] = {}
        for skill in skills:  # in precedence order: a later one replaces an earlier one
            previous = self._skills.get(skill.name)
            if previous is not None:
                self._shadowed.setdefault(skill.name, []).append(Shadowed(previous.source, previous.path))
            self._skills[skill.name] = skill
        self.problems: list[LoadProblem] = list(problems)

    @classmethod
    def from_sources(cls, sources: Sequence[SkillSource]) -> Catalog:
        """Load every source in order (blocking file I/O; see :meth:`from_sources_async`)."""
        skills: list[Skill] = []
        problems: list[LoadProblem] = []
        for source in sources:
            found, bad = load_source(source)
            skills += found
            problems += bad
        return cls(skills, problems)

    @classmethod
    async def from_sources_async(cls, sources: Sequence[SkillSource]) -> Catalog:
        """:meth:`from_sources` in a worker thread, so the event loop never waits on the disk."""
        return await asyncio.to_thread(cls.from_sources, list(sources))

    def __iter__(self) -> Iterator[Skill]:
        return iter(sorted(self._skills.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def names(self) -> list[str]:
        """Skill names, sorted."""
        return sorted(self._skills)

    def get(self, name: str) -> Skill:
        """The winning skill called ``name``; raises :class:`UnknownSkillError` with the choices."""
        try:
            return self._skills[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise UnknownSkillError(f"no skill named {name!r} (available: {known})") from None

    def precedence(self) -> list[PrecedenceEntry]:
        """For each name: the source that won and the ones it shadowed."""
        return [
            PrecedenceEntry(s.name, s.source, s.path, tuple(self._shadowed.get(s.name, ()))) for s in self
        ]

    def index_text(self) -> str:
        """The system-prompt section: one line per skill, name and description only."""
        if not self._skills:
            return ""
        lines = [INDEX_HEADER]
        for skill in self:
            lines.append(f"- {skill.name}: {' '.join(skill.description.split())}")
        return "\n".join(lines)

    def load_skill(self, name: str) -> str:
        """The body the agent follows, plus the names (not contents) of its resources."""
        skill = self.get(name)
        parts = [f"# Skill: {skill.name}", "", skill.body]
        resources = list_resources(skill.folder) if skill.folder else []
        if resources:
            parts += [
                "",
                f"Files in this skill (read one with read_skill_resource({skill.name!r}, path) "
                "only when the instructions above refer to it):",
            ]
            parts += [f"- {path}" for path in resources]
        return "\n".join(parts)

    def read_resource(self, name: str, relative_path: str) -> str:
        """A text file of skill ``name``, confined to its folder (no ``..``, no symlinks)."""
        skill = self.get(name)
        if skill.folder is None:
            raise ResourceError(f"skill {name!r} has no folder, so no resources")
        return read_resource_text(skill.folder, relative_path)
