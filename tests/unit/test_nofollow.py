"""`cairn.nofollow`: the shared no-follow walk refuses every way out of the root."""

from __future__ import annotations

import ast
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn import nofollow
from cairn.nofollow import NotFound, Refused

SECRET = b"OUTSIDE SECRET\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``ws/`` (a file, a subdirectory) next to ``outside/secret.txt`` and ``ws-evil/secret.txt``."""
    ws = tmp_path / "ws"
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "src" / "pkg" / "mod.py").write_bytes(b"inside\n")
    (ws / "README.md").write_bytes(b"readme\n")
    for name in ("outside", "ws-evil"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "secret.txt").write_bytes(SECRET)
    return ws


@pytest.fixture
def root_fd(tree: Path) -> Iterator[int]:
    fd = nofollow.open_root(tree)
    yield fd
    os.close(fd)


def read_below(root_fd: int, raw: str, roots: tuple[Path, ...] = ()) -> bytes:
    fd = nofollow.open_below(root_fd, nofollow.split(raw, roots=roots))
    try:
        return os.read(fd, 1 << 16)
    finally:
        os.close(fd)


# ---- split: lexical refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("../outside/secret.txt", "'..'"),
        ("src/../../outside/secret.txt", "'..'"),
        ("src/..", "'..'"),
        ("/etc/passwd", "outside"),
        ("src/\x00/../../x", "NUL"),
        ("..\\outside\\secret.txt", "backslash"),
        ("src/\ud800.py", "lone surrogates"),
        ("", "empty"),
        (".", "empty"),
        ("./", "empty"),
        ("a/" * 3000, "longer than"),
    ],
)
def test_split_refuses_what_could_leave_or_mean_something_else(raw: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        nofollow.split(raw)
    assert reason in refused.value.reason


def test_split_refuses_what_is_not_a_string() -> None:
    with pytest.raises(Refused, match="must be a string"):
        nofollow.split(b"README.md")


def test_split_keeps_plain_components_and_drops_dots_and_empty_ones() -> None:
    assert nofollow.split("./src//pkg/./mod.py") == ("src", "pkg", "mod.py")
    assert nofollow.split("...hidden/..x") == ("...hidden", "..x")
    assert nofollow.split(".", allow_root=True) == ()
    assert nofollow.split("", allow_root=True) == ()


def test_absolute_paths_count_only_under_a_root_compared_per_component(tree: Path) -> None:
    roots = (tree,)
    assert nofollow.split(f"{tree}/src/pkg/mod.py", roots=roots) == ("src", "pkg", "mod.py")
    assert nofollow.split(str(tree), roots=roots, allow_root=True) == ()
    for outside in (f"{tree}-evil/secret.txt", f"{tree.parent}/outside/secret.txt", "/etc/passwd"):
        with pytest.raises(Refused, match="outside the workspace"):
            nofollow.split(outside, roots=roots, root_name="the workspace")
    with pytest.raises(Refused, match="'..'"):
        nofollow.split(f"{tree}/../outside/secret.txt", roots=roots)


# ---- the walk: symlinks are never followed -----------------------------------------------------


def test_a_plain_file_and_directory_are_reached(root_fd: int) -> None:
    assert read_below(root_fd, "src/pkg/mod.py") == b"inside\n"
    fd = nofollow.open_dir(root_fd, ("src", "pkg"))
    try:
        assert sorted(os.listdir(fd)) == ["mod.py"]
    finally:
        os.close(fd)
    assert stat.S_ISREG(nofollow.stat_below(root_fd, ("README.md",)).st_mode)
    assert stat.S_ISDIR(nofollow.stat_below(root_fd, ()).st_mode)


@pytest.mark.parametrize(
    ("links", "raw"),
    [
        ({"link.txt": "../outside/secret.txt"}, "link.txt"),  # symlink file
        ({"linkdir": "../outside"}, "linkdir/secret.txt"),  # symlink dir
        ({"a": "b", "b": "../outside"}, "a/secret.txt"),  # symlink chain
        ({"src/up": "../.."}, "src/up/outside/secret.txt"),  # relative symlink climbing out
        ({"inner": "src/pkg"}, "inner/mod.py"),  # pointing inside: refused all the same
        ({"dangling": "../outside/nothing-here"}, "dangling"),  # dangling symlink
    ],
)
def test_a_symlink_anywhere_on_the_path_is_refused(
    tree: Path, root_fd: int, links: dict[str, str], raw: str
) -> None:
    for name, target in links.items():
        os.symlink(target, tree / name)
    with pytest.raises(Refused, match="symbolic link"):
        read_below(root_fd, raw)
    with pytest.raises(Refused, match="symbolic link"):
        nofollow.stat_below(root_fd, nofollow.split(raw))
    parts = nofollow.split(raw)
    with pytest.raises(Refused, match="symbolic link"):
        os.close(nofollow.open_dir(root_fd, parts))


def test_the_root_may_itself_be_reached_through_a_symlink(tree: Path) -> None:
    """The root is trusted (the caller chose it); only what lies below it is walked no-follow."""
    alias = tree.parent / "alias"
    os.symlink(tree, alias)
    fd = nofollow.open_root(alias)
    try:
        assert read_below(fd, "README.md") == b"readme\n"
    finally:
        os.close(fd)


def test_missing_paths_and_files_in_the_way_are_not_found(root_fd: int) -> None:
    with pytest.raises(NotFound) as missing:
        read_below(root_fd, "src/nope/mod.py")
    assert missing.value.path == "src/nope" and missing.value.reason == ""
    with pytest.raises(NotFound) as in_the_way:
        read_below(root_fd, "README.md/x")
    assert in_the_way.value.path == "README.md" and "not a directory" in in_the_way.value.reason
    with pytest.raises(NotFound):
        nofollow.stat_below(root_fd, ("nothing",))


def test_create_makes_missing_directories_but_never_through_a_symlink(tree: Path, root_fd: int) -> None:
    os.close(nofollow.open_dir(root_fd, ("new", "deeper"), create=True))
    assert (tree / "new" / "deeper").is_dir()
    os.symlink("../outside", tree / "linkdir")
    with pytest.raises(Refused, match="symbolic link"):
        os.close(nofollow.open_dir(root_fd, ("linkdir", "made"), create=True))
    assert not (tree.parent / "outside" / "made").exists()


def test_one_hop_is_one_component(root_fd: int) -> None:
    for name in ("src/pkg", "..", ".", ""):
        with pytest.raises(Refused, match="single path component"):
            nofollow.open_hop(root_fd, name, nofollow.DIR_FLAGS)


def test_a_fifo_is_opened_without_hanging(tree: Path, root_fd: int) -> None:
    os.mkfifo(tree / "pipe")
    fd = nofollow.open_below(root_fd, ("pipe",))
    try:
        assert stat.S_ISFIFO(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def test_the_caller_handle_stays_open_and_unchanged(root_fd: int) -> None:
    with pytest.raises(Refused):
        read_below(root_fd, "../x")
    with pytest.raises(NotFound):
        read_below(root_fd, "missing/x")
    assert sorted(os.listdir(root_fd)) == ["README.md", "src"]


def test_it_imports_nothing_of_cairns() -> None:
    """A leaf: server, memory and skills all import it, so it may import none of them."""
    source = Path(nofollow.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported and not any(name.split(".")[0] == "cairn" for name in imported), imported
