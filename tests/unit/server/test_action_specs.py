"""One table of code actions (server/action_specs.py); everything else derives from it."""

from __future__ import annotations

import typing
from importlib import resources

from cairn.server import action_specs, command_args
from cairn.server.agent import templates
from cairn.server.lsp import code_actions
from cairn.skills.catalog import Catalog
from cairn.skills.selection import skill_for_action
from cairn.skills.sources import default_sources

PROMPTS = resources.files("cairn.server.agent") / "prompts"


def test_every_action_has_its_template_and_every_template_an_action():
    for spec in action_specs.ACTIONS:
        assert (PROMPTS / spec.template).is_file(), spec.template
    files = {
        f"actions/{entry.name}" for entry in (PROMPTS / "actions").iterdir() if entry.name.endswith(".md")
    }
    assert files == {spec.template for spec in action_specs.ACTIONS}


def test_the_argument_model_and_the_lsp_kinds_come_from_the_table():
    assert typing.get_args(command_args.ActionName) == action_specs.ACTION_IDS
    assert code_actions.ADVERTISED_KINDS == [spec.kind for spec in action_specs.ACTIONS]
    assert all(spec.kind.startswith(("quickfix", "refactor.", "source.")) for spec in action_specs.ACTIONS)


def test_every_default_skill_is_bundled_and_chosen_by_default():
    catalog = Catalog.from_sources(default_sources())
    for spec in action_specs.ACTIONS:
        assert (
            skill_for_action(catalog, spec.id, "src/app.py", "python", default=spec.skill).name == spec.skill
        )


def test_the_prompt_names_the_skill_that_was_chosen():
    prompt = templates.action_prompt(
        "tests",
        path="pkg/mod.py",
        start_line=1,
        end_line=2,
        selection="def f(): ...",
        skill_name="py-tests",
        skill_body="Use pytest fixtures.",
    )
    assert prompt.startswith("Follow the `py-tests` skill:")
    assert '<skill name="py-tests">' in prompt and "write-tests" not in prompt
