"""Reading skill folders from one source; every bad file becomes a problem, never a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from cairn.skills.problems import Problem, TextRange
from cairn.skills.resources import resource_exists
from cairn.skills.skill import Skill
from cairn.skills.sources import SkillSource
from cairn.skills.validation import parse_skill_text

log = logging.getLogger(__name__)

SKILL_FILE = "SKILL.md"
MAX_SKILL_BYTES = 512 * 1024


@dataclass(frozen=True)
class LoadProblem:
    """Why one SKILL.md was skipped (errors) or loaded with remarks (warnings only)."""

    path: Path
    source: str
    problems: tuple[Problem, ...]

    @property
    def skipped(self) -> bool:
        return any(p.is_error for p in self.problems)

    def lines(self) -> list[str]:
        """One compiler-style line per problem."""
        return [p.format(str(self.path)) for p in self.problems]


def _whole_file_problem(message: str) -> tuple[Problem, ...]:
    return (Problem("error", message, TextRange(0, 0, 0, 0)),)


def _read_skill_file(folder: Path, root: Path) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, reason)``; refuses links that lead out of ``root``."""
    path = folder / SKILL_FILE
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, None  # not a skill folder (no SKILL.md, or a dangling/looping link)
    if not real.is_relative_to(root.resolve()):
        return None, f"{SKILL_FILE} resolves outside its skills folder ({real}); not loaded"
    if not real.is_file():
        return None, f"{SKILL_FILE} is not a regular file"
    size = real.stat().st_size
    if size > MAX_SKILL_BYTES:
        return None, f"{SKILL_FILE} is {size} bytes; the limit is {MAX_SKILL_BYTES}"
    try:
        return real.read_bytes().decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"{SKILL_FILE} is not UTF-8 text (byte {exc.start})"
    except OSError as exc:
        return None, f"{SKILL_FILE} cannot be read: {exc.strerror}"


def load_skill_folder(folder: Path, source: SkillSource) -> tuple[Skill | None, LoadProblem | None]:
    """One skill folder: the skill (or None) and its problems (or None when clean)."""
    text, reason = _read_skill_file(folder, source.root)
    path = folder / SKILL_FILE
    if reason:
        return None, LoadProblem(path, source.kind, _whole_file_problem(reason))
    if text is None:
        return None, None
    real_folder = path.resolve().parent
    skill, problems = parse_skill_text(
        text, folder.name, resource_exists=lambda rel: resource_exists(real_folder, rel)
    )
    problem = LoadProblem(path, source.kind, tuple(problems)) if problems else None
    if skill is None:
        return None, problem
    return replace(skill, folder=real_folder, source=source.kind), problem


def load_source(source: SkillSource) -> tuple[list[Skill], list[LoadProblem]]:
    """Every valid skill under ``source.root`` (sorted by folder) and every problem found."""
    skills: list[Skill] = []
    problems: list[LoadProblem] = []
    try:
        folders = sorted(p for p in source.root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except FileNotFoundError:
        return skills, problems
    except OSError as exc:
        log.warning("cannot list skills in %s: %s", source.root, exc)
        return skills, problems
    for folder in folders:
        try:
            skill, problem = load_skill_folder(folder, source)
        except OSError as exc:  # raced with a deletion, permissions...: report, go on
            skill, problem = (
                None,
                LoadProblem(folder / SKILL_FILE, source.kind, _whole_file_problem(str(exc))),
            )
        if problem:
            problems.append(problem)
        if skill:
            skills.append(skill)
    return skills, problems
