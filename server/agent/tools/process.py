"""Running one child process safely: closed stdin, captured output, a timeout, no orphans.

The child gets ``stdin=/dev/null`` and pipes for stdout/stderr (never the server's own stdout,
which carries JSON-RPC), a new session so that it and everything it starts form one process
group, and an environment without secrets. On timeout the group gets SIGTERM, then SIGKILL
after a grace period; on cancellation it gets SIGKILL at once; and when the command ends any
background process it left in its group is killed too. Output is drained continuously (a full
pipe would block the child) but only the head and tail of each stream are kept.

Known limit: a process that leaves the group on purpose (``setsid``) escapes the group kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass

# Variable names that may hold credentials (R14); CAIRN_API_KEY is caught by "KEY".
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
# Nothing can answer a prompt (stdin is closed): make common tools fail fast instead.
NON_INTERACTIVE = {"GIT_TERMINAL_PROMPT": "0", "PAGER": "cat", "GIT_PAGER": "cat"}

READ_CHUNK = 65536
DRAIN_AFTER_EXIT = 2.0


def scrubbed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without variables whose name suggests a secret, made non-interactive."""
    env = {name: value for name, value in environ.items() if not SECRET_NAME.search(name)}
    env.update(NON_INTERACTIVE)
    return env


class CappedOutput:
    """Keeps the first and last ``limit // 2`` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            del self.tail[: max(len(self.tail) - self.limit // 2, 0)]

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        if omitted <= 0:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", "replace")
        return (self.head.decode("utf-8", "replace")
                + f"\n[... {omitted:,} bytes of output omitted ...]\n"
                + self.tail.decode("utf-8", "replace"))


@dataclass(frozen=True)
class ProcessResult:
    """How a command ended. ``exit_code`` is negative for a signal (Python's convention)."""

    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    output_complete: bool


async def run_process(
    argv: list[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    output_limit: int = 64 * 1024,
    pass_fds: tuple[int, ...] = (),
    kill_grace: float = 2.0,
) -> ProcessResult:
    """Run ``argv`` to completion or ``timeout`` seconds; see the module docstring."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        start_new_session=True,
        pass_fds=pass_fds,
    )
    out, err = CappedOutput(output_limit), CappedOutput(output_limit)
    drains = asyncio.gather(_drain(proc.stdout, out), _drain(proc.stderr, err))
    timed_out = False
    try:
        try:
            await asyncio.wait_for(_exited(proc), timeout)
        except TimeoutError:
            timed_out = True
            _signal_group(proc.pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_exited(proc), kill_grace)
        _signal_group(proc.pid, signal.SIGKILL)  # stragglers left in the group: no orphans
        await _exited(proc)
        complete = True
        try:
            await asyncio.wait_for(asyncio.shield(drains), DRAIN_AFTER_EXIT)
        except TimeoutError:
            complete = False  # something outside the group still holds the pipes
    except BaseException:
        _signal_group(proc.pid, signal.SIGKILL)
        drains.cancel()
        raise
    finally:
        if not drains.done():
            drains.cancel()
    return ProcessResult(
        None if timed_out else proc.returncode,
        out.text(),
        err.text(),
        timed_out,
        time.monotonic() - started,
        complete,
    )


async def _exited(proc: asyncio.subprocess.Process) -> int:
    """Wait for the process itself to exit.

    Not ``proc.wait()``: on Python 3.11 that also waits for the pipes to close, which a
    background grandchild holding them would delay until the timeout.
    """
    delay = 0.005
    while proc.returncode is None:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)
    return proc.returncode


async def _drain(stream: asyncio.StreamReader | None, sink: CappedOutput) -> None:
    if stream is None:
        return
    while chunk := await stream.read(READ_CHUNK):
        sink.add(chunk)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
