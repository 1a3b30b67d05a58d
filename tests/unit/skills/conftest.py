"""Fixtures of the skills tests: an isolated user config dir and skill-folder writers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.skills.optimize.simulated_world import generate_world


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory, monkeypatch) -> Path:
    """Keep the user's real skills out of every test."""
    path = tmp_path_factory.mktemp("cairn-config")
    monkeypatch.setenv("CAIRN_CONFIG_DIR", str(path))
    return path


def skill_text(
    name: str,
    description: str = "Does a thing. Use when the thing is needed.",
    body: str = "Do it well.\n",
    extra: str = "",
) -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n{body}"


def write_skill(root: Path, name: str, text: str | None = None, **kwargs) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        text if text is not None else skill_text(name, **kwargs), encoding="utf-8"
    )
    return folder


@pytest.fixture
def small_world():
    """A simulated world small enough for fast trainer runs."""
    return generate_world(3, families=3, per_family=30, name="sim-skill")
