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
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

# Variable names that may hold credentials (R14); CAIRN_API_KEY is caught by "KEY".
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
# Nothing can answer a prompt (stdin is closed): make common tools fail fast instead.
NON_INTERACTIVE = {"GIT_TERMINAL_PROMPT": "0", "PAGER": "cat", "GIT_PAGER": "cat"}

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
        return (
            self.head.decode("utf-8", "replace")
            + f"\n[... {omitted:,} bytes of output omitted ...]\n"
            + self.tail.decode("utf-8", "replace")
        )


@dataclass(frozen=True)
class ProcessResult:
    """How a command ended. ``exit_code`` is negative for a signal (Python's convention)."""

    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    output_complete: bool


class _Collector(asyncio.SubprocessProtocol):
    """Collects a child's output and reports its exit and the closing of its pipes."""

    def __init__(self, output_limit: int) -> None:
        loop = asyncio.get_running_loop()
        self.streams = {1: CappedOutput(output_limit), 2: CappedOutput(output_limit)}
        self.exited: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.streams[fd].add(data)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        # Called once the process has exited and every pipe is closed.
        if not self.closed.done():
            self.closed.set_result(None)


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
    transport, collector = await asyncio.get_running_loop().subprocess_exec(
        lambda: _Collector(output_limit),
        *argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        start_new_session=True,
        pass_fds=pass_fds,
    )
    pgid = transport.get_pid()
    timed_out, complete = False, True
    try:
        try:
            await asyncio.wait_for(asyncio.shield(collector.exited), timeout)
        except TimeoutError:
            timed_out = True
            _signal_group(pgid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(collector.exited), kill_grace)
        _signal_group(pgid, signal.SIGKILL)  # stragglers left in the group: no orphans
        await collector.exited
        try:
            await asyncio.wait_for(asyncio.shield(collector.closed), DRAIN_AFTER_EXIT)
        except TimeoutError:
            complete = False  # something outside the group still holds the pipes
    except BaseException:
        _signal_group(pgid, signal.SIGKILL)
        raise
    finally:
        transport.close()  # closes the pipes while the loop is alive
    return ProcessResult(
        None if timed_out else transport.get_returncode(),
        collector.streams[1].text(),
        collector.streams[2].text(),
        timed_out,
        time.monotonic() - started,
        complete,
    )


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
