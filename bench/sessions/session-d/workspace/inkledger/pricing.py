"""Job quoting: paper + clicks + finishing + setup, with a minimum charge.

The price list (config/prices.csv) holds our *cost* per sheet; the selling
price is cost x STOCK_MARKUP.  Click rates are per printed side per sheet.
"""
import csv
import difflib
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .invoice import InvoiceLine
from .money import D, quantize, ZERO

PRICE_LIST = Path(__file__).resolve().parent.parent / "config" / "prices.csv"

STOCK_MARKUP = Decimal("1.45")
SETUP_FEE_LITHO = Decimal("42.65")
SETUP_FEE_DIGITAL = Decimal("9.90")
MIN_JOB_CHARGE = Decimal("18.75")

# Overs we print to cover make-ready and spoilage, by process.
SPOILAGE_PCT = {"litho": Decimal("0.06"), "digital": Decimal("0.02")}

# Per sheet, by colour spec (front/back).
CLICK_RATES = {
    "1/0": Decimal("0.0140"),
    "1/1": Decimal("0.0260"),
    "4/0": Decimal("0.0610"),
    "4/1": Decimal("0.0730"),
    "4/4": Decimal("0.1180"),
}

# code: (description, per sheet, setup)
FINISHING = {
    "LAM-GLOSS": ("Gloss lamination", Decimal("0.1640"), Decimal("12.00")),
    "LAM-SOFT": ("Soft-touch lamination", Decimal("0.2150"), Decimal("15.00")),
    "CREASE": ("Creasing", Decimal("0.0210"), Decimal("6.50")),
    "FOLD-1": ("Single fold", Decimal("0.0180"), Decimal("6.50")),
    "STAPLE-2": ("Saddle stitch, 2 staples", Decimal("0.0450"), Decimal("8.00")),
    "DIECUT": ("Die cutting (own forme)", Decimal("0.0920"), Decimal("35.00")),
    "ROUND-4": ("Round corners x4", Decimal("0.0150"), Decimal("4.00")),
}


class UnknownStock(KeyError):
    def __str__(self):
        return self.args[0]


@dataclass
class Stock:
    code: str
    description: str
    size: str
    gsm: int
    cost_per_sheet: Decimal
    process: str
    supplier_ref: str


def load_price_list(path=PRICE_LIST):
    stocks = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            stocks[row["code"]] = Stock(
                code=row["code"],
                description=row["description"],
                size=row["size"],
                gsm=int(row["gsm"]),
                cost_per_sheet=D(row["cost_per_sheet"]),
                process=row["process"],
                supplier_ref=row["supplier_ref"],
            )
    return stocks


def find_stock(code, stocks):
    try:
        return stocks[code]
    except KeyError:
        close = difflib.get_close_matches(code, list(stocks), n=3, cutoff=0.6)
        hint = " (closest: %s)" % ", ".join(close) if close else ""
        raise UnknownStock("unknown stock %r%s" % (code, hint)) from None


@dataclass
class Quote:
    stock: Stock
    sheets: int
    colours: str
    lines: list = field(default_factory=list)
    minimum_applied: bool = False

    @property
    def net(self):
        total = quantize(sum((l.net for l in self.lines), Decimal("0")))
        return max(total, MIN_JOB_CHARGE) if self.minimum_applied else total


def quote_job(stock_code, sheets, colours="4/0", finishing=(), stocks=None):
    """Price a job of ``sheets`` finished sheets on ``stock_code``."""
    stocks = stocks if stocks is not None else load_price_list()
    stock = find_stock(stock_code, stocks)
    if colours not in CLICK_RATES:
        raise ValueError("unknown colour spec %r (use one of %s)" % (colours, ", ".join(CLICK_RATES)))
    if sheets <= 0:
        raise ValueError("sheets must be positive")

    overs = math.ceil(sheets * SPOILAGE_PCT[stock.process])
    run = sheets + overs
    lines = [
        InvoiceLine("%s x%d (incl. %d overs)" % (stock.description, run, overs),
                    run, stock.cost_per_sheet * STOCK_MARKUP, nominal="print"),
        InvoiceLine("Printing %s x%d" % (colours, run), run, CLICK_RATES[colours], nominal="print"),
    ]
    for code in finishing:
        if code not in FINISHING:
            raise ValueError("unknown finishing %r" % (code,))
        desc, per_sheet, setup = FINISHING[code]
        lines.append(InvoiceLine("%s x%d" % (desc, sheets), sheets, per_sheet, nominal="finishing"))
        lines.append(InvoiceLine("%s setup" % desc, 1, setup, nominal="setup"))

    setup_fee = SETUP_FEE_LITHO if stock.process == "litho" else SETUP_FEE_DIGITAL
    lines.append(InvoiceLine("Make-ready (%s)" % stock.process, 1, setup_fee, nominal="setup"))

    quote = Quote(stock=stock, sheets=sheets, colours=colours, lines=lines)
    if quote.net < MIN_JOB_CHARGE:
        quote.minimum_applied = True
    return quote


def explain(quote):
    """Human-readable breakdown, one line per invoice line."""
    out = []
    for line in quote.lines:
        out.append("  %-52s %6s x %-10s = %10s" % (
            line.description[:52], line.quantity, line.unit_price.normalize(), quantize(line.net)))
    if quote.minimum_applied:
        out.append("  minimum job charge applied (%s)" % MIN_JOB_CHARGE)
    return "\n".join(out)
