"""What a stored line says, for telling copies of one statement apart from different ones.

Copies of a statement differ in where they say they came from ("— from read_file a.py:12"),
in Markdown markup and in spacing: recall, project memory and the previous-sessions digest
show one of them.
"""

from __future__ import annotations

import re

# A stored line's own note of where it was read: "… — from read_file a.py:12".
_WHERE_FROM = re.compile(r"\s+—\s+from\s.*$", re.DOTALL)
_MARKUP = re.compile(r"[`*_]+")


def gist(text: str) -> str:
    """``text`` without its where-from note, markup, case or spacing."""
    return " ".join(_MARKUP.sub("", _WHERE_FROM.sub("", text)).lower().removeprefix("- ").split())
