"""Fixtures for the agent tool tests: a workspace with an outside world next to it."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cairn.server.agent.tools.base import ToolResult
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.context import FixedApprover, ToolContext

CANARY = "OUTSIDE-CANARY-7f3a"


@dataclass
class Layout:
    """A workspace ``ws`` and, beside it, ``outside`` (holding the canary) and ``ws-evil``."""

    base: Path
    ws: Path
    outside: Path
    secret: Path


def make_layout(base: Path) -> Layout:
    ws = base / "ws"
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "src" / "main.py").write_text("print('hello')\n")
    (ws / "src" / "pkg" / "util.py").write_text("def helper():\n    return 42\n")
    (ws / "README.md").write_text("# demo\n")
    outside = base / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text(f"{CANARY}\n")
    (base / "ws-evil").mkdir()
    (base / "ws-evil" / "secret.txt").write_text(f"{CANARY}\n")
    return Layout(base, ws, outside, secret)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return make_layout(tmp_path)


@pytest.fixture
def off_tmp_layout():
    """Like `layout` but not under /tmp (the sandbox lets commands write /tmp)."""
    for parent in ("/var/tmp", str(Path.cwd())):
        try:
            base = Path(tempfile.mkdtemp(prefix="cairn-tools-", dir=parent))
            break
        except OSError:
            continue
    else:
        pytest.skip("no writable directory outside /tmp")
    try:
        yield make_layout(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def memory_db(layout: Layout) -> Path:
    """A memory database (and -wal) placed inside the workspace by an unusual setting."""
    db = layout.ws / ".cairn-memory.sqlite3"
    db.write_bytes(b"SQLite format 3 (no NUL so only protection hides it) " + CANARY.encode())
    (layout.ws / ".cairn-memory.sqlite3-wal").write_bytes(CANARY.encode())
    return db


@pytest.fixture
def make_ctx(layout: Layout):
    """Build a `ToolContext` on the layout's workspace (closed at teardown)."""
    contexts: list[ToolContext] = []

    def build(root: Path | None = None, **kwargs) -> ToolContext:
        kwargs.setdefault("approver", FixedApprover(True))
        ctx = ToolContext.create(root or layout.ws, **kwargs)
        contexts.append(ctx)
        return ctx

    yield build
    for ctx in contexts:
        ctx.workspace.close()


@pytest.fixture
def registry():
    return workspace_registry()


@pytest.fixture
def call(registry):
    """``await call(ctx, "tool", **args)`` through the registry, as the agent loop would."""

    async def invoke(ctx: ToolContext, name: str, **arguments) -> ToolResult:
        return await registry.call(name, arguments, ctx)

    return invoke
