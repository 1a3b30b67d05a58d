"""Choosing skills for a file and for a code action, from the metadata skills declare.

A skill declares what it suits in its metadata (strings, per the spec): ``languages`` (LSP
language ids), ``globs`` (gitignore-style patterns) and ``actions`` (Cairn code actions). A skill
that declares neither languages nor globs suits every file. Code actions answer instantly, so this
is pure in-memory matching: no file is read here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePath

import pathspec

from cairn.skills.catalog import Catalog
from cairn.skills.skill import Skill


@lru_cache(maxsize=256)
def _spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(globs)


def match_strength(skill: Skill, path: str | None, language_id: str | None) -> int:
    """2: the file matches a declared language or glob; 1: the skill suits any file; 0: no."""
    if not skill.languages and not skill.globs:
        return 1
    if language_id and language_id.lower() in skill.languages:
        return 2
    if path and skill.globs:
        posix = PurePath(path).as_posix().lstrip("/")
        if _spec(skill.globs).match_file(posix):
            return 2
    return 0


def skills_for_file(catalog: Catalog, path: str | None, language_id: str | None = None) -> list[Skill]:
    """Skills that suit the file, specific matches first, then by name."""
    scored = [(match_strength(s, path, language_id), s) for s in catalog]
    return [s for strength, s in sorted(scored, key=lambda p: (-p[0], p[1].name)) if strength]


def skill_for_action(
    catalog: Catalog,
    action: str,
    path: str | None = None,
    language_id: str | None = None,
    *,
    default: str | None = None,
) -> Skill | None:
    """The skill a code action should use on this file, or None when the catalog has none.

    Skills declaring the action in ``metadata.actions`` compete; a specific file match beats a
    generic one, and the action's ``default`` skill (its row in the server's action table) wins
    ties, so a user or workspace skill of the same name replaces the bundled one through catalog
    precedence. When nothing declares the file, the default skill is still used: its advice is
    general.
    """
    default_name = default
    candidates = [s for s in catalog if action in s.actions or s.name == default_name]
    ranked = sorted(
        ((match_strength(s, path, language_id), s.name == default_name, s) for s in candidates),
        key=lambda t: (-t[0], not t[1], t[2].name),
    )
    for strength, is_default, skill in ranked:
        if strength or is_default:
            return skill
    return None
