"""Money helpers for inkledger.

Everything that touches money is a Decimal.  Floats are rejected on purpose:
a float sneaking in from a JSON payload once cost us a day of reconciling
(see CHANGELOG 0.6.1).
"""
from decimal import Decimal, InvalidOperation, ROUND_HALF_EVEN, ROUND_HALF_UP

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")

# Rounding mode used whenever an amount is quantized to the penny.
ROUNDING = ROUND_HALF_EVEN


class MoneyError(ValueError):
    """Raised when something that is not a money amount is used as one."""


def D(value):
    """Coerce str / int / Decimal to Decimal.  Floats raise MoneyError."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MoneyError("booleans are not money: %r" % (value,))
    if isinstance(value, float):
        raise MoneyError("float passed where money expected: %r (use a string)" % (value,))
    text = str(value).strip().replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise MoneyError("not a money amount: %r" % (value,)) from None


def quantize(amount):
    """Round an amount to the penny using the shop-wide rounding mode."""
    return D(amount).quantize(PENNY, rounding=ROUNDING)


def to_pence(amount):
    return int(quantize(amount) * 100)


def from_pence(pence):
    return (Decimal(int(pence)) / 100).quantize(PENNY)


def format_gbp(amount):
    """Format for humans: 1234.5 -> '£1,234.50'."""
    return "£{:,.2f}".format(quantize(amount))


def parse_gbp(text):
    """Parse '£1,234.50' or '1234.5' back into a Decimal."""
    cleaned = str(text).strip().replace("£", "").replace(",", "")
    if not cleaned:
        raise MoneyError("empty amount")
    return quantize(cleaned)


def allocate(total, weights):
    """Split ``total`` over ``weights`` so the parts always add up exactly.

    Pennies left over after flooring are handed to the parts with the
    largest remainders (ties go to the earlier part).
    """
    total_p = to_pence(total)
    weights = [D(w) for w in weights]
    wsum = sum(weights)
    if wsum <= 0:
        raise MoneyError("weights must sum to a positive number")
    raw = [total_p * w / wsum for w in weights]
    floors = [int(r) for r in raw]
    left = total_p - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [from_pence(p) for p in floors]
