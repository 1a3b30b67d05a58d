"""The VS Code extension's own tests (node --test), run file by file, and its offline .vsix.

Unit tests mock `vscode`; the end-to-end files drive the real server (this interpreter's
`python -m cairn serve`) through vscode-languageserver-protocol. `scripts/setup-clients`
installs the node modules from the committed lockfile (npm ci).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.clients.tap import REPO, missing, run_tap, which

EXTENSION = REPO / "clients" / "vscode"
TEST_FILES = sorted(
    p.relative_to(EXTENSION / "test").with_suffix("").as_posix()
    for p in (EXTENSION / "test").glob("*/*.test.ts")
)


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


def test_the_test_files_are_found():
    assert {"unit/streams.test", "unit/palette.test", "e2e/foundation.test", "e2e/agent.test"} <= set(
        TEST_FILES
    )


@pytest.mark.parametrize("name", TEST_FILES)
def test_node(compiled: Path, name: str):
    run = run_tap(
        ["node", "--test", "--test-reporter=tap", str(compiled / f"{name}.js")],
        cwd=EXTENSION,
        env={"CAIRN_PYTHON": sys.executable},
    )
    run.check()


def _node_builtins() -> set[str]:
    out = subprocess.run(
        ["node", "-p", "JSON.stringify(require('module').builtinModules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(json.loads(out))


def test_vsix_is_packaged_offline(compiled: Path, tmp_path: Path):
    target = tmp_path / "cairn.vsix"
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
    with zipfile.ZipFile(target) as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        bundle = vsix.read("extension/dist/extension.js").decode("utf-8")
    assert {
        "extension/dist/extension.js",
        "extension/package.json",
        "extension/media/cairn.png",
        "extension/readme.md",
        "extension/LICENSE.txt",
    } <= names
    assert not [
        n for n in names if "/node_modules/" in n or "/src/" in n or "/test/" in n or n.endswith(".map")
    ]
    assert manifest["main"] == "./dist/extension.js"
    # Everything is bundled: the only modules left to load at run time are vscode and node's own.
    required = set(re.findall(r"""require\(["']([^"']+)["']\)""", bundle))
    allowed = _node_builtins() | {f"node:{name}" for name in _node_builtins()} | {"vscode"}
    assert required and required <= allowed, required - allowed
    size = target.stat().st_size
    print(f"\n.vsix: {size:,} bytes ({len(names)} files); bundle {len(bundle):,} bytes")
    assert size < 1_000_000
