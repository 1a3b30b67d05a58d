"""The prompt of a code action: the action's skill is chosen by the file's workspace path."""

from __future__ import annotations

from pygls.workspace import Workspace

from cairn.server.command_args import RunActionArgs
from cairn.server.lsp.documents import Documents, path_to_uri
from cairn.server.lsp.run_prompts import code_action_prompt
from cairn.skills.catalog import Catalog
from cairn.skills.sources import USER, SkillSource

SKILL = """---
name: src-tests
description: How this project tests its sources. Use for tests of files under src/.
metadata:
  actions: "tests"
  globs: "src/**/*.py"
---
Put the tests in tests/unit, one file per module (SRC-TESTS-SKILL).
"""


async def test_an_anchored_skill_glob_matches_the_path_relative_to_the_workspace(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "src" / "pkg").mkdir(parents=True)
    source = workspace / "src" / "pkg" / "app.py"
    source.write_text("def add(a, b):\n    return a + b\n")
    skills = tmp_path / "skills"
    (skills / "src-tests").mkdir(parents=True)
    (skills / "src-tests" / "SKILL.md").write_text(SKILL)
    catalog = Catalog.from_sources([SkillSource(USER, skills)])
    documents = Documents(lambda: Workspace(workspace.as_uri()))
    args = RunActionArgs.model_validate(
        {
            "action": "tests",
            "uri": path_to_uri(source),
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
        }
    )

    prompt = await code_action_prompt(documents, args, workspace, catalog)

    # "src/**/*.py" is anchored at the workspace root: it must be matched against
    # "src/pkg/app.py", not against the absolute path of the file.
    assert "SRC-TESTS-SKILL" in prompt
    # ...and the prompt names the skill it inlines, not the action's default one.
    assert "Follow the `src-tests` skill" in prompt and '<skill name="src-tests">' in prompt
    assert "src/pkg/app.py" in prompt and str(workspace) not in prompt
