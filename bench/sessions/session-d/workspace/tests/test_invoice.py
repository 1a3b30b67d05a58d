import unittest
from datetime import date
from decimal import Decimal

from inkledger.invoice import Invoice, InvoiceLine, in_quarter, invoice_from_dict, next_number


def _inv(**kw):
    lines = kw.pop("lines", [InvoiceLine("Business cards x500", "500", "0.0712")])
    return Invoice(kw.pop("number", "HH-INV-2024-0100"), kw.pop("customer_id", "CUST-00402"),
                   kw.pop("issued", date(2024, 5, 1)), lines, **kw)


class TotalsTests(unittest.TestCase):
    def test_single_line(self):
        inv = _inv()
        self.assertEqual(inv.net_total(), Decimal("35.60"))
        self.assertEqual(inv.vat_total(), Decimal("7.12"))
        self.assertEqual(inv.gross_total(), Decimal("42.72"))

    def test_zero_rated_line_has_no_vat(self):
        inv = _inv(lines=[InvoiceLine("Leaflets x2000", "2000", "0.0391", tax_code="T0-PRINTED")])
        self.assertEqual(inv.vat_total(), Decimal("0.00"))
        self.assertEqual(inv.gross_total(), Decimal("78.20"))

    def test_balance_after_part_payment(self):
        inv = _inv(amount_paid=Decimal("20.00"))
        self.assertEqual(inv.balance(), Decimal("22.72"))


class DueDateTests(unittest.TestCase):
    def test_due_and_overdue(self):
        inv = _inv(terms_days=30)
        self.assertEqual(inv.due, date(2024, 5, 31))
        self.assertEqual(inv.days_overdue(date(2024, 6, 10)), 10)
        self.assertEqual(inv.days_overdue(date(2024, 5, 20)), 0)

    def test_paid_is_never_overdue(self):
        inv = _inv(paid_on=date(2024, 6, 1))
        self.assertEqual(inv.days_overdue(date(2024, 7, 1)), 0)


class NumberingTests(unittest.TestCase):
    def test_next_number(self):
        existing = ["HH-INV-2024-0411", "HH-INV-2024-0412", "HH-INV-2023-0999"]
        self.assertEqual(next_number(existing, 2024), "HH-INV-2024-0413")
        self.assertEqual(next_number(existing, 2025), "HH-INV-2025-0001")

    def test_quarter(self):
        self.assertTrue(in_quarter(_inv(issued=date(2024, 6, 30)), "2024Q2"))
        self.assertFalse(in_quarter(_inv(issued=date(2024, 7, 1)), "2024Q2"))


class FromDictTests(unittest.TestCase):
    def test_parse(self):
        inv = invoice_from_dict({
            "number": "HH-INV-2024-0200", "customer_id": "CUST-00405", "issued": "2024-04-02",
            "terms_days": 14, "paid_on": "2024-04-20",
            "lines": [{"description": "Posters A2 x25", "quantity": "25", "unit_price": "1.84"}],
        })
        self.assertEqual(inv.due, date(2024, 4, 16))
        self.assertEqual(inv.net_total(), Decimal("46.00"))
        self.assertTrue(inv.is_paid())


if __name__ == "__main__":
    unittest.main()
