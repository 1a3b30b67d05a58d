"""Shared test configuration: every test gets its own Cairn data directory; ``fake_openai`` is a
real OpenAI-compatible HTTP server on 127.0.0.1 that plays scripted replies (tests/support)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch):
    """Keep memory databases and caches of tests out of the user's real data directory."""
    data = tmp_path_factory.mktemp("cairn-data")
    monkeypatch.setenv("CAIRN_DATA_DIR", str(data))
    return data


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
