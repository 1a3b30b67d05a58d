"""read_file, list_files and search: buffers first, .gitignore honoured, bounded, cancellable."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from cairn.server.agent.tools import search as engine
from cairn.server.agent.tools.context import BufferText
from cairn.server.agent.tools.threads import run_cancellable

from .conftest import CANARY, Layout


class DictBuffers:
    """A BufferSource backed by a dict, as the LSP layer's open-document table would be."""

    def __init__(self, texts: dict[str, tuple[str, int]]) -> None:
        self.texts = texts

    def get(self, rel_path: str) -> BufferText | None:
        if rel_path not in self.texts:
            return None
        text, version = self.texts[rel_path]
        return BufferText(text, version)

    def open_paths(self):
        return list(self.texts)


def _tree(layout: Layout) -> None:
    ws = layout.ws
    (ws / ".gitignore").write_text("build/\n*.log\n!keep.log\n")
    (ws / "build").mkdir()
    (ws / "build" / "out.js").write_text("needle in build\n")
    (ws / "debug.log").write_text("needle in log\n")
    (ws / "keep.log").write_text("needle kept\n")
    (ws / "src" / ".gitignore").write_text("generated.py\n")
    (ws / "src" / "generated.py").write_text("needle generated\n")
    (ws / "src" / "app.py").write_text("x = 1\nneedle = 'found'\nNEEDLE_UPPER = 2\n")
    (ws / ".git").mkdir()
    (ws / ".git" / "HEAD").write_text("needle in git\n")
    (ws / "src" / ".svn").mkdir()
    (ws / "src" / ".svn" / "entries").write_text("needle in svn\n")
    (ws / "image.bin").write_bytes(b"\x89PNG\x00\x00needle")


# ---- read_file ------------------------------------------------------------------------------


async def test_read_file_numbers_lines_and_reports_source(layout: Layout, make_ctx, call):
    ctx = make_ctx()
    result = await call(ctx, "read_file", path="src/pkg/util.py")
    assert result.content == (
        "src/pkg/util.py (lines 1-2 of 2, from disk)\n     1\tdef helper():\n     2\t    return 42"
    )


async def test_read_file_prefers_the_editor_buffer(layout: Layout, make_ctx, call):
    ctx = make_ctx(buffers=DictBuffers({"src/main.py": ("print('unsaved')\n", 7)}))
    result = await call(ctx, "read_file", path="./src/main.py")
    assert "from editor buffer, version 7" in result.content
    assert "print('unsaved')" in result.content and "hello" not in result.content


async def test_read_file_ignores_a_buffer_reached_through_a_symlink(layout: Layout, make_ctx, call):
    os.symlink(layout.outside, layout.ws / "linked")
    buffers = DictBuffers({"linked/secret.txt": (f"{CANARY}\n", 1)})
    result = await call(make_ctx(buffers=buffers), "read_file", path="linked/secret.txt")
    assert result.is_error and CANARY not in result.content


async def test_read_file_ranges(layout: Layout, make_ctx, call):
    (layout.ws / "long.txt").write_text("".join(f"line {i}\n" for i in range(1, 3001)))
    ctx = make_ctx()
    first = await call(ctx, "read_file", path="long.txt")
    assert "(lines 1-2000 of 3000" in first.content
    assert first.content.endswith("[1000 more lines; read them with start_line=2001]")
    part = await call(ctx, "read_file", path="long.txt", start_line=10, end_line=12)
    assert part.content.splitlines()[1:] == [
        "    10\tline 10",
        "    11\tline 11",
        "    12\tline 12",
        "[2988 more lines; read them with start_line=13]",
    ]
    past = await call(ctx, "read_file", path="long.txt", start_line=5000)
    assert past.is_error and "3000 lines" in past.content
    backwards = await call(ctx, "read_file", path="long.txt", start_line=5, end_line=2)
    assert backwards.is_error
    zero = await call(ctx, "read_file", path="long.txt", start_line=0)
    assert zero.is_error and "greater than or equal to 1" in zero.content


