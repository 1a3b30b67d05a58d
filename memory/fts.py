"""Safe FTS5 query strings built from free text (users type anything, FTS5 syntax does not).

The indexes use FTS5's ``porter`` tokenizer, so every quoted word here is stemmed by SQLite
itself ("research" matches "Researching"). Words that carry no topic ("what", "did", "the")
are left out of OR queries: at full weight they made any chatty message outrank the one that
holds the answer.
"""

from __future__ import annotations

import re
from typing import Literal

MAX_TERMS = 32
NEAR_DISTANCE = 2  # "port 5433" also matches "port to 5433" for the adjacency boost
_TERM = re.compile(r"\w+", re.UNICODE)

Mode = Literal["phrase", "all", "any"]

# English function words and question frames (NLTK's list, contractions split as \w+ splits them).
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can cannot could couldn d did didn do does doesn doing don
    down during each few for from further had hadn has hasn have haven having he her here hers
    herself him himself his how i if in into is isn it its itself just ll m me more most mustn
    my myself needn no nor not now o of off on once only or other ought our ours ourselves out
    over own re s same shan she should shouldn so some such t than that the their theirs them
    themselves then there these they this those through to too under until up ve very was wasn
    we were weren what when where which while who whom why will with won would wouldn y you
    your yours yourself yourselves
    """.split()
)


def terms(text: str) -> list[str]:
    """The searchable words of ``text`` (lower case, de-duplicated, in order)."""
    seen: dict[str, None] = {}
    for word in _TERM.findall(text.lower()):
        seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def topic_terms(text: str) -> list[str]:
    """``terms`` without stopwords; all of them when the text is nothing but stopwords."""
    words = terms(text)
    return [w for w in words if w not in STOPWORDS] or words


def quoted(word: str) -> str:
    """``word`` as an FTS5 string: searched for as a word, never read as syntax."""
    return f'"{word}"'  # \w+ never contains a double quote


def match_query(text: str, mode: Mode = "any") -> str | None:
    """An FTS5 MATCH expression for ``text``, or None when it has no searchable words.

    ``phrase``: the words adjacent and in order (exact wording); ``all``: every topic word;
    ``any``: at least one topic word (BM25 ranks documents with more and rarer words first).
    Every word is double-quoted, so FTS5 operators in the input (AND, NEAR, ``*``, ``:``)
    are searched for as words instead of being interpreted.
    """
    if mode == "phrase":
        words = _TERM.findall(text.lower())[:MAX_TERMS]
        return '"' + " ".join(words) + '"' if words else None
    words = topic_terms(text)
    if not words:
        return None
    return (" OR " if mode == "any" else " AND ").join(quoted(w) for w in words)


def adjacency_parts(text: str, column: str) -> list[tuple[str, list[str]]]:
    """MATCH expressions, limited to ``column``, for words of ``text`` found together, each
    with the topic words it joins: any two consecutive topic words within ``NEAR_DISTANCE``
    tokens of each other, and the whole wording as a phrase; none when there is only one
    topic word."""
    words = topic_terms(text)
    if len(words) < 2:
        return []
    parts = [
        (f"{column} : NEAR({quoted(a)} {quoted(b)}, {NEAR_DISTANCE})", [a, b])
        for a, b in zip(words, words[1:])
    ]
    phrase = _TERM.findall(text.lower())[:MAX_TERMS]
    if len(phrase) > 1:
        parts.append((f'{column} : "' + " ".join(phrase) + '"', words))
    return parts
