"""The embedded local model through the whole agent (slow: run with `scripts/test -m slow`).

Checks structure, not wording: a small model's answer text varies, its shape must not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_read_then_answer_with_the_embedded_model(tmp_path):
    from cairn.server.agent.local.catalog import installed_local_models

    if not installed_local_models():
        pytest.skip("the embedded model is not installed (scripts/setup local)")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "fib.py").write_text(
        "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CAIRN_MODEL", "CAIRN_SCRIPT")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cairn",
            "ask",
            "What does fib.py compute? Read it first.",
            "--workspace",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "no answer was streamed"
    progress = result.stderr.replace("\r", "\n")
    assert "read_file" in progress, "the model never read the file"
    assert "done in" in progress
    assert Path(root / "fib.py").read_text().startswith("def fib")  # nothing written without --apply
