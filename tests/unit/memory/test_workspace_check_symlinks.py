"""Checks of memories against the workspace never follow a symlink, not even one planted between
a check and the open (the file is read through the directory handles that were checked)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cairn.memory.workspace_check import file_holds, path_exists, symbol_in_file

OUTSIDE_SOURCE = "def leaked_secret_function():\n    return 42\n"


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """``ws/`` with a real file, and ``outside/`` with a file the workspace must never reveal."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "src").mkdir(parents=True)
    outside.mkdir()
    (ws / "src" / "app.py").write_text("def inside_function():\n    pass\n")
    (outside / "secret.py").write_text(OUTSIDE_SOURCE)
    return ws, outside


async def test_a_real_file_and_its_symbols_are_found(layout: tuple[Path, Path]) -> None:
    ws, _ = layout
    assert await path_exists(ws, "src/app.py") is True
    assert await path_exists(ws, "src") is True
    assert await symbol_in_file(ws, "src/app.py", "inside_function") is True
    assert await symbol_in_file(ws, "src/app.py", "Module.missing_function") is False


async def test_a_symlinked_file_pointing_outside_is_missing_and_never_read(layout: tuple[Path, Path]) -> None:
    ws, outside = layout
    os.symlink(outside / "secret.py", ws / "src" / "link.py")
    assert await path_exists(ws, "src/link.py") is False
    assert await symbol_in_file(ws, "src/link.py", "leaked_secret_function") is False


async def test_a_symlinked_directory_pointing_outside_is_not_entered(layout: tuple[Path, Path]) -> None:
    ws, outside = layout
    os.symlink(outside, ws / "vendor")
    assert await path_exists(ws, "vendor") is False
    assert await path_exists(ws, "vendor/secret.py") is False
    assert await symbol_in_file(ws, "vendor/secret.py", "leaked_secret_function") is False


async def test_paths_that_leave_the_workspace_lexically_are_missing(layout: tuple[Path, Path]) -> None:
    ws, outside = layout
    sibling = ws.parent / "ws-evil"
    sibling.mkdir()
    (sibling / "secret.py").write_text(OUTSIDE_SOURCE)
    for path in ("../outside/secret.py", str(outside / "secret.py"), str(sibling / "secret.py")):
        assert await path_exists(ws, path) is False, path
        assert await symbol_in_file(ws, path, "leaked_secret_function") is False, path


async def test_an_absolute_path_inside_the_workspace_is_still_checked(layout: tuple[Path, Path]) -> None:
    ws, _ = layout
    assert await path_exists(ws, str(ws / "src" / "app.py")) is True
    assert await symbol_in_file(ws, str(ws / "src" / "app.py"), "inside_function") is True


async def test_a_symlink_pointing_inside_is_not_followed_either(layout: tuple[Path, Path]) -> None:
    ws, _ = layout
    os.symlink("app.py", ws / "src" / "alias.py")
    os.symlink("src", ws / "source")
    assert await path_exists(ws, "src/alias.py") is False
    assert await path_exists(ws, "source/app.py") is False
    assert await symbol_in_file(ws, "source/app.py", "inside_function") is False


# An audit hook cannot be removed, so one is installed per process and armed per test.
_on_open: list[Callable[[str], None]] = []
_installed: list[bool] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _on_open and isinstance(args[0], str):
        _on_open[0](args[0])


@pytest.fixture
def on_open() -> Iterator[list[Callable[[str], None]]]:
    if not _installed:
        sys.addaudithook(_audit)
        _installed.append(True)
    yield _on_open
    _on_open.clear()


async def test_a_directory_swapped_for_a_symlink_just_before_the_open_is_not_followed(
    layout: tuple[Path, Path], on_open: list[Callable[[str], None]]
) -> None:
    """The race a resolve-then-open check loses: ``src`` is checked, then replaced by a symlink
    to the outside right before the file is opened (as a racing process could)."""
    ws, outside = layout
    (outside / "app.py").write_text(OUTSIDE_SOURCE)
    swapped: list[str] = []

    def swap_src_for_a_symlink(path: str) -> None:
        if path.endswith("app.py") and not swapped:
            swapped.append(path)
            (ws / "src").rename(ws / "src-moved")
            os.symlink(outside, ws / "src")

    on_open.append(swap_src_for_a_symlink)
    found = await symbol_in_file(ws, "src/app.py", "leaked_secret_function")
    on_open.clear()
    assert swapped, "the file was never opened, so the race was not exercised"
    assert found is False, "the symbol scan read a file outside the workspace"


async def test_a_directory_where_a_file_was_expected_is_no_file_and_no_crash(
    layout: tuple[Path, Path],
) -> None:
    """A value read from `list_files src` names a folder as its place: checking it must say
    "cannot tell", not raise (it made every consolidation of a real session fail)."""
    ws, _ = layout
    assert await symbol_in_file(ws, "src", "inside_function") is False
    assert await file_holds(ws, "src", ["def inside_function"]) is None
