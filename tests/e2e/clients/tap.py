"""Running a client test program (node --test, headless Neovim) and reading its TAP output.

The editor clients' tests are written in their own languages; pytest runs them as
subprocesses so `pytest` (and CI) reports them with everything else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
REQUIRE_ENV = "CAIRN_REQUIRE_CLIENTS"  # set by scripts/test: a missing client tool is a failure
_RESULT = re.compile(r"^(not ok|ok) (\d+) - (.*?)(?: # (SKIP|TODO).*)?$")


@dataclass
class TapRun:
    """One program's run: exit code, top-level results by name, and the whole output."""

    returncode: int
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    output: str = ""

    def check(self) -> None:
        """Fail with the program's own output when anything failed or nothing ran."""
        if self.returncode != 0 or self.failed or not self.passed:
            pytest.fail(
                f"exit code {self.returncode}; failed: {self.failed}; passed: "
                f"{len(self.passed)}\n{self.output[-12000:]}",
                pytrace=False,
            )


def parse_tap(output: str) -> tuple[list[str], list[str]]:
    """Names of the passed and failed top-level tests (indented lines are subtests)."""
    passed: list[str] = []
    failed: list[str] = []
    for line in re.split(r"[\r\n]+", output):
        match = _RESULT.match(line)
        if match:
            (failed if match.group(1) == "not ok" else passed).append(match.group(3))
    return passed, failed


def run_tap(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240
) -> TapRun:
    """Run ``command`` and parse its TAP stdout (stderr is kept for failure reports)."""
    completed = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    passed, failed = parse_tap(completed.stdout)
    output = completed.stdout + ("\n--- stderr ---\n" + completed.stderr if completed.stderr.strip() else "")
    return TapRun(completed.returncode, passed, failed, output)


def missing(tool: str, how_to_fix: str) -> None:
    """Skip (or fail, under scripts/test) because ``tool`` is not installed."""
    message = f"{tool} is not available: {how_to_fix}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def which(name: str) -> str | None:
    return shutil.which(name)
