"""Catalog: sources, precedence, trust, bad files, disclosure, confinement, selection."""

from __future__ import annotations

import os

import pytest

from cairn.skills.agent_tools import SkillTools
from cairn.skills.catalog import Catalog
from cairn.skills.errors import ResourceError, UnknownSkillError
from cairn.skills.selection import skill_for_action, skills_for_file
from cairn.skills.sources import BUNDLED, USER, WORKSPACE, SkillSource, default_sources, user_skills_dir

from .conftest import skill_text, write_skill


def test_user_and_workspace_override_bundled_and_the_report_says_so(tmp_path):
    user = user_skills_dir()
    write_skill(user, "explain", description="My own explanation style. Use always.")
    write_skill(
        tmp_path / ".cairn" / "skills", "explain", description="The project's explanation style. Use here."
    )
    catalog = Catalog.from_sources(default_sources(tmp_path, trusted=True))
    assert catalog.get("explain").source == WORKSPACE
    entry = [e for e in catalog.precedence() if e.name == "explain"][0]
    assert entry.source == WORKSPACE
    assert [s.source for s in entry.shadowed] == [BUNDLED, USER]
    assert "project's explanation" in catalog.index_text()


def test_workspace_skills_are_ignored_until_trusted(tmp_path):
    write_skill(tmp_path / ".cairn" / "skills", "evil", description="Injected by the repository. Use always.")
    assert "evil" not in Catalog.from_sources(default_sources(tmp_path, trusted=False))
    assert "evil" in Catalog.from_sources(default_sources(tmp_path, trusted=True))


def test_bad_files_are_reported_one_by_one_and_good_ones_still_load(tmp_path):
    root = tmp_path / "skills"
    write_skill(root, "good")
    write_skill(root, "bad-yaml", "---\nname: bad-yaml\ndescription: [x\n---\n")
    write_skill(root, "wrong-name", skill_text("other"))
    (root / "binary").mkdir()
    (root / "binary" / "SKILL.md").write_bytes(b"\xff\xfe\x00garbage")
    (root / "no-skill-file").mkdir()
    catalog = Catalog.from_sources([SkillSource(USER, root)])
    assert catalog.names() == ["good"]
    bad = {p.path.parent.name: p for p in catalog.problems}
    assert set(bad) == {"bad-yaml", "wrong-name", "binary"}
    assert all(p.skipped for p in bad.values())
    assert "UTF-8" in bad["binary"].lines()[0]


