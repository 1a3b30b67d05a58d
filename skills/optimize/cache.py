"""Record/replay cache of model responses, keyed by the request.

A rerun of the same training (or a resumed one) gets every response it already paid for from
here, so it costs nothing and reproduces the same decisions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cairn.skills.optimize.journal import JsonlWriter, read_records
from cairn.skills.optimize.ports import Usage


def request_key(kind: str, model: str, payload: Any) -> str:
    """A stable digest of everything that determines a response."""
    canonical = json.dumps(
        {"kind": kind, "model": model, "payload": payload}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """An in-memory map backed by an append-only JSONL file (None: memory only)."""

    def __init__(self, path: Path | None = None) -> None:
        self._entries: dict[str, tuple[str, Usage]] = {}
        self._writer = None
        if path is not None:
            for record in read_records(path):
                usage = Usage.from_any(record.get("usage")) or Usage()
                if isinstance(record.get("key"), str) and isinstance(record.get("output"), str):
                    self._entries[record["key"]] = (record["output"], usage)
            self._writer = JsonlWriter(path, durable=False)

    def get(self, key: str) -> tuple[str, Usage] | None:
        return self._entries.get(key)

    def put(self, key: str, output: str, usage: Usage) -> None:
        if key in self._entries:
            return
        self._entries[key] = (output, usage)
        if self._writer:
            self._writer.append({"key": key, "output": output, "usage": usage.to_dict()})

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        if self._writer:
            self._writer.close()
