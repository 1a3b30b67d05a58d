"""R18 (the agent cannot raise its own authority) and the memory database (never read)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.errors import PathRefused

from .conftest import CANARY, Layout

AGENT_CONFIG_FILES = [
    ".cairn/settings.json",
    ".cairn/settings.local.json",
    ".cairn/permissions.toml",
    ".cairn/skills/evil/SKILL.md",
    ".Cairn/Settings.json",
    ".vscode/settings.json",
    ".VSCode/Settings.JSON",
    ".vscode/mcp.json",
    ".vscode/tasks.json",
    ".vscode/launch.json",
    "project.code-workspace",
    ".mcp.json",
    ".cursor/mcp.json",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".gemini/settings.json",
    ".codex/config.toml",
    ".zed/settings.json",
    ".helix/languages.toml",
    ".nvim.lua",
    ".envrc",
    "packages/app/.vscode/settings.json",
]


@pytest.mark.parametrize("path", AGENT_CONFIG_FILES)
async def test_agent_cannot_write_its_own_settings(layout: Layout, make_ctx, call, path) -> None:
    target = layout.ws / path
    existed = target.exists()
    ctx = make_ctx()
    created = await call(ctx, "create_file", path=path, content='{"shell": "allow"}\n')
    assert created.is_error and "Refused path" in created.content
    with pytest.raises(PathRefused):
        ctx.workspace.write_bytes(path, b'{"shell": "allow"}\n')
    assert target.exists() == existed


async def test_edit_of_existing_settings_file_is_refused_and_file_kept(
    layout: Layout, make_ctx, call
) -> None:
    settings = layout.ws / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"cairn.shell": "ask"}\n')
    ctx = make_ctx()
    read = await call(ctx, "read_file", path=".vscode/settings.json")
    assert not read.is_error, "reading editor settings is fine"
    edit = await call(ctx, "propose_edit", path=".vscode/settings.json", old_text='"ask"', new_text='"allow"')
    assert edit.is_error and "may not change its own authority" in edit.content
    assert settings.read_text() == '{"cairn.shell": "ask"}\n'


@pytest.mark.parametrize(
    "spelling",
    [
        ".cairn-memory.sqlite3",
        ".cairn-memory.sqlite3-wal",
        ".cairn-memory.sqlite3-shm",
        ".CAIRN-MEMORY.sqlite3",
        "./.cairn-memory.sqlite3",
    ],
)
async def test_memory_db_inside_workspace_is_never_read(
    layout: Layout, memory_db: Path, make_ctx, call, spelling
) -> None:
    ctx = make_ctx(protected_paths=[memory_db])
    assert ctx.protected_paths == (memory_db,)
    result = await call(ctx, "read_file", path=spelling)
    assert result.is_error and "memory database" in result.content
    assert CANARY not in result.content
    absolute = await call(ctx, "read_file", path=str(layout.ws / spelling))
    assert absolute.is_error and CANARY not in absolute.content
    with pytest.raises(PathRefused):
        ctx.workspace.write_bytes(spelling, b"overwritten")
    assert memory_db.read_bytes().endswith(CANARY.encode())


async def test_hardlink_to_memory_db_is_not_read(layout: Layout, tmp_path: Path, make_ctx, call):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "memory.sqlite3"
    db.write_bytes(b"SQLite format 3 (no NUL so only protection hides it) " + CANARY.encode())
    os.link(db, layout.ws / "notes.txt")  # same inode, innocent name, inside the workspace
    ctx = make_ctx(protected_paths=[db])
    result = await call(ctx, "read_file", path="notes.txt")
    assert result.is_error and "protected" in result.content
    assert CANARY not in result.content
    search = await call(ctx, "search", query="SQLite format")
    assert search.content.startswith("0 matches"), search.content


async def test_memory_db_is_skipped_by_search_and_list(
    layout: Layout, memory_db: Path, make_ctx, call
) -> None:
    ctx = make_ctx(protected_paths=[memory_db])
    found = await call(ctx, "search", query="SQLite format", include_ignored=True)
    assert found.content.startswith("0 matches"), found.content
    listed = await call(ctx, "list_files", include_ignored=True)
    assert ".cairn-memory.sqlite3" in listed.content, "listing names is fine; reading is not"


def test_protected_paths_outside_the_workspace_are_refused_anyway(layout: Layout) -> None:
    with ConfinedWorkspace(layout.ws, secret_files=[layout.secret]) as ws:
        with pytest.raises(PathRefused, match="outside the workspace"):
            ws.read_bytes(str(layout.secret), 1024)


def test_untrusted_context_defaults_refuse_everything_risky(layout: Layout) -> None:
    ctx = ToolContext.create(layout.ws)
    try:
        assert ctx.trusted is False and ctx.shell_policy == "ask"
    finally:
        ctx.workspace.close()
