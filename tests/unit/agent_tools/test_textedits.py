"""text_edits round-trips (property test) in every position encoding; unified diffs."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cairn.server.agent.tools.context import EditProposal
from cairn.server.agent.tools.textedits import TextEditSpan, diff_text, text_edits, unified_diff

ENCODINGS = ("utf-16", "utf-8", "utf-32")


def _unit_length(char: str, encoding: str) -> int:
    if encoding == "utf-16":
        return 2 if ord(char) > 0xFFFF else 1
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    return 1


def _line_starts(text: str) -> list[int]:
    """Offsets where LSP lines start (after \\n, \\r\\n or a lone \\r) — written independently
    of the module under test, character by character."""
    starts, index = [0], 0
    while index < len(text):
        if text[index] == "\r" and text[index + 1 : index + 2] == "\n":
            index += 2
            starts.append(index)
        elif text[index] in "\r\n":
            index += 1
            starts.append(index)
        else:
            index += 1
    return starts


def _offset(text: str, line: int, character: int, encoding: str) -> int:
    starts = _line_starts(text)
    assert 0 <= line < len(starts), f"line {line} out of range"
    index, units = starts[line], 0
    while units < character:
        assert index < len(text) and text[index] not in "\r\n", "character past the line end"
        units += _unit_length(text[index], encoding)
        index += 1
    assert units == character, "position inside a surrogate pair / multi-byte character"
    return index


def apply_edits(text: str, edits: list[TextEditSpan], encoding: str) -> str:
    """Apply LSP edits the way a client does: all positions refer to the original text."""
    spans = [
        (
            _offset(text, e.start_line, e.start_character, encoding),
            _offset(text, e.end_line, e.end_character, encoding),
            e.new_text,
        )
        for e in edits
    ]
    for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
        assert end <= start, "edits must be ordered and must not overlap"
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


PIECES = st.sampled_from(
    ["a", "b", "x = 1", "é", "日本", "😀", "𝔘", " ", "\t", "\n", "\r\n", "\r", "def f():", "€"]
)
TEXTS = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(base=TEXTS, new=TEXTS, encoding=st.sampled_from(ENCODINGS))
@example(base="a\r\nb", new="a\r\nb\r\nc", encoding="utf-16")
@example(base="😀x", new="😀y", encoding="utf-16")
@example(base="no newline", new="no newline\n", encoding="utf-8")
@example(base="", new="fresh\n", encoding="utf-32")
@example(base="a\r", new="a\r\nb", encoding="utf-16")
def test_edits_round_trip(base: str, new: str, encoding: str) -> None:
    edits = text_edits(base, new, encoding)
    assert apply_edits(base, edits, encoding) == new
    if base == new:
        assert edits == []


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.sampled_from(["alpha\n", "beta\r\n", "gamma 😀\n", "δ\n"]), min_size=3, max_size=30),
    index=st.integers(min_value=0),
    replacement=st.sampled_from(["CHANGED\n", "", "x\ny\n"]),
)
def test_small_change_gives_a_small_edit(lines, index, replacement) -> None:
    lines = [f"{number}: {line}" for number, line in enumerate(lines)]  # distinct lines
    index %= len(lines)
    base = "".join(lines)
    new = "".join(lines[:index] + [replacement] + lines[index + 1 :])
    edits = text_edits(base, new)
    assert apply_edits(base, edits, "utf-16") == new
    if base != new:
        assert len(edits) == 1
        assert edits[0].end_line - edits[0].start_line <= 1, "only the changed line is replaced"


def test_positions_count_utf16_code_units() -> None:
    base, new = "😀 smile", "😀 smile!"  # no final newline: the end is mid-line
    assert text_edits(base, new, "utf-16") == [TextEditSpan(0, 0, 0, 8, "😀 smile!")]
    assert text_edits(base, new, "utf-8") == [TextEditSpan(0, 0, 0, 10, "😀 smile!")]
    assert text_edits(base, new, "utf-32") == [TextEditSpan(0, 0, 0, 7, "😀 smile!")]
    with pytest.raises(ValueError):
        text_edits(base, base, "utf-7")


def test_unified_diff_applies_with_git(tmp_path) -> None:
    before = "one\ntwo\nthree"
    after = "one\n2\nthree\nfour\n"
    (tmp_path / "f.txt").write_text(before)
    proposal = EditProposal("f.txt", before, None, after, "test")
    patch = unified_diff(proposal)
    assert patch.startswith("--- a/f.txt\n+++ b/f.txt\n")
    assert "\\ No newline at end of file" in patch
    (tmp_path / "p.diff").write_text(patch)
    subprocess.run(["git", "apply", "p.diff"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "f.txt").read_text() == after


def test_diff_of_a_new_file_and_of_no_change() -> None:
    created = diff_text("new.py", "", "x = 1\n", created=True)
    assert created.startswith("--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n")
    assert diff_text("same.py", "a\n", "a\n") == ""
