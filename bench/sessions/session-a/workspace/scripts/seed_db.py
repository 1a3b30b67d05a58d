#!/usr/bin/env python3
"""Seed a local sqlite database with synthetic shipments and scans.

Deterministic (fixed seed), so numbers are comparable between runs:

    python3 scripts/seed_db.py --db var/bench.sqlite3 --shipments 1500

A few "long haul" shipments get hundreds of scans - those are the ones
customers complain about on the events endpoint.
"""

import argparse
import hashlib
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tollgate import db  # noqa: E402

CODES = ["PICKED_UP", "ARRIVED_TERMINAL", "DEPARTED_TERMINAL", "OUT_FOR_DELIVERY", "DELIVERED"]
CARRIERS = ["MRDH", "NRTX", "PKLX"]
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


class LCG:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return self.state >> 33

    def between(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="var/bench.sqlite3")
    ap.add_argument("--shipments", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=7741)
    args = ap.parse_args(argv)

    path = Path(args.db)
    if path.exists():
        path.unlink()
    conn = db.ensure_local_schema(db.connect(f"sqlite:///{path.resolve()}"))
    rng = LCG(args.seed)
    n_events = 0
    for i in range(args.shipments):
        carrier = CARRIERS[rng.between(0, 2)]
        created = EPOCH + timedelta(minutes=rng.between(0, 60 * 24 * 60))
        cur = conn.execute(
            "INSERT INTO shipments (carrier, carrier_ref, status, dest_postal, weight_kg, pieces,"
            " created_at, updated_at) VALUES (?, ?, 'CREATED', ?, ?, ?, ?, ?)",
            (carrier, f"SEED{i:07d}", f"{rng.between(10000, 99999)}", rng.between(20, 3000),
             rng.between(1, 20), created.isoformat(), created.isoformat()),
        )
        shipment_id = cur.lastrowid
        long_haul = rng.between(1, 100) <= 2
        scans = rng.between(180, 420) if long_haul else rng.between(3, 14)
        t = created
        for k in range(scans):
            t += timedelta(minutes=rng.between(5, 240))
            code = CODES[min(k, 3) if k < scans - 1 else 4] if not long_haul else CODES[1 + k % 2]
            key = hashlib.sha1(f"{shipment_id}|{k}".encode()).hexdigest()
            conn.execute(
                "INSERT INTO shipment_events (shipment_id, code, scanned_at, location, source_file, raw, dedupe_key)"
                " VALUES (?, ?, ?, ?, 'seed', '{}', ?)",
                (shipment_id, code, t.isoformat(), f"HUB-{rng.between(1, 60):02d}", key),
            )
            n_events += 1
        conn.execute("UPDATE shipments SET status = ?, updated_at = ? WHERE id = ?",
                     (code, t.isoformat(), shipment_id))
    conn.commit()
    print(f"seeded shipments={args.shipments} events={n_events} db={args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
