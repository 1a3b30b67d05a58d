"""Where skills come from, lowest precedence first: bundled, the user's, the workspace's.

A later source overrides an earlier one by skill name. Workspace skills are instructions written
by whoever wrote the repository, so they are only read once the user trusts the workspace (R16).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from cairn import environment

BUNDLED = "bundled"
USER = "user"
WORKSPACE = "workspace"
APP_NAME = "cairn"


@dataclass(frozen=True)
class SkillSource:
    """One folder of skill folders (each holding a SKILL.md), tagged with its kind."""

    kind: str
    root: Path


def bundled_skills_dir() -> Path:
    """The skills shipped inside the package."""
    return Path(__file__).resolve().parent / "library"


def user_config_dir() -> Path:
    """The user's Cairn config directory (``CAIRN_CONFIG_DIR`` overrides, e.g. in tests)."""
    override = environment.get("CAIRN_CONFIG_DIR")
    if override is not None:
        return override
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_skills_dir() -> Path:
    """The user's own skills: ``<config dir>/skills``."""
    return user_config_dir() / "skills"


def workspace_skills_dir(workspace_root: Path) -> Path:
    """A workspace's skills: ``<root>/.cairn/skills``."""
    return Path(workspace_root) / ".cairn" / "skills"


def default_sources(workspace_root: Path | None = None, *, trusted: bool = False) -> list[SkillSource]:
    """Bundled, then user, then (only when ``trusted``) the workspace's skills."""
    sources = [SkillSource(BUNDLED, bundled_skills_dir()), SkillSource(USER, user_skills_dir())]
    if workspace_root is not None and trusted:
        sources.append(SkillSource(WORKSPACE, workspace_skills_dir(workspace_root)))
    return sources
