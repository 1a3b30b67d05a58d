"""The wheel puts only `cairn` on sys.path and carries every sub-package and data file."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return zipfile.ZipFile(next(out.glob("cairn_lsp-*.whl")))


def test_only_cairn_is_a_top_level_name(wheel):
    top = {name.split("/")[0] for name in wheel.namelist()}
    code_roots = {name for name in top if not name.endswith((".dist-info", ".data"))}
    assert code_roots == {"cairn"}


def test_every_package_folder_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    for folder, prefix in (
        ("server", "cairn/server"),
        ("memory", "cairn/memory"),
        ("skills", "cairn/skills"),
    ):
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.relative_to(REPO / folder).as_posix()
            assert f"{prefix}/{relative}" in names, f"{prefix}/{relative} missing from the wheel"


def test_console_script_is_declared(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "cairn = cairn.cli:main" in wheel.read(entry_points).decode()
