"""Surcharges and accessorial fees.

Pricing owns these numbers. The fuel surcharge is revised on the first Monday
of each month (announced in #pricing); the rest change with the tariff.
All amounts are USD.
"""

from decimal import Decimal

FUEL_SURCHARGE_PCT = Decimal("18.75")     # % of linehaul (base + weight charge)
RESIDENTIAL_FEE = Decimal("6.25")
LIFTGATE_FEE = Decimal("85.00")
INSIDE_DELIVERY_FEE = Decimal("112.00")
APPOINTMENT_FEE = Decimal("24.50")

OVERWEIGHT_THRESHOLD_KG = Decimal("1000")  # per shipment, billable weight
OVERWEIGHT_FEE_PER_KG = Decimal("0.18")

ACCESSORIALS = {
    "residential": ("Residential delivery", RESIDENTIAL_FEE),
    "liftgate": ("Liftgate", LIFTGATE_FEE),
    "inside": ("Inside delivery", INSIDE_DELIVERY_FEE),
    "appointment": ("Delivery appointment", APPOINTMENT_FEE),
}


def fuel(linehaul):
    """Fuel surcharge on the linehaul amount (not on accessorials)."""
    return linehaul * FUEL_SURCHARGE_PCT / Decimal(100)


def overweight(billable_kg):
    over = Decimal(billable_kg) - OVERWEIGHT_THRESHOLD_KG
    if over <= 0:
        return Decimal(0)
    return over * OVERWEIGHT_FEE_PER_KG


def accessorial_lines(options):
    """[(label, amount)] for the requested accessorial options."""
    lines = []
    for opt in options:
        if opt not in ACCESSORIALS:
            raise ValueError(f"unknown accessorial {opt!r}; known: {', '.join(sorted(ACCESSORIALS))}")
        lines.append(ACCESSORIALS[opt])
    return lines
