"""The system prompt as the agent's host builds it from the templates and the skill catalog."""

from __future__ import annotations

from pathlib import Path

from cairn.server.agent import templates
from cairn.skills.catalog import Catalog
from cairn.skills.sources import BUNDLED, SkillSource, bundled_skills_dir


def test_the_skill_index_is_introduced_once() -> None:
    catalog = Catalog.from_sources([SkillSource(BUNDLED, bundled_skills_dir())])
    prompt = templates.system_prompt(Path("/project"), catalog.index_text())

    # One sentence tells the model how to use skills; a second, differently worded one is only
    # tokens every call pays for (and two instructions to reconcile for a small model).
    assert prompt.count("load_skill") == 1
    for skill in catalog:
        assert f"- {skill.name}: " in prompt


def test_no_skills_no_skill_section() -> None:
    assert "load_skill" not in templates.system_prompt(Path("/project"), "")
