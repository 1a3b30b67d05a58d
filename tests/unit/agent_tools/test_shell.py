"""R14 / R16 / R6: run_command asks, is refused when untrusted, runs closed-stdin, stripped,
timed, group-killed, and Landlock-confined where the kernel allows."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from cairn import sandbox
from cairn.server.agent.tools import shell
from cairn.server.agent.tools.context import FixedApprover

from .conftest import CANARY, Layout

LANDLOCK = sandbox.landlock_abi()
needs_landlock = pytest.mark.skipif(
    LANDLOCK < 1, reason="this kernel has no Landlock (landlock_create_ruleset returned no ABI)"
)


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (PID 1 in containers may not reap)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


async def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


async def _read_pid(path: Path, within: float = 5.0) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


# ---- trust, policy, approval ------------------------------------------------------------------


async def test_untrusted_workspace_gets_no_shell(layout: Layout, make_ctx, call):
    approver = FixedApprover(True)
    ctx = make_ctx(trusted=False, shell_policy="allow", approver=approver)
    result = await call(ctx, "run_command", command="touch ran.txt")
    assert result.is_error and "not trusted" in result.content
    assert approver.requests == [], "an untrusted workspace is not even asked about"
    assert not (layout.ws / "ran.txt").exists()


async def test_deny_policy_refuses(layout: Layout, make_ctx, call):
    ctx = make_ctx(trusted=True, shell_policy="deny")
    result = await call(ctx, "run_command", command="touch ran.txt")
    assert result.is_error and "shell: deny" in result.content
    assert not (layout.ws / "ran.txt").exists()


async def test_ask_policy_declined_does_not_run(layout: Layout, make_ctx, call):
    approver = FixedApprover(False)
    ctx = make_ctx(trusted=True, shell_policy="ask", approver=approver)
    result = await call(ctx, "run_command", command="touch ran.txt", cwd="src")
    assert result.is_error and "declined" in result.content
    (request,) = approver.requests
    assert request.kind == "shell" and request.command == "touch ran.txt" and request.cwd == "src"
    assert "touch ran.txt" in request.title and "sandbox" in request.detail
    assert not (layout.ws / "src" / "ran.txt").exists()


async def test_ask_policy_approved_runs(layout: Layout, make_ctx, call):
    approver = FixedApprover(True)
    ctx = make_ctx(trusted=True, shell_policy="ask", approver=approver)
    result = await call(ctx, "run_command", command="touch ran.txt && pwd", cwd="src")
    assert not result.is_error, result.content
    assert len(approver.requests) == 1
    assert (layout.ws / "src" / "ran.txt").exists()
    assert f"{layout.ws.resolve()}/src" in result.content
    assert result.data["exit_code"] == 0


async def test_allow_policy_runs_without_asking(layout: Layout, make_ctx, call):
    approver = FixedApprover(False)
    ctx = make_ctx(trusted=True, shell_policy="allow", approver=approver)
    result = await call(ctx, "run_command", command="echo out; echo err >&2; exit 3")
    assert approver.requests == []
    assert "exit code 3" in result.content and not result.is_error
    assert "--- stdout ---\nout\n--- stderr ---\nerr" in result.content


async def test_cwd_is_confined(layout: Layout, make_ctx, call):
    os.symlink(layout.outside, layout.ws / "linked")
    ctx = make_ctx(trusted=True, shell_policy="allow")
    for cwd in ("..", str(layout.outside), "linked"):
        result = await call(ctx, "run_command", command="cat secret.txt", cwd=cwd)
        assert result.is_error and "Refused path" in result.content and CANARY not in result.content


# ---- the process: stdin, stdout, environment, timeout, orphans --------------------------------


async def test_stdin_is_closed(layout: Layout, make_ctx, call):
    ctx = make_ctx(trusted=True, shell_policy="allow", shell_timeout=30)
    result = await call(ctx, "run_command", command="cat; read line; echo status=$?")
    assert not result.data["timed_out"]
    assert "status=1" in result.content, "reading stdin hits EOF at once"


async def test_nothing_reaches_the_servers_stdout(layout: Layout, make_ctx, call, capfd):
    ctx = make_ctx(trusted=True, shell_policy="allow")
    result = await call(ctx, "run_command", command="echo to-stdout; echo to-tty > /dev/stdout")
    out, _ = capfd.readouterr()
    assert out == "", "a child must never write to the server's stdout (JSON-RPC)"
    assert "to-stdout" in result.content and "to-tty" in result.content


async def test_environment_is_stripped_of_secrets(layout, make_ctx, call, monkeypatch):
    planted = {
        "FOO_API_KEY": "k1",
        "GITHUB_TOKEN": "t1",
        "DB_PASSWORD": "p1",
        "CAIRN_API_KEY": "c1",
        "aws_secret_access_key": "s1",
        "MY_PASSWD": "p2",
        "GOOGLE_CREDENTIALS": "g1",
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HARMLESS_SETTING", "kept")
    ctx = make_ctx(trusted=True, shell_policy="allow")
    result = await call(ctx, "run_command", command="env")
    names = {line.split("=", 1)[0] for line in result.content.splitlines() if "=" in line}
    assert not names & set(planted), names & set(planted)
    assert "HARMLESS_SETTING" in names and "PATH" in names
    assert "GIT_TERMINAL_PROMPT" in names


async def test_timeout_kills_the_whole_process_group(layout: Layout, make_ctx, call):
    ctx = make_ctx(trusted=True, shell_policy="allow", shell_timeout=60)
    command = "sleep 300 & echo $! > grandchild.pid; echo started; wait"
    result = await call(ctx, "run_command", command=command, timeout=1)
    assert result.is_error and "killed after the 1 s timeout" in result.content
    assert result.data["timed_out"] and result.data["exit_code"] is None
    assert "started" in result.content, "output before the timeout is kept"
    pid = int((layout.ws / "grandchild.pid").read_text())
    assert await _gone(pid), "the grandchild must not survive the timeout"


async def test_timeout_is_capped_by_the_users_setting(layout: Layout, make_ctx, call):
    ctx = make_ctx(trusted=True, shell_policy="allow", shell_timeout=1)
    result = await call(ctx, "run_command", command="sleep 30", timeout=600)
    assert result.data["timed_out"] and "1 s timeout" in result.content


async def test_cancellation_kills_the_process_group(layout: Layout, make_ctx, registry):
    ctx = make_ctx(trusted=True, shell_policy="allow", shell_timeout=60)
    command = "sleep 300 & echo $! > grandchild.pid; sleep 300"
    task = asyncio.create_task(registry.call("run_command", {"command": command}, ctx))
    pid = await _read_pid(layout.ws / "grandchild.pid")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _gone(pid), "cancelling the tool call kills what the command started"


async def test_background_processes_do_not_outlive_the_command(layout: Layout, make_ctx, call):
    ctx = make_ctx(trusted=True, shell_policy="allow")
    result = await call(ctx, "run_command", command="sleep 300 & echo $! > bg.pid")
    assert result.data["exit_code"] == 0
    assert await _gone(int((layout.ws / "bg.pid").read_text())), "no orphans"


async def test_huge_output_is_capped(layout: Layout, make_ctx, call):
    ctx = make_ctx(trusted=True, shell_policy="allow")
    result = await call(ctx, "run_command", command="head -c 2000000 /dev/zero | tr '\\0' x; echo")
    assert "bytes of output omitted" in result.content
    assert len(result.content) < 30_000


# ---- the OS sandbox ---------------------------------------------------------------------------


@needs_landlock
async def test_landlock_blocks_writes_outside_and_allows_inside(off_tmp_layout, make_ctx, call):
    layout = off_tmp_layout
    ctx = make_ctx(root=layout.ws, trusted=True, shell_policy="allow")
    outside_file = layout.outside / "escaped.txt"
    result = await call(
        ctx,
        "run_command",
        command=f"echo inside > made-inside.txt; echo outside > {outside_file}; "
        f"echo more >> {layout.secret}; rm -f {layout.secret}; echo tmp > /tmp/cairn-ll-$$",
    )
    assert f"Landlock ABI {LANDLOCK}" in result.content
    assert result.data["sandbox"] == LANDLOCK
    assert (layout.ws / "made-inside.txt").read_text() == "inside\n"
    assert not outside_file.exists()
    assert layout.secret.read_text() == f"{CANARY}\n", "neither appended to nor removed"
    assert "Permission denied" in result.content
    reads = await call(ctx, "run_command", command=f"cat {layout.secret}")
    assert CANARY in reads.content, "reads stay allowed (documented limit)"


@needs_landlock
async def test_sandbox_cannot_signal_processes_outside(layout: Layout, make_ctx, call):
    if LANDLOCK < 6:
        pytest.skip("signal scoping needs Landlock ABI 6")
    ctx = make_ctx(trusted=True, shell_policy="allow")
    result = await call(ctx, "run_command", command=f"kill -0 {os.getpid()} && echo REACH''ABLE")
    assert "REACHABLE" not in result.content and "Operation not permitted" in result.content


async def test_without_landlock_it_says_so_and_still_runs(layout, make_ctx, call, monkeypatch):
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    ctx = make_ctx(trusted=True, shell_policy="allow")
    result = await call(ctx, "run_command", command="echo plain")
    assert "sandbox: none: Landlock is unavailable" in result.content
    assert result.data["sandbox"] is None and "plain" in result.content


def test_helper_refuses_to_run_unconfined_when_landlock_fails(tmp_path, monkeypatch):
    # Simulate a kernel without Landlock inside the helper: it must not exec the program.
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    marker = tmp_path / "ran"
    code = sandbox.main(["--landlock", "--write", str(tmp_path), "--", "touch", str(marker)])
    assert code == sandbox.HELPER_EXIT_SANDBOX_FAILED
    assert not marker.exists()


def test_sandbox_writable_paths(layout: Layout, make_ctx):
    extra = layout.base / "cache"
    extra.mkdir()
    ctx = make_ctx(trusted=True, sandbox_writable=(str(extra),))
    paths = shell.sandbox_writable(ctx)
    assert paths[0] == str(layout.ws.resolve()) and str(extra.resolve()) in paths
    assert "/dev/null" in paths and len(paths) == len(set(paths))
    assert shell.shell_program("true")[1:] == ["-c", "true"]
    assert sys.executable in sandbox.helper_argv(["true"], landlock=True, writable=[], cwd_fd=3)