async def test_read_file_shows_a_short_file_whole_whatever_the_range(layout: Layout, make_ctx, call):
    # Small models ask for lines 1-10 and never see a docstring's examples further down.
    (layout.ws / "short.py").write_text("".join(f"x{i} = {i}\n" for i in range(1, 41)))
    result = await call(make_ctx(), "read_file", path="short.py", start_line=1, end_line=10)
    assert result.content.startswith("short.py (lines 1-40 of 40")
    assert "x40 = 40" in result.content and "more lines" not in result.content
    assert result.data.path == "short.py" and result.data.whole
    (layout.ws / "long.txt").write_text("".join(f"line {i}\n" for i in range(1, 3001)))
    part = await call(make_ctx(), "read_file", path="long.txt", start_line=1, end_line=10)
    assert not part.data.whole
    # A range that starts further down is a deliberate choice: it is honoured.
    middle = await call(make_ctx(), "read_file", path="short.py", start_line=20, end_line=22)
    assert middle.content.startswith("short.py (lines 20-22 of 40") and not middle.data.whole


async def test_read_file_line_endings_and_empty(layout: Layout, make_ctx, call):
    (layout.ws / "crlf.txt").write_bytes(b"one\r\ntwo\rthree")
    (layout.ws / "empty.txt").write_bytes(b"")
    ctx = make_ctx()
    crlf = await call(ctx, "read_file", path="crlf.txt")
    assert crlf.content.splitlines()[1:] == ["     1\tone", "     2\ttwo", "     3\tthree"]
    empty = await call(ctx, "read_file", path="empty.txt")
    assert not empty.is_error and "empty file" in empty.content


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("latin1.txt", "café".encode("latin-1"), "not UTF-8 text"),
    ],
)
async def test_read_file_refuses_binary_and_undecodable(layout, make_ctx, call, name, data, expected):
    (layout.ws / name).write_bytes(data)
    result = await call(make_ctx(), "read_file", path=name)
    assert result.is_error and expected in result.content


async def test_read_file_errors_are_clear(layout: Layout, make_ctx, call, monkeypatch):
    ctx = make_ctx()
    missing = await call(ctx, "read_file", path="src/nope.py")
    assert missing.is_error and "No such file" in missing.content and "src/nope.py" in missing.content
    directory = await call(ctx, "read_file", path="src")
    assert directory.is_error and "is a directory" in directory.content
    from cairn.server.agent.tools import textfiles

    monkeypatch.setattr(textfiles, "MAX_TEXT_BYTES", 10)
    big = await call(ctx, "read_file", path="src/pkg/util.py")
    assert big.is_error and "byte limit" in big.content


# ---- list_files -----------------------------------------------------------------------------


async def test_list_files_honours_gitignore(layout: Layout, make_ctx, call):
    _tree(layout)
    listed = (await call(make_ctx(), "list_files")).content.splitlines()
    assert "src/app.py" in listed and "keep.log" in listed and "src/pkg/" in listed
    for hidden in ("build/", "build/out.js", "debug.log", "src/generated.py", ".git/", ".git/HEAD"):
        assert hidden not in listed
    everything = (await call(make_ctx(), "list_files", include_ignored=True)).content.splitlines()
    assert "build/out.js" in everything and "debug.log" in everything
    assert ".git/HEAD" not in everything, ".git is always skipped"
    assert "src/.svn/entries" not in everything


async def test_list_files_pattern_depth_and_bounds(layout: Layout, make_ctx, call):
    _tree(layout)
    os.symlink(layout.outside, layout.ws / "linked")
    ctx = make_ctx()
    python = (await call(ctx, "list_files", pattern="*.py")).content.splitlines()
    assert python == ["src/app.py", "src/main.py", "src/pkg/util.py"]
    top = (await call(ctx, "list_files", recursive=False)).content.splitlines()
    assert "src/" in top and "src/app.py" not in top
    assert "linked@ (symlink, not followed)" in top
    capped = (await call(ctx, "list_files", max_entries=2)).content.splitlines()
    assert len(capped) == 3 and capped[-1].startswith("[... ") and "more entries" in capped[-1]
    none = await call(ctx, "list_files", pattern="*.rs")
    assert none.content == "No entries under . matching '*.rs'."


# ---- search ---------------------------------------------------------------------------------


async def test_search_honours_gitignore_and_skips_binaries(layout: Layout, make_ctx, call):
    _tree(layout)
    result = await call(make_ctx(), "search", query="needle")
    lines = result.content.splitlines()
    assert lines[:-1] == ["keep.log:1: needle kept", "src/app.py:2: needle = 'found'"]
    assert lines[-1].startswith("2 matches for 'needle' in the workspace")
    everything = await call(make_ctx(), "search", query="needle", include_ignored=True)
    assert "build/out.js:1: needle in build" in everything.content
    assert ".git/HEAD" not in everything.content and "image.bin" not in everything.content
    assert "skipped 1 binary" in everything.content


