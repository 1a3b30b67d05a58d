"""The typed environment block: values parsed at each use, bad values fall back loudly."""

from __future__ import annotations

import logging
from pathlib import Path

from cairn import environment


def test_unset_and_blank_values_give_the_defaults():
    assert environment.get("CAIRN_DATA_DIR", {}) is None
    assert environment.get("CAIRN_LOCAL_MODEL", {"CAIRN_LOCAL_MODEL": "  "}) is True
    assert environment.get("CAIRN_MAX_MESSAGE_BYTES", {}) == environment.DEFAULT_MAX_MESSAGE_BYTES


def test_values_are_typed():
    assert environment.get("CAIRN_DATA_DIR", {"CAIRN_DATA_DIR": "~/x"}) == Path("~/x").expanduser()
    assert environment.get("CAIRN_LOCAL_MODEL", {"CAIRN_LOCAL_MODEL": "OFF"}) is False
    assert environment.get("CAIRN_NO_WARMUP", {"CAIRN_NO_WARMUP": "1"}) is True
    assert environment.get("CAIRN_MAX_MESSAGE_BYTES", {"CAIRN_MAX_MESSAGE_BYTES": "1024"}) == 1024


def test_a_bad_value_is_logged_and_the_default_kept(caplog):
    caplog.set_level(logging.WARNING)
    assert environment.get("CAIRN_MAX_MESSAGE_BYTES", {"CAIRN_MAX_MESSAGE_BYTES": "-5"}) == (
        environment.DEFAULT_MAX_MESSAGE_BYTES
    )
    assert environment.get("CAIRN_NO_WARMUP", {"CAIRN_NO_WARMUP": "maybe"}) is False
    assert "CAIRN_MAX_MESSAGE_BYTES" in caplog.text and "CAIRN_NO_WARMUP" in caplog.text


def test_read_at_each_use(monkeypatch, tmp_path):
    monkeypatch.setenv("CAIRN_DATA_DIR", str(tmp_path / "a"))
    assert environment.get("CAIRN_DATA_DIR") == tmp_path / "a"
    monkeypatch.setenv("CAIRN_DATA_DIR", str(tmp_path / "b"))
    assert environment.get("CAIRN_DATA_DIR") == tmp_path / "b"
