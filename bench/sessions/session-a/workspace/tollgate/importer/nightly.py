"""Nightly carrier manifest import.

Run by the `tollgate-importer` CronJob (deploy/k8s/base/importer-cronjob.yaml)
after fetch.py has pulled the night's files into the inbound volume:

  1. take the import lock (one import at a time per database)
  2. list manifests in <inbound>/<date>/
  3. parse + validate each file, then upsert shipments and append events
  4. print a per-file summary; exit 1 if any file failed

Local usage: see README.md ("Running the import locally").
"""

import argparse
import fcntl
import hashlib
import json
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from .. import config, db
from . import parsers, validate

LOCK_PATH = "/var/run/tollgate/import.lock"
LOCAL_LOCK_PATH = config.ROOT / "var" / "import.lock"

STATUS_RANK = {
    "CREATED": 0,
    "PICKED_UP": 1,
    "ARRIVED_TERMINAL": 2,
    "DEPARTED_TERMINAL": 2,
    "OUT_FOR_DELIVERY": 3,
    "EXCEPTION": 3,
    "DELIVERED": 4,
}


class ImportLock:
    """Exclusive flock; falls back to var/import.lock when /var/run/tollgate
    does not exist (local development)."""

    def __init__(self, path=None):
        if path is None:
            path = LOCK_PATH if os.path.isdir(os.path.dirname(LOCK_PATH)) else LOCAL_LOCK_PATH
        self.path = Path(path)
        self._fh = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another import holds {self.path}; giving up")
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


def batch_id(day, files):
    """Stable id for a night's set of files (same files -> same id)."""
    h = hashlib.sha1()
    for f in sorted(files, key=lambda p: p.name):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return f"imp-{day:%Y%m%d}-{h.hexdigest()[:6]}"


def dedupe_key(row):
    ts = row.scanned_at.isoformat() if row.scanned_at else ""
    return hashlib.sha1(f"{row.carrier}|{row.carrier_ref}|{row.event_code}|{ts}".encode()).hexdigest()


def upsert_shipment(conn, row, now):
    """Insert the shipment or move its status forward. Returns (id, created)."""
    cur = conn.execute(
        "SELECT id, status FROM shipments WHERE carrier = ? AND carrier_ref = ?",
        (row.carrier, row.carrier_ref),
    )
    found = cur.fetchone()
    if found is None:
        cur = conn.execute(
            "INSERT INTO shipments (carrier, carrier_ref, status, dest_postal, weight_kg, pieces,"
            " declared_value_usd, consignee, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.carrier, row.carrier_ref, row.event_code, row.postal_code, row.weight_kg,
             row.pieces, row.declared_value_usd, row.consignee, now, now),
        )
        return cur.lastrowid, True
    shipment_id, status = found[0], found[1]
    if STATUS_RANK.get(row.event_code, 0) >= STATUS_RANK.get(status, 0):
        conn.execute(
            "UPDATE shipments SET status = ?, updated_at = ?,"
            " weight_kg = COALESCE(?, weight_kg), pieces = COALESCE(?, pieces)"
            " WHERE id = ?",
            (row.event_code, now, row.weight_kg, row.pieces, shipment_id),
        )
    return shipment_id, False


def insert_event(conn, shipment_id, row, source_file):
    cur = conn.execute(
        "INSERT INTO shipment_events (shipment_id, code, scanned_at, location, source_file, raw, dedupe_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
        (shipment_id, row.event_code, row.scanned_at.isoformat(), row.location, source_file,
         json.dumps(row.raw, sort_keys=True), dedupe_key(row)),
    )
    return cur.rowcount == 1


def import_file(conn, path, cfg, day, dry_run=False, now=None):
    now = now or datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = parsers.parse_file(path, cfg)
    validate.validate_rows(path.name, rows, day)
    stats = {"rows": len(rows), "shipments_new": 0, "shipments_seen": 0, "events_new": 0}
    seen = set()
    for row in rows:
        shipment_id, created = upsert_shipment(conn, row, now)
        stats["shipments_new"] += created
        seen.add(shipment_id)
        stats["events_new"] += insert_event(conn, shipment_id, row, path.name)
    stats["shipments_seen"] = len(seen)
    if dry_run:
        conn.rollback()
    else:
        conn.commit()
    return stats


def run(day, inbound_dir, db_url=None, dry_run=False, only_carrier=None):
    settings = config.load()
    carriers = config.load_carriers()
    day_dir = Path(inbound_dir) / day.isoformat()
    files = sorted(day_dir.glob("*.csv"))
    if only_carrier:
        files = [f for f in files if parsers.carrier_of(f) == only_carrier.upper()]
    if not files:
        print(f"no manifests in {day_dir}")
        return 0
    print(f"batch {batch_id(day, files)}: {len(files)} manifest(s) in {day_dir.relative_to(config.ROOT) if day_dir.is_relative_to(config.ROOT) else day_dir}")
    if dry_run:
        print("dry run: nothing will be committed")
    fail_fast = settings.getbool("importer", "fail_on_first_error", True)
    conn = db.ensure_local_schema(db.connect(db_url)) if (db_url or settings.get("database", "url")).startswith("sqlite") else db.connect(db_url)
    failed = 0
    totals = {"rows": 0, "shipments_new": 0, "events_new": 0}
    with ImportLock():
        for path in files:
            code = parsers.carrier_of(path)
            cfg = carriers.get(code)
            if cfg is None:
                print(f"  {path.name}: SKIPPED (unknown or inactive carrier {code})")
                continue
            try:
                stats = import_file(conn, path, cfg, day, dry_run=dry_run)
            except validate.ManifestValidationError as exc:
                conn.rollback()
                failed += 1
                print(f"  {path.name}: FAILED {exc}")
                if fail_fast:
                    break
                continue
            for key in totals:
                totals[key] += stats[key]
            print(f"  {path.name}: rows={stats['rows']} shipments={stats['shipments_seen']}"
                  f" (+{stats['shipments_new']} new) events=+{stats['events_new']}")
    print(f"done: files_failed={failed} rows={totals['rows']} shipments_new={totals['shipments_new']}"
          f" events_new={totals['events_new']}")
    return 1 if failed else 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tollgate.importer.nightly", description=__doc__.splitlines()[0])
    ap.add_argument("--date", required=True, type=date.fromisoformat, help="batch date, YYYY-MM-DD")
    ap.add_argument("--inbound", help="inbound directory (default: importer.inbound_dir)")
    ap.add_argument("--db", help="database url (default: database.url)")
    ap.add_argument("--carrier", help="only import this carrier code")
    ap.add_argument("--dry-run", action="store_true", help="parse, validate and roll back")
    args = ap.parse_args(argv)
    settings = config.load()
    inbound = Path(args.inbound) if args.inbound else settings.path("importer", "inbound_dir")
    if not inbound.is_absolute():
        inbound = Path.cwd() / inbound
    return run(args.date, inbound, db_url=args.db, dry_run=args.dry_run, only_carrier=args.carrier)


if __name__ == "__main__":
    sys.exit(main())
