"""Rates calculator.

quote() prices one LTL shipment:

    billable weight = max(actual kg, dimensional kg)
    linehaul        = zone/service base charge + per-kg rate * billable weight
    fuel            = FUEL_SURCHARGE_PCT of linehaul
    + overweight fee, + requested accessorials
    total           = max(sum, minimum charge)

Rates are per zone and service level (economy / standard / express), taken
from tariff TRF-2023-11 (see zones.py for which revision of the zone chart).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .. import config
from . import surcharges, zones

DIM_DIVISOR_CM = 5000          # cm^3 per kg of dimensional weight
SERVICES = ("economy", "standard", "express")
CENT = Decimal("0.01")

# zone -> service -> (base charge USD, USD per billable kg)
RATE_TABLE = {
    2: {"economy": ("41.00", "0.31"), "standard": ("48.00", "0.36"), "express": ("71.00", "0.52")},
    3: {"economy": ("46.00", "0.37"), "standard": ("54.00", "0.43"), "express": ("79.00", "0.61")},
    4: {"economy": ("52.00", "0.44"), "standard": ("61.00", "0.51"), "express": ("88.00", "0.72")},
    5: {"economy": ("58.00", "0.52"), "standard": ("68.00", "0.60"), "express": ("98.00", "0.85")},
    6: {"economy": ("64.00", "0.61"), "standard": ("75.00", "0.70"), "express": ("109.00", "0.99")},
    7: {"economy": ("71.00", "0.70"), "standard": ("83.00", "0.81"), "express": ("121.00", "1.14")},
    8: {"economy": ("79.00", "0.80"), "standard": ("92.00", "0.93"), "express": ("134.00", "1.31")},
    9: {"economy": ("118.00", "1.42"), "standard": ("139.00", "1.64"), "express": ("205.00", "2.37")},
    10: {"economy": ("126.00", "1.55"), "standard": ("148.00", "1.79"), "express": ("219.00", "2.58")},
}


def _money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Quote:
    origin_zip: str
    dest_zip: str
    zone: int
    service: str
    actual_kg: Decimal
    dim_kg: float | None
    billable_kg: Decimal
    lines: list = field(default_factory=list)   # [(label, Decimal)]

    @property
    def subtotal(self):
        return sum((amount for _, amount in self.lines), Decimal(0))

    @property
    def total(self):
        minimum = _money(config.load().get("rates", "min_charge", "0"))
        return max(self.subtotal, minimum)


def dim_weight_kg(length_cm, width_cm, height_cm):
    return round(length_cm * width_cm * height_cm / DIM_DIVISOR_CM, 2)


def quote(origin_zip, dest_zip, weight_kg, dims_cm=None, service="standard", accessorials=()):
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    actual = Decimal(str(weight_kg))
    if actual <= 0:
        raise ValueError("weight must be positive")
    dim = dim_weight_kg(*dims_cm) if dims_cm else None
    billable = max(actual, Decimal(str(dim))) if dim is not None else actual
    zone = zones.zone_for(origin_zip, dest_zip)
    base, per_kg = (Decimal(v) for v in RATE_TABLE[zone][service])

    linehaul = _money(base + per_kg * billable)
    q = Quote(origin_zip, dest_zip, zone, service, actual, dim, billable)
    q.lines.append((f"Linehaul zone {zone} {service}", linehaul))
    q.lines.append((f"Fuel surcharge {surcharges.FUEL_SURCHARGE_PCT}%", _money(surcharges.fuel(linehaul))))
    over = surcharges.overweight(billable)
    if over:
        q.lines.append(("Overweight", _money(over)))
    for label, amount in surcharges.accessorial_lines(accessorials):
        q.lines.append((label, _money(amount)))
    return q
