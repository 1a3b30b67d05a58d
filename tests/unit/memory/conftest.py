"""Fixtures for memory tests: a fresh store in a temporary workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cairn.memory.store import MemoryStore


class SteppingClock:
    """A clock that advances one millisecond per reading (ordering without sleeping)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "workspace"
    root.mkdir()
    return root


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "db" / "memory.sqlite3"


@pytest.fixture
def clock():
    return SteppingClock()


@pytest.fixture
async def store(db_path, workspace, clock):
    opened = await MemoryStore.open(db_path, workspace_root=workspace, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()
