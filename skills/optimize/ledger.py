"""The ledger of rejected edits, fed back to the optimizer so it stops proposing them."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.skills.optimize.edits import Edit, edit_from_dict

PROMPT_ENTRIES = 30
# Where a rejection happened, as its reason's prefix (the trainer writes them, the funnel reads).
LINT_PREFIX = "lint: "
GATE_PREFIX = "gate: "


@dataclass(frozen=True)
class Rejection:
    step: int
    edit: Edit
    reason: str

    def to_dict(self) -> dict:
        return {"step": self.step, "edit": self.edit.to_dict(), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict) -> Rejection:
        return cls(int(data["step"]), edit_from_dict(data["edit"]), str(data["reason"]))


class Ledger:
    """Rejected edits in order; lookups by the edit's normalized key."""

    def __init__(self, entries: list[Rejection] | None = None) -> None:
        self.entries: list[Rejection] = []
        self._keys: set[str] = set()
        for entry in entries or []:
            self.add(entry)

    def add(self, entry: Rejection) -> None:
        self.entries.append(entry)
        self._keys.add(entry.edit.key())

    def __contains__(self, edit: Edit) -> bool:
        return edit.key() in self._keys

    def __len__(self) -> int:
        return len(self.entries)

    def recent(self, limit: int) -> list[Rejection]:
        """The last ``limit`` rejections, oldest first."""
        return self.entries[-limit:] if limit > 0 else []

    def prompt_text(self, limit: int = PROMPT_ENTRIES) -> str:
        """The most recent rejections, one per line, for the optimizer's prompt."""
        if not self.entries:
            return "(none yet)"
        return "\n".join(f"- {e.edit.describe()} -- rejected: {e.reason}" for e in self.recent(limit))
