"""R13: path-escape attempts are refused, each on a real filesystem setup; legitimate use passes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.errors import PathRefused, ToolError

from .conftest import CANARY, Layout


def _symlink(link: Path, target: str | Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


@dataclass(frozen=True)
class Attempt:
    """One escape attempt: how to set it up, which operation, and the raw path the model sends."""

    name: str
    op: str  # read | write | list
    path: Callable[[Layout], str]
    setup: Callable[[Layout], None] = lambda layout: None


def _link_file(layout: Layout) -> None:
    _symlink(layout.ws / "link.txt", layout.secret)


def _link_dir(layout: Layout) -> None:
    _symlink(layout.ws / "linkdir", layout.outside)


def _chain(layout: Layout) -> None:
    _symlink(layout.ws / "b", layout.outside)
    _symlink(layout.ws / "a", "b")  # relative: a -> b -> outside


def _relative_up(layout: Layout) -> None:
    _symlink(layout.ws / "src" / "up", "../../outside")


def _proc_link(layout: Layout) -> None:
    _symlink(layout.ws / "proc", "/proc/self/root")


def _dangling(layout: Layout) -> None:
    _symlink(layout.ws / "dangling", layout.outside / "created-through-dangling.txt")


def _hardlink(layout: Layout) -> None:
    os.link(layout.secret, layout.ws / "hard.txt")


def _git_dir(layout: Layout) -> None:
    (layout.ws / ".git" / "hooks").mkdir(parents=True)
    (layout.ws / ".git" / "config").write_text("[core]\n")


ATTEMPTS = [
    Attempt("dotdot", "read", lambda l: "../outside/secret.txt"),
    Attempt("dotdot-nested", "read", lambda l: "src/../../outside/secret.txt"),
    Attempt("dotdot-trailing", "read", lambda l: "src/pkg/../../../outside/secret.txt"),
    Attempt("absolute-outside", "read", lambda l: str(l.secret)),
    Attempt("absolute-etc", "read", lambda l: "/etc/passwd"),
    Attempt("proc-self-root", "read", lambda l: f"/proc/self/root{l.secret}"),
    Attempt("proc-self-root-alias-of-inside", "read", lambda l: f"/proc/self/root{l.ws}/README.md"),
    Attempt("sibling-prefix", "read", lambda l: f"{l.ws}-evil/secret.txt"),
    Attempt("symlink-file", "read", lambda l: "link.txt", _link_file),
    Attempt("symlink-dir", "read", lambda l: "linkdir/secret.txt", _link_dir),
    Attempt("symlink-chain", "read", lambda l: "a/secret.txt", _chain),
    Attempt("symlink-relative-up", "read", lambda l: "src/up/secret.txt", _relative_up),
    Attempt("symlink-to-proc-root", "read", lambda l: f"proc{l.secret}", _proc_link),
    Attempt("nul-byte", "read", lambda l: "src/main.py\x00../../outside/secret.txt"),
    Attempt("file-uri", "read", lambda l: f"file://{l.secret}"),
    Attempt("file-uri-encoded", "read", lambda l: f"file://{l.ws}/%2e%2e/outside/secret.txt"),
    Attempt("percent-encoded-dots", "read", lambda l: "%2e%2e/outside/secret.txt"),
    Attempt("percent-encoded-slash", "read", lambda l: "..%2Foutside%2Fsecret.txt"),
    Attempt("backslashes", "read", lambda l: "..\\outside\\secret.txt"),
    Attempt("home-tilde", "read", lambda l: "~/.bashrc"),
    Attempt("write-dotdot", "write", lambda l: "../outside/new.txt"),
    Attempt("write-absolute-outside", "write", lambda l: str(l.outside / "new.txt")),
    Attempt("write-through-symlink-dir", "write", lambda l: "linkdir/new.txt", _link_dir),
    Attempt("write-symlink-file", "write", lambda l: "link.txt", _link_file),
    Attempt("write-dangling-symlink", "write", lambda l: "dangling", _dangling),
    Attempt("write-hardlink-to-outside", "write", lambda l: "hard.txt", _hardlink),
    Attempt("write-git-hook", "write", lambda l: ".git/hooks/pre-commit", _git_dir),
    Attempt("write-git-config", "write", lambda l: ".git/config", _git_dir),
    Attempt("write-git-config-case", "write", lambda l: ".GIT/config", _git_dir),
    Attempt("write-git-hook-case", "write", lambda l: ".Git/Hooks/post-checkout", _git_dir),
    Attempt("write-git-trailing-dot", "write", lambda l: ".git./config", _git_dir),
    Attempt("write-nested-git-pointer", "write", lambda l: "vendor/lib/.git"),
    Attempt("write-git-hfs-ignorable", "write", lambda l: ".g\u200cit/hooks/pre-commit"),
    Attempt("lone-surrogate", "read", lambda l: "src/\ud800.py"),
    Attempt("list-dotdot", "list", lambda l: ".."),
    Attempt("list-absolute-outside", "list", lambda l: str(l.outside)),
    Attempt("list-symlink-dir", "list", lambda l: "linkdir", _link_dir),
]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.name)
def test_escape_attempt_is_refused(layout: Layout, attempt: Attempt) -> None:
    assert len({a.name for a in ATTEMPTS}) == len(ATTEMPTS) >= 20
    attempt.setup(layout)
    before = _snapshot(layout.outside)
    raw = attempt.path(layout)
    with ConfinedWorkspace(layout.ws) as ws, pytest.raises(PathRefused) as refused:
        if attempt.op == "read":
            ws.read_bytes(raw, 1 << 20)
        elif attempt.op == "write":
            ws.write_bytes(raw, b"pwned\n")
        else:
            list(ws.walk(raw))
    assert str(refused.value).startswith("Refused path")
    assert _snapshot(layout.outside) == before, "nothing outside may change"


@pytest.mark.parametrize("attempt", [a for a in ATTEMPTS if a.op != "write"], ids=lambda a: a.name)
async def test_escape_attempt_through_tools_shows_no_outside_content(
    layout: Layout, attempt: Attempt, make_ctx, call
) -> None:
    attempt.setup(layout)
    ctx = make_ctx()
    raw = attempt.path(layout)
    if attempt.op == "read":
        result = await call(ctx, "read_file", path=raw)
    else:
        result = await call(ctx, "list_files", path=raw)
    assert result.is_error
    assert "Refused path" in result.content
    assert CANARY not in result.content


@pytest.mark.parametrize("attempt", [a for a in ATTEMPTS if a.op == "write"], ids=lambda a: a.name)
async def test_escape_attempt_through_edit_tools_is_refused(
    layout: Layout, attempt: Attempt, make_ctx, call
) -> None:
    attempt.setup(layout)
    ctx = make_ctx()
    result = await call(ctx, "create_file", path=attempt.path(layout), content="pwned\n")
    assert result.is_error and "Refused path" in result.content
    result = await call(ctx, "propose_edit", path=attempt.path(layout), old_text="x", new_text="y")
    assert result.is_error and "Refused path" in result.content


def test_fifo_is_refused_without_hanging(layout: Layout) -> None:
    os.mkfifo(layout.ws / "pipe")
    with ConfinedWorkspace(layout.ws) as ws, pytest.raises(ToolError, match="not a regular file"):
        ws.read_bytes("pipe", 1024)


def test_symlink_inside_is_refused_too(layout: Layout) -> None:
    # Decision: no symlink is followed, even one pointing inside (simpler and race-free).
    _symlink(layout.ws / "alias.py", "src/main.py")
    with ConfinedWorkspace(layout.ws) as ws, pytest.raises(PathRefused, match="symbolic link"):
        ws.read_bytes("alias.py", 1024)


# ---- legitimate operations pass -------------------------------------------------------------


def test_legitimate_reads(layout: Layout) -> None:
    (layout.ws / "dir with space").mkdir()
    (layout.ws / "dir with space" / "100% ünïcödé.txt").write_text("ok\n")
    (layout.ws / "..hidden").write_text("dots\n")
    with ConfinedWorkspace(layout.ws) as ws:
        assert ws.read_bytes("src/main.py", 1024) == b"print('hello')\n"
        assert ws.read_bytes("./src//pkg/./util.py", 1024).startswith(b"def helper")
        assert ws.read_bytes(str(layout.ws / "README.md"), 1024) == b"# demo\n"
        assert ws.read_bytes("dir with space/100% ünïcödé.txt", 1024) == b"ok\n"
        assert ws.read_bytes("..hidden", 1024) == b"dots\n"
        assert ws.relpath(str(layout.ws)) == "."


def test_root_given_through_a_symlink_accepts_both_spellings(layout: Layout) -> None:
    alias = layout.base / "ws-alias"
    os.symlink(layout.ws, alias)
    with ConfinedWorkspace(alias) as ws:
        assert ws.read_bytes(f"{alias}/README.md", 100) == b"# demo\n"
        assert ws.read_bytes(f"{layout.ws}/README.md", 100) == b"# demo\n"


def test_legitimate_listing(layout: Layout) -> None:
    _link_dir(layout)
    with ConfinedWorkspace(layout.ws) as ws:
        entries = {e.path: e.kind for e in ws.walk(".")}
    assert entries["src"] == "dir" and entries["src/pkg/util.py"] == "file"
    assert entries["linkdir"] == "symlink"
    assert not any(path.startswith("linkdir/") for path in entries), "symlinks are not entered"


def test_legitimate_writes(layout: Layout) -> None:
    script = layout.ws / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    with ConfinedWorkspace(layout.ws) as ws:
        ws.write_bytes("new/deep/dir/file.txt", b"fresh\n")
        ws.write_bytes("run.sh", b"#!/bin/sh\necho hi\n")
        ws.write_bytes(".gitignore", b"build/\n")  # not inside .git
        ws.write_bytes(".vscode/extensions.json", b"{}\n")  # not a settings file
        ws.write_bytes(".github/workflows/ci.yml", b"on: push\n")
        with pytest.raises(ToolError, match="already exists"):
            ws.write_bytes("README.md", b"clobber\n", exclusive=True)
        ws.write_bytes("brand-new.txt", b"x\n", exclusive=True)
    assert (layout.ws / "new/deep/dir/file.txt").read_text() == "fresh\n"
    assert script.read_text().endswith("echo hi\n")
    assert script.stat().st_mode & 0o777 == 0o755, "an edited file keeps its mode"
    assert (layout.ws / "README.md").read_text() == "# demo\n"
    assert (layout.ws / "brand-new.txt").read_text() == "x\n"
    leftovers = [p.name for p in layout.ws.rglob("*.tmp")]
    assert leftovers == [], "no temporary files are left behind"
