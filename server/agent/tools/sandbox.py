"""Landlock write confinement for shell commands, and the exec helper that applies it (R14).

Shell commands are started as ``python -I -S sandbox.py [--landlock] [--write PATH]...
[--cwd-fd N] -- PROGRAM ARGS...``. The helper changes into the directory handle it was given,
restricts itself with Landlock so that it and everything it starts may write only beneath the
``--write`` paths (reading stays allowed everywhere), then execs the program. A separate helper
process is used because ``preexec_fn`` is unsafe in a threaded server and Landlock domains
cannot be lifted once applied. When ``--landlock`` is requested and cannot be applied the
helper refuses to run the command (exit 126) rather than running it unconfined.

This file is stdlib-only and importable without the package (the helper runs with ``-S``, no
site-packages); the server imports it for `landlock_abi` and `helper_argv`.

Syscall ABI from linux/landlock.h (stable across architectures since Linux 5.13). Rights
handled: every write-like filesystem right of the running ABI (write/truncate files, make or
remove entries, link/rename across directories). Also, from ABI 6, signals to processes outside
the sandbox are refused (a command cannot kill the editor or the server).
Known limits: reads (the memory database, ~/.ssh) and the network are not restricted, and
protected paths inside the workspace (`.git/hooks`, `.vscode/settings.json`) stay writable by
commands; the user approves each command for that reason.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

WRITE_FILE, REMOVE_DIR, REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK = 1 << 6, 1 << 7, 1 << 8, 1 << 9
MAKE_FIFO, MAKE_BLOCK, MAKE_SYM, REFER, TRUNCATE = 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14
SCOPE_SIGNAL = 1 << 1
# Rights that mean something on a file (not a directory) rule.
_FILE_RIGHTS = WRITE_FILE | TRUNCATE

HELPER_EXIT_SANDBOX_FAILED = 126
HELPER_EXIT_EXEC_FAILED = 127
SANDBOX_FAILED_MARK = "cairn sandbox: Landlock could not be applied"


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
    abi = landlock_abi()
    if abi < 1:
        raise OSError(0, "Landlock is not available in this kernel")
    libc = _libc()
    handled = write_rights(abi)
    attr = _RulesetAttr(handled, 0, SCOPE_SIGNAL if abi >= 6 else 0)
    ruleset = _check(
        libc.syscall(
            _SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0)
        ),
        "landlock_create_ruleset",
    )
    try:
        for path in writable:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                rule = _PathBeneathAttr(handled if is_dir else handled & _FILE_RIGHTS, fd)
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


def helper_argv(program: list[str], *, landlock: bool, writable: list[str], cwd_fd: int | None) -> list[str]:
    """The command line that runs ``program`` through this helper."""
    argv = [sys.executable, "-I", "-S", os.path.abspath(__file__)]
    if landlock:
        argv.append("--landlock")
    for path in writable:
        argv += ["--write", path]
    if cwd_fd is not None:
        argv += ["--cwd-fd", str(cwd_fd)]
    return argv + ["--", *program]


def main(argv: list[str]) -> int:
    """The helper: parse, change directory, confine, exec. Only returns on failure."""
    landlock, writable, cwd_fd = False, [], None
    args = list(argv)
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--landlock":
            landlock = True
        elif flag == "--write" and args:
            writable.append(args.pop(0))
        elif flag == "--cwd-fd" and args:
            cwd_fd = int(args.pop(0))
        else:
            sys.stderr.write(f"cairn sandbox: unknown argument {flag!r}\n")
            return 2
    program = args[1:]
    if not program:
        sys.stderr.write("cairn sandbox: no program given after --\n")
        return 2
    if cwd_fd is not None:
        os.fchdir(cwd_fd)
        os.close(cwd_fd)
    if landlock:
        try:
            restrict_writes(writable)
        except OSError as exc:
            sys.stderr.write(f"{SANDBOX_FAILED_MARK} ({exc}); the command was not run\n")
            return HELPER_EXIT_SANDBOX_FAILED
    try:
        os.execvp(program[0], program)
    except OSError as exc:
        sys.stderr.write(f"cairn sandbox: cannot run {program[0]!r}: {exc.strerror}\n")
    return HELPER_EXIT_EXEC_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
