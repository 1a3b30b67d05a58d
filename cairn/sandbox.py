"""Landlock confinement and resource limits for child processes, and the exec helper that
applies them (R14).

A command is started as ``python -I -S sandbox.py [--landlock] [--write PATH]... [--read PATH]...
[--no-network] [--memory BYTES] [--cpu SECONDS] [--file-size BYTES] [--cwd-fd N] -- PROGRAM
ARGS...``. The helper changes into the directory handle it was given, sets the resource limits,
leaves the network when asked, restricts itself with Landlock so that it and everything it
starts may write only beneath the ``--write`` paths (and, when any ``--read`` is given, read and
execute only beneath the ``--read`` and ``--write`` paths), then execs the program. A separate
helper process is used because ``preexec_fn`` is unsafe in a threaded server and Landlock
domains cannot be lifted once applied. When a requested confinement cannot be applied the
helper refuses to run the command (exit 126) rather than running it less confined.

Two users, one implementation: the agent's ``run_command`` tool (writes confined; the user
approves each command) and the skill trainer's execution grader (a model's code: writes and
reads confined to a scratch directory and the interpreter, no network, memory and CPU capped).
This module lives in the leaf package ``cairn`` and imports nothing of Cairn's, so both the
server and ``cairn.skills`` may use it; it is stdlib-only and runs without site-packages (``-S``).

Syscall ABI from linux/landlock.h (stable across architectures since Linux 5.13). Rights
handled: every write-like filesystem right of the running ABI (write/truncate files, make or
remove entries, link/rename across directories); with ``--read``, reading files and directories
and executing. From ABI 6, signals to processes outside the sandbox are refused (a command cannot
kill the editor or the server). ``--no-network`` enters a new, empty network namespace (as root,
or in a new user namespace otherwise) and, from ABI 4, also refuses TCP bind and connect through
Landlock (and abstract UNIX sockets from ABI 6); it refuses to run when neither applies.
Known limits: without ``--read``, reads (the memory database, ~/.ssh) are not restricted; without
``--no-network`` neither is the network; protected paths inside the workspace (``.git/hooks``,
``.vscode/settings.json``) stay writable by commands, which is why the user approves each one.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
import sys
from dataclasses import dataclass

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE = 1 << 4, 1 << 5
MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK = 1 << 6, 1 << 7, 1 << 8, 1 << 9
MAKE_FIFO, MAKE_BLOCK, MAKE_SYM, REFER, TRUNCATE = 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14
READ_RIGHTS = EXECUTE | READ_FILE | READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
# Rights that mean something on a file (not a directory) rule.
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000

HELPER_EXIT_SANDBOX_FAILED = 126
HELPER_EXIT_EXEC_FAILED = 127
SANDBOX_FAILED_MARK = "cairn sandbox: the confinement could not be applied"


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is absent or disabled."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(
            _SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
        )
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def write_rights(abi: int) -> int:
    """Every write-like filesystem right known to ``abi``."""
    rights = (
        WRITE_FILE
        | REMOVE_DIR
        | REMOVE_FILE
        | MAKE_CHAR
        | MAKE_DIR
        | MAKE_REG
        | MAKE_SOCK
        | MAKE_FIFO
        | MAKE_BLOCK
        | MAKE_SYM
    )
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    return rights


def restrict_writes(writable: list[str]) -> int:
    """Confine this process (and its future children) to writing beneath ``writable``.

    Paths that do not exist are skipped. Returns the ABI used; raises OSError if Landlock is
    unavailable or any step fails (the caller must then not run the command).
    """
    return restrict(writable)


def restrict(writable: list[str], readable: list[str] | None = None, *, no_tcp: bool = False) -> int:
    """Confine this process and its future children with Landlock.

    Writes go only beneath ``writable``; when ``readable`` is given, reads and execution go only
    beneath ``readable`` and ``writable``; with ``no_tcp``, TCP bind/connect and abstract UNIX
    sockets are refused (TCP needs ABI 4: raises OSError below it). Paths that do not exist are
    skipped. Returns the ABI used; raises OSError if any step fails (then run nothing).
    """
    abi = landlock_abi()
    if abi < 1:
        raise OSError(0, "Landlock is not available in this kernel")
    if no_tcp and abi < 4:
        raise OSError(0, f"Landlock ABI {abi} cannot refuse TCP (needs 4)")
    libc = _libc()
    writes = write_rights(abi)
    reads = READ_RIGHTS if readable is not None else 0
    scoped = (SCOPE_SIGNAL if abi >= 6 else 0) | (SCOPE_ABSTRACT_UNIX_SOCKET if no_tcp and abi >= 6 else 0)
    attr = _RulesetAttr(writes | reads, NET_BIND_TCP | NET_CONNECT_TCP if no_tcp else 0, scoped)
    ruleset = _check(
        libc.syscall(
            _SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0)
        ),
        "landlock_create_ruleset",
    )
    rules = [(path, writes | reads) for path in writable] + [(path, reads) for path in readable or []]
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                rule = _PathBeneathAttr(rights if is_dir else rights & _FILE_RIGHTS, fd)
                _check(
                    libc.syscall(
                        _SYS_ADD_RULE,
                        ctypes.c_int(ruleset),
                        ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    ),
                    f"landlock_add_rule({path})",
                )
            finally:
                os.close(fd)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        _check(
            libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
            "landlock_restrict_self",
        )
    finally:
        os.close(ruleset)
    return abi


def leave_network() -> None:
    """Move this process into a new network namespace with no interfaces but a down loopback.

    As root directly; otherwise inside a new user namespace that maps our own ids. Raises
    OSError when the kernel refuses both.
    """
    libc = _libc()
    if libc.unshare(_CLONE_NEWNET) == 0:
        return
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET), "unshare(user, net)")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


@dataclass(frozen=True)
class Limits:
    """Resource limits for a child: address space, CPU seconds, largest file it may write."""

    memory_bytes: int | None = None
    cpu_seconds: int | None = None
    file_bytes: int | None = None

    def argv(self) -> list[str]:
        flags = [
            ("--memory", self.memory_bytes),
            ("--cpu", self.cpu_seconds),
            ("--file-size", self.file_bytes),
        ]
        return [part for flag, value in flags if value is not None for part in (flag, str(value))]

    def apply(self) -> None:
        """Set the limits on this process (inherited by what it execs and starts)."""
        for kind, value in (
            (resource.RLIMIT_AS, self.memory_bytes),
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_FSIZE, self.file_bytes),
        ):
            if value is not None:
                resource.setrlimit(kind, (value, value))
        if self.file_bytes is not None:  # a too-large write fails with EFBIG instead of killing
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def helper_argv(
    program: list[str],
    *,
    landlock: bool,
    writable: list[str],
    cwd_fd: int | None,
    readable: list[str] | None = None,
    no_network: bool = False,
    limits: Limits | None = None,
) -> list[str]:
    """The command line that runs ``program`` through this helper."""
    argv = [sys.executable, "-I", "-S", os.path.abspath(__file__)]
    if landlock:
        argv.append("--landlock")
    for path in writable:
        argv += ["--write", path]
    for path in readable or []:
        argv += ["--read", path]
    if no_network:
        argv.append("--no-network")
    if limits is not None:
        argv += limits.argv()
    if cwd_fd is not None:
        argv += ["--cwd-fd", str(cwd_fd)]
    return argv + ["--", *program]


_VALUE_FLAGS = ("--write", "--read", "--cwd-fd", "--memory", "--cpu", "--file-size")


def main(argv: list[str]) -> int:
    """The helper: parse, change directory, limit, leave the network, confine, exec.

    Only returns on failure.
    """
    landlock = no_network = False
    values: dict[str, list[str]] = {flag: [] for flag in _VALUE_FLAGS}
    args = list(argv)
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--landlock":
            landlock = True
        elif flag == "--no-network":
            no_network = True
        elif flag in values and args:
            values[flag].append(args.pop(0))
        else:
            sys.stderr.write(f"cairn sandbox: unknown argument {flag!r}\n")
            return 2
    program = args[1:]
    if not program:
        sys.stderr.write("cairn sandbox: no program given after --\n")
        return 2

    def last_int(flag: str) -> int | None:
        return int(values[flag][-1]) if values[flag] else None

    cwd_fd = last_int("--cwd-fd")
    if cwd_fd is not None:
        os.fchdir(cwd_fd)
        os.close(cwd_fd)
    try:
        Limits(last_int("--memory"), last_int("--cpu"), last_int("--file-size")).apply()
        if no_network:
            try:
                leave_network()
                namespaced = True
            except OSError:
                namespaced = False
            if not namespaced and not (landlock and landlock_abi() >= 4):
                raise OSError(0, "no network namespace and no Landlock TCP rule: cannot cut the network")
        if landlock:
            readable = values["--read"] or None
            restrict(values["--write"], readable, no_tcp=no_network and landlock_abi() >= 4)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"{SANDBOX_FAILED_MARK} ({exc}); the command was not run\n")
        return HELPER_EXIT_SANDBOX_FAILED
    try:
        os.execvp(program[0], program)
    except OSError as exc:
        sys.stderr.write(f"cairn sandbox: cannot run {program[0]!r}: {exc.strerror}\n")
    return HELPER_EXIT_EXEC_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
