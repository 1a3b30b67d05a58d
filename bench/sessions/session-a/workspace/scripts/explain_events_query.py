#!/usr/bin/env python3
"""Show the query plan of the events query and time it for the heaviest shipments.

    python3 scripts/explain_events_query.py --db var/bench.sqlite3
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tollgate import db  # noqa: E402
from tollgate.tracking import store  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="var/bench.sqlite3")
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args(argv)
    conn = db.connect(f"sqlite:///{Path(args.db).resolve()}")

    print("EXPLAIN QUERY PLAN (events for one shipment):")
    for row in conn.execute("EXPLAIN QUERY PLAN " + store.EVENTS_SQL, (1, store.EVENTS_HARD_LIMIT)):
        print(f"  {row[3]}")
    heavy = conn.execute(
        "SELECT shipment_id, COUNT(*) AS n FROM shipment_events GROUP BY shipment_id ORDER BY n DESC, shipment_id LIMIT ?",
        (args.top,),
    ).fetchall()
    print(f"\nheaviest {args.top} shipments:")
    for shipment_id, n in heavy:
        start = time.perf_counter()
        for _ in range(20):
            store.list_events(conn, shipment_id)
        ms = (time.perf_counter() - start) / 20 * 1000
        print(f"  {store.public_id(shipment_id)}  scans={n:<4}  {ms:6.2f} ms/query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