def test_a_skill_file_linking_outside_its_source_is_refused(tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text(skill_text("leak"))
    root = tmp_path / "skills"
    (root / "leak").mkdir(parents=True)
    os.symlink(outside, root / "leak" / "SKILL.md")
    catalog = Catalog.from_sources([SkillSource(WORKSPACE, root)])
    assert "leak" not in catalog
    assert "outside" in catalog.problems[0].lines()[0]


def test_missing_source_folder_is_simply_empty(tmp_path):
    catalog = Catalog.from_sources([SkillSource(USER, tmp_path / "nope")])
    assert len(catalog) == 0 and catalog.problems == [] and catalog.index_text() == ""


def test_index_has_names_and_descriptions_only_and_bodies_load_on_demand():
    catalog = Catalog.from_sources(default_sources())
    index = catalog.index_text()
    docstring = catalog.get("docstring")
    assert "- docstring: " + docstring.description in index
    assert "Find the house style" not in index  # a body line
    loaded = catalog.load_skill("docstring")
    assert "Find the house style" in loaded
    assert "references/styles.md" in loaded  # listed ...
    assert "NumPy style\n```python" not in loaded  # ... but not read until asked
    assert "NumPy style" in catalog.read_resource("docstring", "references/styles.md")
    with pytest.raises(UnknownSkillError, match="available: commit-message"):
        catalog.load_skill("nope")


async def test_async_build_matches_sync_build():
    catalog = await Catalog.from_sources_async(default_sources())
    assert catalog.names() == Catalog.from_sources(default_sources()).names()


@pytest.mark.parametrize(
    "path",
    [
        "../SKILL.md",
        "/etc/passwd",
        "references/../../x",
        "",
        "a\x00b",
        "references\\x.md",
        "references/link.md",
        "linkdir/x.md",
        "references",
        "references/missing.md",
    ],
)
def test_resources_are_confined_to_the_skill_folder(tmp_path, path):
    root = tmp_path / "skills"
    folder = write_skill(root, "s")
    (folder / "references").mkdir()
    (folder / "references" / "ok.md").write_text("fine")
    (tmp_path / "outside.md").write_text("secret")
    os.symlink(tmp_path / "outside.md", folder / "references" / "link.md")
    os.symlink(tmp_path, folder / "linkdir")
    (tmp_path / "x.md").write_text("secret")
    catalog = Catalog.from_sources([SkillSource(USER, root)])
    assert catalog.read_resource("s", "references/ok.md") == "fine"
    assert catalog.read_resource("s", "./references/ok.md") == "fine"
    with pytest.raises(ResourceError):
        catalog.read_resource("s", path)
    assert "references/link.md" not in catalog.load_skill("s")


def test_code_actions_pick_the_bundled_skills_and_follow_overrides(tmp_path):
    catalog = Catalog.from_sources(default_sources())
    defaults = {
        "explain": "explain",
        "fix": "fix-diagnostic",
        "refactor": "refactor",
        "docstring": "docstring",
        "tests": "write-tests",
    }  # the server's action table passes these (server/action_specs.py)
    chosen = {
        a: skill_for_action(catalog, a, "src/app.py", "python", default=d).name for a, d in defaults.items()
    }
    assert chosen == {
        "explain": "explain",
        "fix": "fix-diagnostic",
        "refactor": "refactor",
        "docstring": "docstring",
        "tests": "write-tests",
    }
    assert (
        skill_for_action(catalog, "fix", "notes.md", "markdown", default="fix-diagnostic").name
        == "fix-diagnostic"
    )  # default still applies
    root = tmp_path / "ws"
    write_skill(
        root / ".cairn" / "skills",
        "py-tests",
        description="Pytest conventions of this project. Use for Python tests.",
        extra='metadata:\n  actions: "tests"\n  globs: "**/*.py"\n',
    )
    catalog = Catalog.from_sources(default_sources(root, trusted=True))
    assert skill_for_action(catalog, "tests", "pkg/mod.py", default="write-tests").name == "py-tests"
    assert (
        skill_for_action(catalog, "tests", "web/app.ts", "typescript", default="write-tests").name
        == "write-tests"
    )
    assert "py-tests" in [s.name for s in skills_for_file(catalog, "a/b.py")]
    assert "py-tests" not in [s.name for s in skills_for_file(catalog, "a/b.ts")]


def test_progressive_disclosure_through_a_scripted_agent():
    """A scripted agent sees only the index, loads the body, then a resource it names."""
    catalog = Catalog.from_sources(default_sources())
    tools = SkillTools(catalog)
    system_prompt = catalog.index_text()
    context = [system_prompt]

    def scripted_model(context: list[str]) -> tuple[str, dict]:
        last = context[-1]
        if last is system_prompt:
            name = next(
                line[2:].split(":")[0] for line in last.splitlines() if line.startswith("- docstring")
            )
            return "load_skill", {"name": name}
        if "# Skill: docstring" in last:
            ref = next(w.strip("`.,") for w in last.split() if w.strip("`.,").startswith("references/"))
            return "read_skill_resource", {"name": "docstring", "path": ref}
        return "answer", {}

    while True:
        tool, arguments = scripted_model(context)
        if tool == "answer":
            break
        context.append(getattr(tools, tool)(**arguments))
    assert len(context) == 3
    assert "Find the house style" not in context[0] and "Find the house style" in context[1]
    assert "Google style" not in context[1] and "Google style" in context[2]
