"""Read-side queries for the tracking API."""

import re

EVENTS_HARD_LIMIT = 5000     # safety net; a normal shipment has < 40 scans

PUBLIC_ID = re.compile(r"^TG-(\d{6,})$")

SHIPMENT_SQL = """
    SELECT id, carrier, carrier_ref, status, dest_postal, weight_kg, pieces, updated_at
    FROM shipments
    WHERE {where}
"""

EVENTS_SQL = """
    SELECT id, code, scanned_at, location
    FROM shipment_events
    WHERE shipment_id = ?
    ORDER BY scanned_at, id
    LIMIT ?
"""

LAST_EVENT_SQL = """
    SELECT code, scanned_at, location
    FROM shipment_events
    WHERE shipment_id = ?
    ORDER BY scanned_at DESC, id DESC
    LIMIT 1
"""


def public_id(shipment_id):
    return f"TG-{shipment_id:06d}"


def find_shipment(conn, ref):
    """Look a shipment up by our public id (TG-000123) or by carrier reference."""
    m = PUBLIC_ID.match(ref)
    if m:
        row = conn.execute(SHIPMENT_SQL.format(where="id = ?"), (int(m.group(1)),)).fetchone()
    else:
        row = conn.execute(SHIPMENT_SQL.format(where="carrier_ref = ?"), (ref,)).fetchone()
    return dict(row) if row else None


def last_event(conn, shipment_id):
    row = conn.execute(LAST_EVENT_SQL, (shipment_id,)).fetchone()
    return dict(row) if row else None


def list_events(conn, shipment_id, limit=EVENTS_HARD_LIMIT):
    rows = conn.execute(EVENTS_SQL, (shipment_id, min(limit, EVENTS_HARD_LIMIT))).fetchall()
    return [dict(r) for r in rows]
