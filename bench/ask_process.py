"""One real `cairn ask` process, as the benchmarks run it: the installed command beside this
interpreter, a fresh data and config directory (no run sees another's memory or the user's own
skills), none of the caller's ``CAIRN_*`` settings unless passed on purpose, stdin closed, a
timeout, and everything it printed kept (a timed-out run's output too).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# After the timeout the run gets this long to cancel itself cleanly (Ctrl-C: its tools stop the
# commands they started) before its whole process group is killed.
CANCEL_GRACE = 10.0
_STEPS = re.compile(r"done in (\d+) step")
_STEP_LINE = re.compile(r"^\[cairn\] step \d+: (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class AskRun:
    """What one `cairn ask` process did: exit code (None when killed at the timeout), output, time."""

    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool

    @property
    def steps(self) -> int | None:
        """The agent steps `cairn ask` reported at the end (None when it never got there)."""
        found = _STEPS.findall(self.stderr)
        return int(found[-1]) if found else None

    @property
    def actions(self) -> list[str]:
        """The progress lines naming what each step did (tool and argument), in order."""
        return [line for line in _STEP_LINE.findall(self.stderr) if not line.startswith("thinking")]


def cairn_command() -> Path:
    """The `cairn` entry point installed beside the running interpreter (the product under test)."""
    return Path(sys.executable).with_name("cairn")


def ask_environment(scratch: Path, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ``CAIRN_*``, with fresh folders under ``scratch`` and
    ``extra_env`` (settings and variables the caller chose) on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env.update(
        CAIRN_DATA_DIR=str(scratch / "data"),
        CAIRN_CONFIG_DIR=str(scratch / "config"),
        NO_COLOR="1",
    )
    env.update(extra_env or {})
    return env


def run_ask(
    prompt: str,
    workspace: Path,
    *,
    scratch: Path,
    options: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    timeout: float,
) -> AskRun:
    """Run ``cairn ask PROMPT --workspace WORKSPACE [options]`` to its end or to ``timeout``."""
    argv = [str(cairn_command()), "ask", prompt, "--workspace", str(workspace), *options]
    started = time.perf_counter()
    # Its own process group, so a timed-out run and every process it started can be stopped.
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=ask_environment(scratch, extra_env),
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        out, err = _stop(process)
        err += f"\ntimed out after {timeout:.0f} s"
        timed_out = True
    except BaseException:  # interrupted: never leave a model process behind
        _stop(process)
        raise
    seconds = time.perf_counter() - started
    return AskRun(None if timed_out else process.returncode, out, err, seconds, timed_out)


def _stop(process: subprocess.Popen) -> tuple[str, str]:
    """Ctrl-C first (the run cancels its tools' commands), then kill the process group."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=CANCEL_GRACE)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # what outlived the cancellation
        except ProcessLookupError:
            pass
    return process.communicate()