async def test_search_options(layout: Layout, make_ctx, call):
    _tree(layout)
    ctx = make_ctx()
    insensitive = await call(ctx, "search", query="needle", ignore_case=True, glob="*.py")
    assert "src/app.py:3: NEEDLE_UPPER = 2" in insensitive.content
    assert "keep.log" not in insensitive.content
    regex = await call(ctx, "search", query=r"^[A-Z_]+ = \d", regex=True)
    assert regex.content.splitlines()[0] == "src/app.py:3: NEEDLE_UPPER = 2"
    literal = await call(ctx, "search", query="x = 1", path="src/app.py")
    assert literal.content.splitlines()[0] == "src/app.py:1: x = 1"
    bad = await call(ctx, "search", query="(unclosed", regex=True)
    assert bad.is_error and "Invalid regular expression" in bad.content
    scoped = await call(ctx, "search", query="needle", path="src")
    assert "keep.log" not in scoped.content and "src/app.py:2" in scoped.content


async def test_search_is_bounded(layout: Layout, make_ctx, call):
    (layout.ws / "many.txt").write_text("hit\n" * 500)
    result = await call(make_ctx(), "search", query="hit", max_results=5)
    assert len(result.content.splitlines()) == 6
    assert "more matches exist" in result.content


async def test_search_sees_unsaved_buffers(layout: Layout, make_ctx, call):
    buffers = DictBuffers(
        {
            "src/main.py": ("print('needle from buffer')\n", 3),
            "src/unsaved_new.py": ("needle in a new buffer\n", 1),
        }
    )
    result = await call(make_ctx(buffers=buffers), "search", query="needle")
    assert "src/main.py:1: print('needle from buffer')" in result.content
    assert "src/unsaved_new.py:1: needle in a new buffer" in result.content


async def test_search_does_not_follow_symlinks(layout: Layout, make_ctx, call):
    os.symlink(layout.outside, layout.ws / "linked")
    os.symlink(layout.secret, layout.ws / "secret-link.txt")
    result = await call(make_ctx(), "search", query=CANARY[:10], include_ignored=True)
    assert result.content.startswith("0 matches")


def test_search_engine_stops_when_asked(layout: Layout):
    from cairn.server.agent.tools.confine import ConfinedWorkspace

    stop = threading.Event()
    stop.set()
    with ConfinedWorkspace(layout.ws) as ws:
        report = engine.search_workspace(
            ws,
            ".",
            engine.compile_matcher("e", regex=False, ignore_case=False),
            engine.glob_filter(None),
            buffers={},
            max_results=10,
            respect_ignore=True,
            stop=stop,
        )
    assert report.files_scanned == 0 and report.hits == []


async def test_cancelling_threaded_work_sets_its_stop_flag():
    started, finished = threading.Event(), threading.Event()

    def work(stop: threading.Event) -> str:
        started.set()
        stopped = stop.wait(10)
        finished.set()
        return "stopped" if stopped else "ran out"

    task = asyncio.create_task(run_cancellable(work))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(finished.wait, 5), "the worker saw the stop flag"


async def test_read_file_stops_at_whole_lines_within_the_models_room(layout: Layout, make_ctx, call):
    """A small model's window: the file is paged at a line, never cut mid-line by the registry."""
    (layout.ws / "long.py").write_text("".join(f"value_{i:04d} = {i}\n" for i in range(1, 1001)))
    ctx = make_ctx(output_chars=2000)
    result = await call(ctx, "read_file", path="long.py")
    assert len(result.content) <= 2000
    assert "characters truncated" not in result.content
    body = [line for line in result.content.splitlines()[1:] if "\t" in line]
    last = int(body[-1].split("\t")[0])
    assert body[0].endswith("value_0001 = 1") and body[-1].endswith(f"value_{last:04d} = {last}")
    assert f"(lines 1-{last} of 1000, from disk)" in result.content.splitlines()[0]
    assert result.content.endswith(f"[{1000 - last} more lines; read them with start_line={last + 1}]")
