"""Running untrusted Python (a model's answer and its tests) in Cairn's sandbox, synchronously.

Each run gets a fresh scratch directory (its working directory, HOME and TMPDIR) and goes through
`cairn.sandbox`'s helper: Landlock lets it write only in the scratch directory and read only the
scratch directory, the interpreter and the system libraries (not the user's home, not this
repository), it leaves the network, and its address space, CPU time and file sizes are capped.
The parent kills its process group at the wall-clock timeout and after it ends (no stragglers).
Output goes to files in the scratch directory, capped by the file-size limit, so a runaway print
loop cannot fill memory.

There is no unconfined fallback: without Landlock the run raises `SandboxUnavailable`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cairn import sandbox
from cairn.skills.errors import SkillError

# System locations the interpreter needs to start (shared libraries, the loader's cache).
SYSTEM_READS = ("/usr", "/lib", "/lib64", "/etc/ld.so.cache", "/dev/null", "/dev/urandom")
OUTPUT_KEEP = 8_000  # characters kept of each stream
KILL_WAIT = 5.0


class SandboxUnavailable(SkillError):
    """The sandbox cannot be applied here, so model-written code is not run at all."""


@dataclass(frozen=True)
class ExecutionLimits:
    """Limits of one run: wall-clock seconds, address space, largest output file."""

    timeout: float = 10.0
    memory_bytes: int = 1 << 30
    output_bytes: int = 1 << 20


@dataclass(frozen=True)
class ExecutionResult:
    """How a run ended; ``exit_code`` is negative for a signal, None after the timeout."""

    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def interpreter() -> str:
    """The base interpreter (never a virtualenv's launcher inside a repository)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def readable_paths(scratch: str) -> list[str]:
    """What a run may read: its scratch directory, the Python installation, system libraries."""
    prefixes = {os.path.realpath(sys.base_prefix), os.path.dirname(interpreter())}
    return [scratch, *sorted(prefixes), *SYSTEM_READS]


def require_sandbox() -> int:
    """The Landlock ABI, or `SandboxUnavailable` saying why code cannot be run here."""
    abi = sandbox.landlock_abi()
    if abi < 1:
        raise SandboxUnavailable(
            "execution grading runs model-written code only inside Cairn's sandbox, which needs "
            "Linux with Landlock (5.13+, enabled in the kernel's LSM list); it is unavailable here"
        )
    return abi


def _tail(path: Path, keep: int) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return text if len(text) <= keep else "[...]\n" + text[-keep:]


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_python(source: str, limits: ExecutionLimits = ExecutionLimits()) -> ExecutionResult:
    """Run ``source`` as ``solution.py`` in a fresh scratch directory under the sandbox."""
    require_sandbox()
    scratch = tempfile.mkdtemp(prefix="cairn-exec-")
    try:
        root = Path(scratch)
        (root / "solution.py").write_text(source, encoding="utf-8")
        cpu = max(1, int(limits.timeout) + 1)  # a backstop: the wall clock normally ends it first
        argv = sandbox.helper_argv(
            [interpreter(), "-I", "-S", "-B", "solution.py"],
            landlock=True,
            writable=[scratch, "/dev/null"],
            readable=readable_paths(scratch),
            no_network=True,
            limits=sandbox.Limits(limits.memory_bytes, cpu, limits.output_bytes),
            cwd_fd=None,
        )
        env = {"HOME": scratch, "TMPDIR": scratch, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        started = time.monotonic()
        with open(root / "stdout.txt", "wb") as out, open(root / "stderr.txt", "wb") as err:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=scratch, env=env,
                start_new_session=True,
            )  # fmt: skip
            timed_out = False
            try:
                process.wait(limits.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            _kill_group(process.pid)  # the run and anything it left behind in its group
            process.wait(KILL_WAIT)
        seconds = time.monotonic() - started
        stderr = _tail(root / "stderr.txt", OUTPUT_KEEP)
        if process.returncode == sandbox.HELPER_EXIT_SANDBOX_FAILED and sandbox.SANDBOX_FAILED_MARK in stderr:
            raise SandboxUnavailable(stderr.strip())
        return ExecutionResult(
            None if timed_out else process.returncode,
            _tail(root / "stdout.txt", OUTPUT_KEEP),
            stderr.replace(scratch + os.sep, ""),
            timed_out,
            seconds,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
