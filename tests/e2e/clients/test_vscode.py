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

from tests.e2e.clients.tap import REPO, run_tap

EXTENSION = REPO / "clients" / "vscode"

TEST_FILES = sorted(
    p.relative_to(EXTENSION / "test").with_suffix("").as_posix()
    for p in (EXTENSION / "test").glob("*/*.test.ts")
)


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


def test_vsix_is_packaged_offline(vsix: Path):
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
        bundle = archive.read("extension/dist/extension.js").decode("utf-8")
        page_script = archive.read("extension/dist/webview.js").decode("utf-8")
    assert {
        "extension/dist/extension.js",
        "extension/dist/webview.js",
        "extension/dist/webview.css",
        "extension/package.json",
        "extension/media/cairn.png",
        "extension/media/cairn.svg",
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
    # the chat view's page script is self-contained: no module loading, nothing fetched
    assert not [word for word in ("require(", "fetch(", "XMLHttpRequest", "WebSocket") if word in page_script]
    size = vsix.stat().st_size
    print(f"\n.vsix: {size:,} bytes ({len(names)} files); bundle {len(bundle):,} bytes")
    assert size < 1_000_000
