"""Carrier manifest parsers.

Every carrier drops one or more CSV manifests per night. The formats differ
per carrier; config/carriers.ini says which parser reads which carrier and
what the column conventions are. Each parser turns a file into a list of
ManifestRow in our internal shape (UTC timestamps, kg, internal event codes).

Parsers do not judge whether a row makes sense - that is validate.py's job.
They only raise if a file cannot be read at all.
"""

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

LB_TO_KG = 0.45359237

# carrier event code -> internal event code
EVENT_CODES = {
    "MRDH": {
        "PU": "PICKED_UP",
        "AR": "ARRIVED_TERMINAL",
        "DP": "DEPARTED_TERMINAL",
        "OD": "OUT_FOR_DELIVERY",
        "DL": "DELIVERED",
        "EX": "EXCEPTION",
    },
    "NRTX": {
        "PICKUP": "PICKED_UP",
        "IN_TRANSIT": "DEPARTED_TERMINAL",
        "AT_HUB": "ARRIVED_TERMINAL",
        "OFD": "OUT_FOR_DELIVERY",
        "DELIVERED": "DELIVERED",
        "DELAY": "EXCEPTION",
    },
    "PKLX": {
        "ABH": "PICKED_UP",
        "EIN": "ARRIVED_TERMINAL",
        "AUS": "DEPARTED_TERMINAL",
        "ZUS": "OUT_FOR_DELIVERY",
        "ZUG": "DELIVERED",
        "STO": "EXCEPTION",
    },
}


@dataclass
class ManifestRow:
    line_no: int
    carrier: str
    carrier_ref: str
    raw_code: str
    event_code: str | None
    scanned_at: datetime | None
    location: str
    postal_code: str
    weight_kg: float | None = None
    pieces: int | None = None
    declared_value_usd: float | None = None
    consignee: str = ""
    raw: dict = field(default_factory=dict, repr=False)


def _tz(offset):
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _parse_ts(value, fmt, tz):
    value = value.strip()
    if not value:
        return None
    return datetime.strptime(value, fmt).replace(tzinfo=tz).astimezone(timezone.utc)


def _int_or_none(value):
    value = (value or "").strip()
    return int(value) if value else None


def _code(carrier, raw):
    return EVENT_CODES.get(carrier, {}).get(raw.strip().upper())


def parse_meridian_v2(reader, cfg):
    """Meridian Haul: shipment_ref,pro_number,event_code,event_time,city,state,
    postal_code,weight_kg,pieces,declared_value_usd,consignee"""
    tz = _tz(cfg["utc_offset"])
    for line_no, rec in enumerate(reader, start=2):
        weight = rec["weight_kg"].strip()
        value = rec["declared_value_usd"].strip()
        yield ManifestRow(
            line_no=line_no,
            carrier="MRDH",
            carrier_ref=rec["shipment_ref"].strip(),
            raw_code=rec["event_code"].strip(),
            event_code=_code("MRDH", rec["event_code"]),
            scanned_at=_parse_ts(rec["event_time"], cfg["date_format"], tz),
            location=f'{rec["city"].strip()}, {rec["state"].strip()}',
            postal_code=rec["postal_code"].strip(),
            weight_kg=float(weight) if weight else None,
            pieces=_int_or_none(rec["pieces"]),
            declared_value_usd=float(value) if value else None,
            consignee=rec["consignee"].strip(),
            raw=rec,
        )


def parse_northline_v1(reader, cfg):
    """Northline Express: tracking_no,status,scan_ts,location_code,dest_zip,weight_lb,pieces"""
    tz = _tz(cfg["utc_offset"])
    for line_no, rec in enumerate(reader, start=2):
        weight_lb = rec["weight_lb"].strip()
        yield ManifestRow(
            line_no=line_no,
            carrier="NRTX",
            carrier_ref=rec["tracking_no"].strip(),
            raw_code=rec["status"].strip(),
            event_code=_code("NRTX", rec["status"]),
            scanned_at=_parse_ts(rec["scan_ts"], cfg["date_format"], tz),
            location=rec["location_code"].strip(),
            postal_code=rec["dest_zip"].strip(),
            weight_kg=round(float(weight_lb) * LB_TO_KG, 2) if weight_lb else None,
            pieces=_int_or_none(rec["pieces"]),
            raw=rec,
        )


def parse_pakelux_v3(reader, cfg):
    """Pakelux: sendungsnr;status;zeit;ort;plz;gewicht_kg;colli (decimal comma)"""
    tz = _tz(cfg["utc_offset"])
    for line_no, rec in enumerate(reader, start=2):
        weight = rec["gewicht_kg"].strip().replace(",", ".")
        yield ManifestRow(
            line_no=line_no,
            carrier="PKLX",
            carrier_ref=rec["sendungsnr"].strip(),
            raw_code=rec["status"].strip(),
            event_code=_code("PKLX", rec["status"]),
            scanned_at=_parse_ts(rec["zeit"], cfg["date_format"], tz),
            location=rec["ort"].strip(),
            postal_code=rec["plz"].strip(),
            weight_kg=float(weight) if weight else None,
            pieces=_int_or_none(rec["colli"]),
            raw=rec,
        )


PARSERS = {
    "meridian_v2": parse_meridian_v2,
    "northline_v1": parse_northline_v1,
    "pakelux_v3": parse_pakelux_v3,
}


def parse_file(path, cfg):
    """Parse one manifest file with the parser configured for its carrier."""
    path = Path(path)
    parser = PARSERS[cfg["parser"]]
    with open(path, encoding=cfg.get("encoding", "utf-8"), newline="") as fh:
        reader = csv.DictReader(fh, delimiter=cfg.get("delimiter", ","))
        return list(parser(reader, cfg))


def carrier_of(path):
    """MRDH_20240311_0412.csv -> 'MRDH'"""
    return Path(path).name.split("_", 1)[0].upper()
