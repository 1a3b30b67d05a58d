"""The ``run_command`` tool: a shell command, only when trusted, approved and sandboxed (R14, R16).

Order of checks: an untrusted workspace gets no shell at all; the ``deny`` policy refuses; the
``ask`` policy asks the user through ``ctx.approver`` (the editor's ``window/showMessageRequest``,
or a prompt in the CLI). The command then runs under `sandbox` (Landlock: writes only in the
workspace, the temp directory and ``ctx.sandbox_writable``) via `process.run_process` (closed
stdin, captured output, timeout, process-group kill, secrets stripped from the environment).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from typing import Annotated

from pydantic import Field

from cairn import sandbox
from cairn.server.agent.tools.base import ToolResult, error_result
from cairn.server.agent.tools.context import ApprovalRequest, ToolContext
from cairn.server.agent.tools.pathpolicy import is_utf8_encodable
from cairn.server.agent.tools.process import ProcessResult, run_process, scrubbed_environment

# Per stream; both together stay under the registry's default cap so the omission note survives.
OUTPUT_LIMIT = 12_000
MAX_COMMAND_CHARS = 20_000


def shell_program(command: str) -> list[str]:
    """The argv that runs ``command`` in bash (or sh where bash is missing)."""
    shell = shutil.which("bash") or "/bin/sh"
    return [shell, "-c", command]


def sandbox_writable(ctx: ToolContext) -> list[str]:
    """Where a sandboxed command may write: the workspace, temp dirs, /dev/null and extras."""
    paths = [str(ctx.workspace.real_root), tempfile.gettempdir(), "/tmp", "/dev/shm", "/dev/null"]
    paths += [os.path.realpath(p) for p in ctx.sandbox_writable]
    return list(dict.fromkeys(paths))


def describe_sandbox(abi: int) -> str:
    """One line for the user and the model saying whether the command is confined."""
    if abi >= 1:
        return f"Landlock ABI {abi}: writes confined to the workspace and temp directories"
    return "none: Landlock is unavailable on this system, the command runs unconfined"


def runs_without_asking(ctx: ToolContext) -> bool:
    """Whether commands may run now with nobody asked: a trusted workspace whose user allowed
    the shell (``allow``). Cairn runs checks of its own only then (see agent/edit_check.py)."""
    return ctx.trusted and ctx.shell_policy == "allow"


async def run_confined(
    ctx: ToolContext,
    program: list[str],
    *,
    rel_cwd: str,
    timeout: float,
    abi: int,
    limits: sandbox.Limits | None = None,
    output_limit: int = OUTPUT_LIMIT,
) -> ProcessResult:
    """``program`` run in the workspace directory ``rel_cwd`` under the sandbox (Landlock when
    ``abi`` >= 1, plus ``limits``) by `run_process`. No policy here: callers decide first."""
    cwd_fd = await asyncio.to_thread(ctx.workspace.open_dir_fd, rel_cwd)
    try:
        argv = sandbox.helper_argv(
            program,
            landlock=abi >= 1,
            writable=sandbox_writable(ctx),
            cwd_fd=cwd_fd,
            limits=limits,
        )
        return await run_process(
            argv,
            env=scrubbed_environment(os.environ),
            timeout=timeout,
            output_limit=output_limit,
            pass_fds=(cwd_fd,),
        )
    finally:
        os.close(cwd_fd)


def sandbox_refused(result: ProcessResult) -> bool:
    """Whether the helper refused to run the program (the confinement could not be applied)."""
    return (
        result.exit_code == sandbox.HELPER_EXIT_SANDBOX_FAILED
        and sandbox.SANDBOX_FAILED_MARK in result.stderr
    )


async def run_command(
    ctx: ToolContext,
    command: str,
    cwd: str = ".",
    timeout: Annotated[float, Field(gt=0)] | None = None,
) -> ToolResult:
    """Run a shell command (bash) in the workspace and return its exit code and output.

    The user may be asked to approve it first. stdin is closed (nothing can answer a prompt),
    writes outside the workspace and temp directories fail when the sandbox is active, and the
    command and any processes it started are killed at the timeout.

    Args:
        command: The command line, e.g. 'pytest -q tests/test_x.py'.
        cwd: Directory to run in, relative to the workspace root.
        timeout: Seconds before the command is killed (at most the user's configured limit).
    """
    if not ctx.trusted:
        return error_result(
            "Shell commands are disabled: this workspace is not trusted. Ask the "
            "user to trust it, or continue without running commands."
        )
    if ctx.shell_policy == "deny":
        return error_result("Shell commands are disabled by the user's settings (shell: deny).")
    if (
        not command.strip()
        or "\x00" in command
        or len(command) > MAX_COMMAND_CHARS
        or not is_utf8_encodable(command)
    ):
        return error_result(
            "The command is empty, too long, or contains a NUL byte or lone surrogate characters."
        )
    limit = min(timeout or ctx.shell_timeout, ctx.shell_timeout)
    rel_cwd = ctx.workspace.relpath(cwd)
    abi = sandbox.landlock_abi()
    if not runs_without_asking(ctx):  # anything unexpected asks rather than runs
        request = ApprovalRequest(
            kind="shell",
            title=f"Cairn wants to run: {command if len(command) <= 120 else command[:117] + '...'}",
            command=command,
            cwd=rel_cwd,
            detail=f"in {rel_cwd}, timeout {limit:g} s, sandbox: {describe_sandbox(abi)}",
        )
        if not await ctx.approver.ask(request):
            return error_result(
                "The user declined to run this command.", {"command": command, "approved": False}
            )
    result = await run_confined(ctx, shell_program(command), rel_cwd=rel_cwd, timeout=limit, abi=abi)
    data = {
        "command": command,
        "cwd": rel_cwd,
        "exit_code": result.exit_code,
        "timed_out": result.timed_out,
        "seconds": round(result.seconds, 3),
        "sandbox": abi if abi >= 1 else None,
    }
    sandbox_failed = sandbox_refused(result)
    if result.timed_out:
        status = f"killed after the {limit:g} s timeout"
    elif sandbox_failed:
        status = "not run: the sandbox could not be applied"
    else:
        status = f"exit code {result.exit_code}"
    lines = [f"$ {command}", f"{status} in {result.seconds:.1f} s; sandbox: {describe_sandbox(abi)}"]
    if not result.output_complete:
        lines.append("(output may be incomplete: a process outlived the command)")
    lines += [
        "--- stdout ---",
        result.stdout.rstrip("\n") or "(empty)",
        "--- stderr ---",
        result.stderr.rstrip("\n") or "(empty)",
    ]
    return ToolResult("\n".join(lines), is_error=result.timed_out or sandbox_failed, data=data)
