"""Problems found in a SKILL.md, with the 0-based range an editor needs to underline them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class TextRange:
    """A 0-based, end-exclusive span in a text (LSP conventions: line and character)."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int

    @classmethod
    def of_line(cls, lines: list[str], line: int) -> TextRange:
        """The whole of ``line`` (clamped to the text), or an empty range past the end."""
        if not lines:
            return cls(0, 0, 0, 0)
        line = max(0, min(line, len(lines) - 1))
        return cls(line, 0, line, len(lines[line]))


@dataclass(frozen=True)
class Problem:
    """One finding: an ``error`` makes the skill unusable, a ``warning`` does not."""

    severity: Severity
    message: str
    range: TextRange
    key: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self, path: str) -> str:
        """``path:line:col: severity: message`` with 1-based numbers, as compilers print."""
        return (
            f"{path}:{self.range.start_line + 1}:{self.range.start_char + 1}: {self.severity}: {self.message}"
        )


def has_errors(problems: list[Problem]) -> bool:
    """Whether any problem is an error."""
    return any(p.is_error for p in problems)
