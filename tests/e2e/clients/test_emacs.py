"""Cairn in a real Emacs (30.1, headless): eglot, and lsp-mode with Cairn beside pylsp.

Each spec in clients/emacs/tests runs in its own `emacs --batch` and prints TAP: the user's
scenario (a chat, Explain, an edit saved to disk, a chat and a code action longer than the
client's request timeout, a dismissed approval, a file outside any project, shutdown) against
this interpreter's `python -m cairn serve` with the scripted model. Emacs 30 and lsp-mode come
from Debian bookworm-backports (`scripts/setup-clients`), pylsp from the dev extra. The two specs
run at the same time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.clients.tap import REPO, TapRun, missing, parse_tap, which

EMACS_CLIENT = REPO / "clients" / "emacs"
SPECS = {"eglot": "eglot-spec.el", "lsp-mode": "lsp-mode-spec.el"}
SPEC_TIMEOUT = 300


def _emacs() -> str:
    """The emacs binary, if it is Emacs 30 or later (eglot built in); else skip/fail."""
    emacs = which("emacs")
    version = None
    if emacs:
        first = subprocess.run([emacs, "--version"], capture_output=True, text=True, timeout=30).stdout
        match = re.match(r"GNU Emacs (\d+)\.", first)
        version = int(match.group(1)) if match else None
    if not emacs or not version or version < 30:
        missing(
            f"Emacs 30 (found {version or 'nothing'})",
            "run scripts/setup-clients (emacs-nox from Debian bookworm-backports)",
        )
    return emacs  # type: ignore[return-value]


def _require_lsp_mode(emacs: str) -> None:
    probe = subprocess.run(
        [emacs, "--batch", "--eval", "(require 'lsp-mode)"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        missing("lsp-mode", "run scripts/setup-clients (elpa-lsp-mode from Debian bookworm-backports)")
    if not (Path(sys.executable).parent / "pylsp").exists():
        missing("pylsp", "install the dev extra (scripts/setup dev: python-lsp-server[pyflakes])")


def _start(emacs: str, spec: str, home: Path) -> subprocess.Popen:
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "CAIRN_PYTHON": sys.executable,
        "HOME": str(home),
        "TMPDIR": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    return subprocess.Popen(
        [emacs, "--batch", "-L", str(EMACS_CLIENT / "tests"), "-l", spec, "-f", "cairn-test-run"],
        cwd=home,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, subprocess.Popen]:
    """Both specs, started together (each waits on its model library import and its slow run)."""
    emacs = _emacs()
    _require_lsp_mode(emacs)
    base = tmp_path_factory.mktemp("emacs")
    started = {client: _start(emacs, spec, base / client) for client, spec in SPECS.items()}
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def _finish(process: subprocess.Popen) -> TapRun:
    try:
        stdout, stderr = process.communicate(timeout=SPEC_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        stdout += f"\nnot ok 0 - the spec did not finish within {SPEC_TIMEOUT} s\n"
    passed, failed = parse_tap(stdout)
    output = stdout + ("\n--- stderr ---\n" + stderr[-6000:] if stderr.strip() else "")
    return TapRun(process.returncode, passed, failed, output)


def test_the_specs_are_found():
    assert all((EMACS_CLIENT / "tests" / spec).is_file() for spec in SPECS.values())


@pytest.mark.parametrize("client", list(SPECS))
def test_emacs(runs: dict[str, subprocess.Popen], client: str):
    run = _finish(runs[client])
    run.check()
    scenario = {
        "connects",
        "long-run-starts",
        "chat-answer",
        "explain-code-action",
        "docstring-edit",
        "dismissed-approval",
        "file-outside-any-project",
        "long-run-ends",
        "shutdown",
    }
    prefix = "cairn-eglot-" if client == "eglot" else "cairn-lsp-"
    assert {prefix + step for step in scenario} <= set(run.passed), run.output[-3000:]
    assert "GNU Emacs 30" in run.output and f", {client} " in run.output, run.output[:300]


def test_cairn_el_byte_compiles_without_warnings(tmp_path: Path):
    """cairn.el loads with either client absent (no eglot or lsp-mode required at load time)."""
    emacs = _emacs()
    source = tmp_path / "cairn.el"
    source.write_text((EMACS_CLIENT / "cairn.el").read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [
            emacs,
            "--batch",
            "-Q",
            "--eval",
            "(setq byte-compile-error-on-warn t)",
            "--eval",
            f'(unless (byte-compile-file "{source}") (kill-emacs 1))',
            "--eval",
            f'(progn (load "{tmp_path / "cairn.elc"}") (unless (fboundp (quote cairn-chat)) (kill-emacs 2)))',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
