"""The trainer's state at a step boundary, and its round trip through the event log.

Everything a resumed run needs is here; randomness is derived from (seed, step), never carried,
so restoring this state and replaying the cache reproduces the uninterrupted run byte for byte.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cairn.skills.optimize.budget import Budget
from cairn.skills.optimize.ledger import Ledger, Rejection


@dataclass
class TrainState:
    step: int = 0
    current: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    budget: Budget = field(default_factory=Budget)
    test_start: float | None = None
    test_end: float | None = None
    status: str = "running"

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("ledger", "budget")}
        data["ledger"] = [entry.to_dict() for entry in self.ledger.entries]
        data["budget"] = asdict(self.budget)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainState:
        values = dict(data)
        values["ledger"] = Ledger([Rejection.from_dict(e) for e in data.get("ledger", [])])
        values["budget"] = Budget(**data.get("budget", {}))
        return cls(**values)
