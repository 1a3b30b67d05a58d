"""Progress reporting for training runs: a tqdm bar on stderr, or nothing (tests, libraries)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tqdm import tqdm


class Progress(Protocol):
    def start(self, total: int, done: int, last_row: dict[str, Any]) -> None: ...
    def update(self, step: int, row: dict[str, Any], budget: Any) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    """Reports nothing."""

    def start(self, total: int, done: int, last_row: dict[str, Any]) -> None:
        pass

    def update(self, step: int, row: dict[str, Any], budget: Any) -> None:
        pass

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar over steps, showing validation score, decisions and budget used (stderr)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.bar: tqdm | None = None
        self.accepted = 0

    def start(self, total: int, done: int, last_row: dict[str, Any]) -> None:
        from tqdm import tqdm  # imported here: only the CLI needs it

        self.bar = tqdm(
            total=total, initial=done, desc="training", unit="step", file=self.stream, dynamic_ncols=True
        )
        self.bar.set_postfix_str(f"val {last_row.get('validation')}")

    def update(self, step: int, row: dict[str, Any], budget: Any) -> None:
        if self.bar is None:
            return
        self.accepted += row.get("decision") == "accepted"
        self.bar.set_postfix_str(
            f"val {row.get('validation')} accepted {self.accepted} calls {budget.calls}"
            + (f"/{budget.max_calls}" if budget.max_calls else "")
        )
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
