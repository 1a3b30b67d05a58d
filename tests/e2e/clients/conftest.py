"""Fixtures shared by the VS Code extension's tests (node --test files and the browser test)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.clients.tap import REPO, missing, which

EXTENSION = REPO / "clients" / "vscode"


@pytest.fixture(scope="session")
def compiled() -> Path:
    """Type-check and compile the extension and its tests once (tsc)."""
    if not which("node") or not which("npm"):
        missing("node/npm", "install Node.js 20 and npm")
    if not (EXTENSION / "node_modules" / ".bin" / "tsc").exists():
        missing("clients/vscode/node_modules", "run scripts/setup-clients (npm ci)")
    result = subprocess.run(
        ["npm", "run", "--silent", "compile"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"tsc failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return EXTENSION / "out" / "test"


@pytest.fixture(scope="session")
def vsix(compiled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension packaged offline (`vsce package`, which runs the production esbuild)."""
    target = tmp_path_factory.mktemp("vsix") / "cairn.vsix"
    result = subprocess.run(
        [
            "npx",
            "--no-install",
            "vsce",
            "package",
            "--no-dependencies",
            "--allow-missing-repository",
            "-o",
            str(target),
        ],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target
