import unittest
from decimal import Decimal

from inkledger import tax
from inkledger.invoice import InvoiceLine


class RateTests(unittest.TestCase):
    def test_known_codes(self):
        rates = tax.load_rates()
        self.assertEqual(rates["T1"], Decimal("0.20"))
        self.assertEqual(rates["T2"], Decimal("0.05"))
        self.assertIsNone(rates["T9"])

    def test_unknown_code(self):
        with self.assertRaises(tax.UnknownTaxCode):
            tax.rate_for("T7")


class VatTests(unittest.TestCase):
    def test_standard_rate(self):
        self.assertEqual(tax.vat_for(Decimal("100.00"), "T1"), Decimal("20.00"))

    def test_vat_half_penny_rounds_to_even(self):
        # 3.125 * 0.20 = 0.625 -> 0.62
        self.assertEqual(tax.vat_for(Decimal("3.125"), "T1"), Decimal("0.62"))

    def test_outside_scope_is_zero(self):
        self.assertEqual(tax.vat_for(Decimal("12.00"), "T9"), Decimal("0.00"))

    def test_summary_groups_by_code(self):
        lines = [
            InvoiceLine("Business cards x500", "500", "0.0712"),
            InvoiceLine("Flyers A5 x1000", "1000", "0.0233", tax_code="T0-PRINTED"),
            InvoiceLine("Posters A2 x10", "10", "1.95"),
        ]
        summary = tax.summarize(lines)
        self.assertEqual(summary["T1"], (Decimal("55.10"), Decimal("11.02")))
        self.assertEqual(summary["T0-PRINTED"], (Decimal("23.30"), Decimal("0.00")))


if __name__ == "__main__":
    unittest.main()
