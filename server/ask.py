"""`cairn ask`: the same agent, headless in a terminal, with the same memory, redaction and
skills as the editor (the host comes from ``compose.open_agent_host``): each invocation is a
session in the workspace's memory, ``--continue`` resumes the last one.

The answer streams to stdout; progress goes to stderr (one updating line on a terminal, plain
lines otherwise). Edits are shown as a diff at the end. Without ``--apply`` they are staged in
memory and nothing is written; with it each accepted edit is written at once, so a command the
agent runs after its edit (a test, a doctest) sees the edited file. Shell commands run only in a
trusted workspace (``--trust``) and are asked for on the terminal unless the shell setting is
``allow``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from cairn.server import settings as settings_mod
from cairn.server.agent.compose import open_agent_host
from cairn.server.agent.errors import AgentError
from cairn.server.agent.host import AgentHost, RunPorts
from cairn.server.agent.tools.approvers import TerminalApprover
from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.overlay import OverlaySink

CLI_ORIGIN = "cli"  # the session origin `--continue` resumes


class TerminalObserver:
    """Streams the answer to ``out`` and a progress line to ``err``."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self._out = out
        self._err = err
        self._live = err.isatty()
        self._step = 0
        self._ended_with_newline = True

    def text(self, delta: str) -> None:
        self._clear()
        self._out.write(delta)
        self._out.flush()
        self._ended_with_newline = delta.endswith("\n")

    def status(self, message: str) -> None:
        self._show(f"step {self._step}: {message}")

    def step(self, number: int) -> None:
        self._step = number
        self._show(f"step {number}: thinking…")

    def finish(self) -> None:
        self._clear()
        if not self._ended_with_newline:
            self._out.write("\n")
            self._out.flush()

    def _show(self, line: str) -> None:
        if self._live:
            self._err.write("\r\x1b[2K" + line[:120])
        else:
            self._err.write(f"[cairn] {line}\n")
        self._err.flush()

    def _clear(self) -> None:
        if self._live:
            self._err.write("\r\x1b[2K")
            self._err.flush()


def resolve_settings(trust: bool) -> settings_mod.ResolvedSettings:
    """Environment settings; ``--trust`` is the terminal user's explicit word (R16)."""
    layers: list = [(settings_mod.ENVIRONMENT, settings_mod.env_layer())]
    if trust:
        layers.append((settings_mod.INIT_OPTIONS, {"trusted": True}))
    return settings_mod.resolve(layers)


async def ask(
    prompt: str,
    workspace: Path,
    *,
    apply: bool,
    trust: bool,
    resume: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run one request in a new CLI session (``resume``: the last one); returns the exit code."""
    resolved = resolve_settings(trust)
    for problem in resolved.problems:
        err.write(f"cairn: setting ignored: {problem}\n")
    host = await open_agent_host(workspace, resolved.settings)
    try:
        if host.memory is None:
            err.write(f"[cairn] working without memory: {host.memory_problem}\n")
        session_id = await host.latest_session(CLI_ORIGIN) if resume else None
        if resume and session_id is None:
            err.write("[cairn] no earlier `cairn ask` session in this workspace: starting a new one\n")
        session_id = session_id or await host.new_session(CLI_ORIGIN)
        return await _run(host, prompt, session_id, workspace, apply=apply, out=out, err=err)
    finally:
        await host.close(grace=5.0)


async def _run(
    host: AgentHost, prompt: str, session_id: str, workspace: Path, *, apply: bool, out: TextIO, err: TextIO
) -> int:
    observer = TerminalObserver(out, err)
    with ConfinedWorkspace(workspace) as confined:
        overlay = OverlaySink(confined, write_through=apply)
        ports = RunPorts(buffers=overlay, edits=overlay, approver=TerminalApprover(), observer=observer)
        try:
            result = await host.run(
                prompt, session_id=session_id, ports=ports, origin=CLI_ORIGIN, user_text=prompt
            )
        except AgentError as exc:
            observer.finish()
            if apply and overlay.staged:  # written through before the run failed: say so
                err.write(f"[cairn] wrote {_written(overlay)} before the error\n")
            err.write(f"cairn: {exc.user_message}\n")
            return 1
        observer.finish()
        return _report_edits(overlay, apply, result.steps, out, err)


def _written(overlay: OverlaySink) -> str:
    paths = [item.path for item in overlay.staged]
    return f"{len(paths)} file(s): {', '.join(paths)}"


def _report_edits(overlay: OverlaySink, apply: bool, steps: int, out: TextIO, err: TextIO) -> int:
    err.write(f"[cairn] done in {steps} step(s)\n")
    staged = overlay.staged
    if not staged:
        return 0
    out.write("\n" + overlay.diff())
    if apply:  # written through as each edit was accepted (see OverlaySink)
        err.write(f"[cairn] wrote {_written(overlay)}\n")
    else:
        err.write(
            f"[cairn] {len(staged)} file(s) changed in the diff above; nothing written "
            "(run with --apply to write the changes)\n"
        )
    return 0


def run(prompt: str, workspace: Path, *, apply: bool, trust: bool, resume: bool = False) -> int:
    """Entry point for the CLI: Ctrl-C cancels the run cleanly."""
    try:
        return asyncio.run(ask(prompt, workspace.resolve(), apply=apply, trust=trust, resume=resume))
    except KeyboardInterrupt:
        sys.stderr.write("\ncairn: cancelled\n")
        return 130
