"""Turning a whole-file change into LSP text edits and into a unified diff.

`text_edits` finds the changed line ranges (difflib on lines, line endings kept) and emits one
replacement per range, positioned as LSP wants: 0-based lines and characters counted in the
negotiated position encoding (UTF-16 code units by default, or UTF-8 bytes / UTF-32 code
points). Lines end at ``\\n``, ``\\r\\n`` or ``\\r``, exactly as LSP counts them, so CRLF files
and files without a final newline round-trip. Every range starts at a line start; only an end
at the very end of a file with no final newline falls mid-line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from cairn.server.agent.tools.context import EditProposal

PositionEncoding = Literal["utf-16", "utf-8", "utf-32"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class TextEditSpan:
    """Replace the range [start, end) of the original document with ``new_text``."""

    start_line: int
    start_character: int
    end_line: int
    end_character: int
    new_text: str


def split_lines(text: str) -> list[str]:
    """``text`` as lines with their endings kept, split where LSP splits (\\n, \\r\\n, \\r)."""
    return _LINE.findall(text)


def code_units(text: str, encoding: PositionEncoding = "utf-16") -> int:
    """Length of ``text`` in the units of ``encoding``."""
    if encoding == "utf-16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32":
        return len(text)
    raise ValueError(f"unknown position encoding {encoding!r}")


def _position(lines: list[str], index: int, encoding: PositionEncoding) -> tuple[int, int]:
    """LSP position of the start of line ``index`` (or of the end of the text past the end)."""
    if index < len(lines):
        return index, 0
    if not lines:
        return 0, 0
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return len(lines), 0
    return len(lines) - 1, code_units(last, encoding)


def text_edits(base_text: str, new_text: str, encoding: PositionEncoding = "utf-16") -> list[TextEditSpan]:
    """Line-range replacements turning ``base_text`` into ``new_text`` (non-overlapping, in
    document order, positions in ``base_text``); empty when the texts are equal."""
    code_units("", encoding)  # reject an unknown encoding even for equal texts
    old_lines, new_lines = split_lines(base_text), split_lines(new_text)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = _position(old_lines, i1, encoding)
        end = _position(old_lines, i2, encoding)
        edits.append(TextEditSpan(*start, *end, "".join(new_lines[j1:j2])))
    return edits


def diff_text(path: str, before: str, after: str, *, created: bool = False, context: int = 3) -> str:
    """A unified diff of one file (``git apply`` style headers; '' when nothing changed)."""
    lines = difflib.unified_diff(
        split_lines(before),
        split_lines(after),
        fromfile="/dev/null" if created else f"a/{path}",
        tofile=f"b/{path}",
        n=context,
    )
    out = []
    for line in lines:
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def unified_diff(proposal: EditProposal, context: int = 3) -> str:
    """The unified diff a proposal would make to its file."""
    return diff_text(
        proposal.path,
        proposal.base_text,
        proposal.new_text,
        created=proposal.creates_file,
        context=context,
    )
