"""Shared test configuration: every test gets its own Cairn data directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch):
    """Keep memory databases and caches of tests out of the user's real data directory."""
    data = tmp_path_factory.mktemp("cairn-data")
    monkeypatch.setenv("CAIRN_DATA_DIR", str(data))
    return data
