"""Examples a docstring gives in prose instead of ``>>>`` lines, made runnable.

Half of the docstrings the embedded model was asked to complete on HumanEval (issue 13) say
their examples informally: ``f(x) == y``, ``f(x) => y``, ``f(x) -> y``, ``f(x) ➞ y``,
``f(x) = y``, "For example: f(x) should return y". People write them so too. Cairn's check
(edit_check.py) runs them as it runs ``>>>`` examples, but only the unambiguous ones: one line
that starts (after a bullet, "for", "e.g." or "Example:") with a call of the definition's own
name, one of those separators, and a Python literal as the expected value. Anything else
(``Input: ... Output: ...`` blocks, a value that is not a literal, a typo'd one) is left out,
never guessed at.

The expected value is a literal written by a person, so it is compared by value, not by its
text: ``[1,2]`` matches a result shown as ``[1, 2]`` (the runner's value comparison).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_LEAD = re.compile(r"^(?:[*\-•]\s*|for example[:,]?\s*|examples?\s*\d*[:.]?\s*|e\.g\.[:,]?\s*|for\s+)+", re.I)
_SEPARATOR = re.compile(r"==>|==|=>|->|➞|→|(?<![=<>!])=(?!=)|\bshould (?:return|be)\b|\breturns?\b")


@dataclass(frozen=True)
class InformalExample:
    """``call`` (Python source calling the definition) should equal the literal ``expected``."""

    call: str
    expected: str


def _calls(source: str, name: str) -> bool:
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError):
        return False
    body = tree.body
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == name


def _literal(source: str) -> str | None:
    """``repr`` of the literal ``source`` is (a trailing full stop forgiven), or None."""
    for text in (source, source.rstrip(".;,")):
        try:
            return repr(ast.literal_eval(text.strip()))
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            continue
    return None


def _example(line: str, name: str) -> InformalExample | None:
    text = _LEAD.sub("", line.strip())
    if not text.startswith(f"{name}("):
        return None
    for separator in _SEPARATOR.finditer(text):
        call = text[: separator.start()].strip()
        if not _calls(call, name):
            continue
        expected = _literal(text[separator.end() :])
        return InformalExample(call, expected) if expected is not None else None
    return None


def informal_examples(name: str, docstring: str) -> list[InformalExample]:
    """The unambiguous informal examples of ``name`` in ``docstring`` (none when it has
    ``>>>`` examples: those are the spec)."""
    if ">>>" in docstring or not name.isidentifier():
        return []
    found = (_example(line, name) for line in docstring.splitlines())
    return [example for example in found if example is not None]


def as_doctest(examples: list[InformalExample]) -> str:
    """The examples as a doctest text the runner can parse."""
    return "".join(f">>> {e.call}\n{e.expected}\n" for e in examples)
