"""VAT codes and per-line VAT.

Rates live in config/tax_rates.json so the accountant can check them without
reading Python.  Codes are ours; export.py maps them onto Sage tax codes.
"""
import json
from decimal import Decimal
from pathlib import Path

from .money import D, quantize, ZERO

TAX_RATES_FILE = Path(__file__).resolve().parent.parent / "config" / "tax_rates.json"

_cache = {}


class UnknownTaxCode(KeyError):
    pass


def load_rates(path=TAX_RATES_FILE):
    key = str(path)
    if key not in _cache:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        rates = {}
        for code, spec in data["codes"].items():
            rate = spec.get("rate")
            rates[code] = None if rate is None else D(rate)
        _cache[key] = rates
    return _cache[key]


def rate_for(code, rates=None):
    rates = rates if rates is not None else load_rates()
    try:
        return rates[code]
    except KeyError:
        raise UnknownTaxCode("unknown tax code %r (known: %s)" % (code, ", ".join(sorted(rates)))) from None


def vat_for(net, code, rates=None):
    """VAT on one line's net amount, rounded to the penny."""
    rate = rate_for(code, rates)
    if rate is None:  # outside the scope of VAT
        return ZERO
    return quantize(D(net) * rate)


def summarize(lines, rates=None):
    """Group (net, vat) by tax code for the VAT return.  Returns {code: (net, vat)}."""
    out = {}
    for line in lines:
        net, vat = out.get(line.tax_code, (Decimal("0"), Decimal("0")))
        out[line.tax_code] = (net + quantize(line.net), vat + line.vat)
    return {code: (quantize(n), quantize(v)) for code, (n, v) in sorted(out.items())}
