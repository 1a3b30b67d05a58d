"""Invoices and invoice lines."""
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from . import tax
from .money import D, quantize, ZERO

INVOICE_PREFIX = "HH-INV-"
NUMBER_RE = re.compile(r"^HH-INV-(\d{4})-(\d{4})$")
DEFAULT_TERMS_DAYS = 30
NOMINAL_KINDS = ("print", "finishing", "setup", "delivery")


@dataclass
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_code: str = "T1"
    nominal: str = "print"

    def __post_init__(self):
        self.quantity = D(self.quantity)
        self.unit_price = D(self.unit_price)
        if self.nominal not in NOMINAL_KINDS:
            raise ValueError("unknown nominal kind %r" % (self.nominal,))

    @property
    def net(self):
        return self.quantity * self.unit_price

    @property
    def vat(self):
        return tax.vat_for(self.net, self.tax_code)


@dataclass
class Invoice:
    number: str
    customer_id: str
    issued: date
    lines: list = field(default_factory=list)
    terms_days: int = DEFAULT_TERMS_DAYS
    paid_on: date = None
    amount_paid: Decimal = ZERO

    @property
    def due(self):
        return self.issued + timedelta(days=self.terms_days)

    def net_total(self):
        return quantize(sum((line.net for line in self.lines), Decimal("0")))

    def vat_total(self):
        return quantize(sum((line.vat for line in self.lines), Decimal("0")))

    def gross_total(self):
        return self.net_total() + self.vat_total()

    def balance(self):
        return self.gross_total() - quantize(self.amount_paid)

    def is_paid(self, as_of=None):
        if self.paid_on is None:
            return False
        return as_of is None or self.paid_on <= as_of

    def days_overdue(self, as_of):
        if self.is_paid(as_of):
            return 0
        return max(0, (as_of - self.due).days)


def _parse_date(text):
    return None if not text else date.fromisoformat(text)


def invoice_from_dict(data):
    lines = [
        InvoiceLine(
            description=l["description"],
            quantity=l["quantity"],
            unit_price=l["unit_price"],
            tax_code=l.get("tax_code", "T1"),
            nominal=l.get("nominal", "print"),
        )
        for l in data["lines"]
    ]
    return Invoice(
        number=data["number"],
        customer_id=data["customer_id"],
        issued=_parse_date(data["issued"]),
        lines=lines,
        terms_days=int(data.get("terms_days", DEFAULT_TERMS_DAYS)),
        paid_on=_parse_date(data.get("paid_on")),
        amount_paid=D(data.get("amount_paid", "0")),
    )


def load_invoices(path):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return [invoice_from_dict(d) for d in data["invoices"]]


def next_number(existing, year):
    """Next free invoice number for ``year`` given the numbers already issued."""
    highest = 0
    for number in existing:
        m = NUMBER_RE.match(number)
        if m and int(m.group(1)) == year:
            highest = max(highest, int(m.group(2)))
    return "%s%04d-%04d" % (INVOICE_PREFIX, year, highest + 1)


def in_quarter(invoice, quarter):
    """quarter like '2024Q2'."""
    year, q = int(quarter[:4]), int(quarter[5])
    first_month = 3 * (q - 1) + 1
    return invoice.issued.year == year and first_month <= invoice.issued.month < first_month + 3
