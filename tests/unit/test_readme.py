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
