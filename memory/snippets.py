"""Exact-text windows around search matches: whole lines, never a marker inside a value.

FTS5's ``snippet()`` cut values in the middle and wrapped matches in ``[`` ``]``, so a pin
such as ``requests[socks]==2.31.0`` came back altered. Here the matches are located with
``highlight()`` and private-use marker characters, the markers are removed, and the window is
taken from the original text at line (or, inside a very long line, whitespace) boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: never produced by the tokenizer
SHORT_CHARS = 700  # a message up to this long is shown whole
WINDOW_CHARS = 900  # budget for the lines shown from a longer message
CONTEXT_LINES = 2  # lines shown around each matching line
_SUFFIXES = ("ings", "ers", "ing", "ies", "ed", "er", "es", "s")
GAP = "…"  # alone on a line between two windows (or at a cut inside a long line)


@dataclass(frozen=True)
class Window:
    """The text shown for one hit and whether it is the whole message."""

    text: str
    whole: bool


def spans(highlighted: str, original: str) -> list[tuple[int, int]] | None:
    """Match spans (start, end) in ``original`` from ``highlight()`` output, or None if the
    markers cannot be trusted (the text itself contained a marker character)."""
    found: list[tuple[int, int]] = []
    plain: list[str] = []
    position = 0
    start: int | None = None
    for char in highlighted:
        if char == OPEN:
            start = position
        elif char == CLOSE and start is not None:
            found.append((start, position))
            start = None
        else:
            plain.append(char)
            position += 1
    return found if "".join(plain) == original else None


def _line_ranges(text: str) -> list[tuple[int, int]]:
    ranges, start = [], 0
    for line in text.splitlines(keepends=True):
        ranges.append((start, start + len(line.rstrip("\r\n"))))
        start += len(line)
    return ranges or [(0, 0)]


def _cut_long_line(text: str, start: int, end: int, budget: int) -> str:
    """Part of one long line around [start, end), cut at whitespace, the match kept whole."""
    half = max((budget - (end - start)) // 2, 40)
    left, right = max(0, start - half), min(len(text), end + half)
    if left > 0:
        space = text.rfind(" ", left, start)
        left = space + 1 if space >= 0 else text.rfind(" ", 0, start) + 1
    if right < len(text):
        space = text.find(" ", end, right)
        if space < 0:
            space = text.find(" ", end)
        right = space if space >= 0 else len(text)
    return (GAP if left > 0 else "") + text[left:right] + (GAP if right < len(text) else "")


def _word(matched: str) -> str:
    """A matched word as the index's stemmer would see it, near enough: "imports", "import" and
    "importer" are one query word matched three ways, not three words."""
    word = matched.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _by_coverage(per_line: dict[int, set[str]]) -> list[int]:
    """Line indexes in the order to show them: each next line adds the most matched words not
    covered yet (ties: more words, then earlier), so a word matched on one line only is shown
    even when another word matches on many."""
    left = dict(per_line)
    covered: set[str] = set()
    order: list[int] = []
    while left:  # at most one round per distinct matched word (a query has few)
        best = min(left, key=lambda i: (-len(left[i] - covered), -len(left[i]), i))
        if not left[best] - covered:
            break
        order.append(best)
        covered |= left.pop(best)
    return order + sorted(left, key=lambda i: (-len(left[i]), i))


def window(text: str, matches: list[tuple[int, int]] | None, *, budget: int = WINDOW_CHARS) -> Window:
    """What to show of ``text`` for matches at ``matches`` (character spans).

    Short text is shown whole. Otherwise matching lines are shown with ``CONTEXT_LINES`` lines
    around them, in text order, up to ``budget`` characters: first a line for each matched word
    (the line adding the most words not shown yet), then the lines with the most matched words;
    a single line longer than the budget is cut at whitespace around its match.
    """
    if len(text) <= SHORT_CHARS:
        return Window(text, True)
    lines = _line_ranges(text)
    matches = matches or [(0, 0)]
    per_line: dict[int, set[str]] = {}
    first_match: dict[int, tuple[int, int]] = {}
    for start, end in matches:
        index = next((i for i, (a, b) in enumerate(lines) if a <= start <= b), len(lines) - 1)
        per_line.setdefault(index, set()).add(_word(text[start:end]))
        first_match.setdefault(index, (start, end))
    ranked = _by_coverage(per_line)
    chosen: set[int] = set()
    used = 0
    for index in ranked:
        a, b = lines[index]
        if b - a > budget:
            if not chosen:
                start, end = first_match[index]
                return Window(_cut_long_line(text[a:b], start - a, end - a, budget), False)
            continue
        extra, cost = [], 0
        for reach in range(CONTEXT_LINES, -1, -1):  # fewer lines around when they do not fit
            around = range(max(0, index - reach), min(len(lines), index + reach + 1))
            extra = [i for i in around if i not in chosen]
            cost = sum(lines[i][1] - lines[i][0] + 1 for i in extra)
            if used + cost <= budget:
                break
        if used + cost > budget:
            continue
        chosen.update(extra)
        used += cost
        if used >= budget:
            break
    parts: list[str] = []
    previous = -1
    for index in sorted(chosen):
        if previous >= 0 and index != previous + 1:
            parts.append(GAP)
        a, b = lines[index]
        parts.append(text[a:b])
        previous = index
    shown = "\n".join(parts)
    if not parts:
        start, end = matches[0]
        return Window(_cut_long_line(text, start, end, budget), False)
    if min(chosen) > 0:
        shown = GAP + "\n" + shown
    if max(chosen) < len(lines) - 1:
        shown += "\n" + GAP
    return Window(shown, False)
