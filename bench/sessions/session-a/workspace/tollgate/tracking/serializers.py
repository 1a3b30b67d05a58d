"""JSON shapes returned by the tracking API (documented in docs/api.md)."""

from decimal import Decimal

from .store import public_id

# internal event code -> customer-facing wording
EVENT_LABELS = {
    "PICKED_UP": "Picked up",
    "ARRIVED_TERMINAL": "Arrived at terminal",
    "DEPARTED_TERMINAL": "Departed terminal",
    "OUT_FOR_DELIVERY": "Out for delivery",
    "DELIVERED": "Delivered",
    "EXCEPTION": "Delivery exception",
}


def _ts(value):
    """Stored timestamps are ISO-8601 UTC strings."""
    if value is None:
        return None
    return value[:19]


def _num(value):
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def event_to_dict(event):
    return {
        "code": event["code"],
        "label": EVENT_LABELS.get(event["code"], event["code"].replace("_", " ").title()),
        "scanned_at": _ts(event["scanned_at"]),
        "location": event["location"],
    }


def shipment_to_dict(shipment, last=None):
    return {
        "id": public_id(shipment["id"]),
        "carrier": shipment["carrier"],
        "carrier_ref": shipment["carrier_ref"],
        "status": shipment["status"],
        "destination_postal_code": shipment["dest_postal"],
        "weight_kg": _num(shipment["weight_kg"]),
        "pieces": shipment["pieces"],
        "updated_at": _ts(shipment["updated_at"]),
        "last_event": event_to_dict(last) if last else None,
    }
