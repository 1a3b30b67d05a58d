"""The README stays true: its settings table is the settings model, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from cairn.server.settings import describe_fields

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def settings_table() -> str:
    rows = ["| key | environment | default | scope | meaning |", "|---|---|---|---|---|"]
    for row in describe_fields():
        rows.append(
            f"| `{row['key']}` | `{row['env']}` | `{row['default']!r}` | {row['scope']} | "
            f"{row['description']} |"
        )
    return "\n".join(rows)


def test_settings_table_matches_the_settings_model():
    block = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", README, re.S)
    assert block, "settings table markers missing"
    assert block.group(1) == settings_table()


def test_environment_table_matches_the_typed_environment_block():
    from cairn.environment import markdown_table

    block = re.search(
        r"<!-- environment-table:start -->\n(.*?)\n<!-- environment-table:end -->", README, re.S
    )
    assert block, "environment table markers missing"
    assert block.group(1) == markdown_table()


def test_scripts_named_in_the_readme_exist_and_are_executable():
    for script in set(re.findall(r"scripts/[a-z0-9-]+", README)):
        path = REPO / script
        assert path.exists() and path.stat().st_mode & 0o111, script
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111


# The editors the README gives setup lines for, by the start of their bold heading, and the test
# that runs each headless in CI. An editor added to the README needs its test here too.
EDITOR_TESTS = {
    "VS Code": "test_vscode.py",
    "Neovim": "test_nvim.py",
    "Emacs, eglot": "test_emacs.py",
    "Emacs, lsp-mode": "test_emacs.py",
    "Vim with ALE": "test_vim.py",
}


def test_every_editor_listed_as_supported_has_a_test_in_ci():
    section = re.search(r"### The editor clients\n(.*?)\n## ", README, re.S)
    assert section, "editor section missing"
    supported, untested = section.group(1).split("**Untested**", 1)
    headings = re.findall(r"^\*\*([^*(]+?)\*\*|^\*\*([^*(]+?) \(", supported, re.M)
    names = [first or second for first, second in headings]
    assert names and set(names) <= set(EDITOR_TESTS), names
    claim = re.search(r"^Supported, each tested headless in CI[^\n]*\n[^\n]*", supported, re.M)
    assert claim, "the sentence naming the tested editors is missing"
    for name in names:
        assert (REPO / "tests" / "e2e" / "clients" / EDITOR_TESTS[name]).is_file(), name
        assert name.split(",")[0].split(" with ")[0] in claim.group(0), name
    assert "**Helix**" in untested and "Helix" not in names
