"""Safe FTS5 query strings built from free text (users type anything, FTS5 syntax does not)."""

from __future__ import annotations

import re
from typing import Literal

MAX_TERMS = 32
_TERM = re.compile(r"\w+", re.UNICODE)

Mode = Literal["phrase", "all", "any"]


def terms(text: str) -> list[str]:
    """The searchable words of ``text`` as the unicode61 tokenizer sees them, de-duplicated."""
    seen: dict[str, None] = {}
    for word in _TERM.findall(text.lower()):
        seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def match_query(text: str, mode: Mode = "any") -> str | None:
    """An FTS5 MATCH expression for ``text``, or None when it has no searchable words.

    ``phrase``: the words adjacent and in order (exact wording); ``all``: every word;
    ``any``: at least one word (BM25 ranks documents with more and rarer words first).
    Every word is double-quoted, so FTS5 operators in the input (AND, NEAR, ``*``, ``:``)
    are searched for as words instead of being interpreted.
    """
    words = _TERM.findall(text.lower())[:MAX_TERMS] if mode == "phrase" else terms(text)
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]  # \w+ never contains a double quote
    if mode == "phrase":
        return '"' + " ".join(words) + '"'
    return (" OR " if mode == "any" else " AND ").join(quoted)
