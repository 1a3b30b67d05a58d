"""Append-only JSONL files (the event log and the response cache) that survive a kill.

Each record is one line, flushed (and for the event log fsynced) before the caller moves on. A
process killed mid-write leaves at most a torn last line, which readers ignore.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every complete record of ``path`` (missing file: none; a torn last line is skipped)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn write from an interrupted run
        if isinstance(record, dict):
            records.append(record)
    return records


class JsonlWriter:
    """Appends records to one file; ``durable`` adds an fsync per record."""

    def __init__(self, path: Path, *, durable: bool) -> None:
        self.path = Path(path)
        self.durable = durable
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_torn_tail()
        self._file = open(self.path, "ab")

    def _repair_torn_tail(self) -> None:
        # A torn last line without its newline would glue itself to the next record.
        if self.path.exists() and self.path.stat().st_size:
            with open(self.path, "rb+") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        self._file.write(line.encode("utf-8"))
        self._file.flush()
        if self.durable:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
