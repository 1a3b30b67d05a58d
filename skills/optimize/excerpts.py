"""Short excerpts of long texts for the optimizer's prompts: clipped values, first and last lines.

Prompts quote task inputs, outputs and failure texts; a few kilobytes of traceback or a whole
HumanEval prompt would crowd out the instruction, above all for a small optimizer model. Every
proposer trims through these helpers, so a prompt's examples are cut the same way everywhere.
"""

from __future__ import annotations

MAX_FIELD_CHARS = 600
ELLIPSIS = " [...]"


def clip(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """``value`` as text, cut to ``limit`` characters (and marked as cut)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def _says_something(line: str) -> bool:
    stripped = line.strip()
    # A traceback's ^^^/~~~ markers point at columns of the line above: nothing without it.
    return bool(stripped.strip("^~ ")) and not stripped.startswith("```")


def meaningful_lines(text: str) -> list[str]:
    """The lines that say something: not blank, not a code fence, not a traceback's ^^^ marker."""
    return [line.rstrip() for line in text.splitlines() if _says_something(line)]


def first_lines(text: str, count: int, width: int = 160) -> str:
    """The first ``count`` meaningful lines, each clipped to ``width`` characters."""
    return "\n".join(clip(line, width) for line in meaningful_lines(text)[:count])


def last_lines(text: str, count: int, width: int = 160) -> str:
    """The last ``count`` meaningful lines (a traceback's tail: where and why it failed)."""
    return "\n".join(clip(line, width) for line in meaningful_lines(text)[-count:])
