import unittest
from decimal import Decimal

from inkledger.money import D, MoneyError, allocate, format_gbp, from_pence, parse_gbp, quantize, to_pence


class CoerceTests(unittest.TestCase):
    def test_strings_and_ints(self):
        self.assertEqual(D("12.30"), Decimal("12.30"))
        self.assertEqual(D(7), Decimal("7"))
        self.assertEqual(D(" 1,204.5 "), Decimal("1204.5"))

    def test_float_rejected(self):
        with self.assertRaises(MoneyError):
            D(0.1)

    def test_bool_rejected(self):
        with self.assertRaises(MoneyError):
            D(True)

    def test_garbage_rejected(self):
        with self.assertRaises(MoneyError):
            D("twelve quid")


class RoundingTests(unittest.TestCase):
    def test_quantize_plain(self):
        self.assertEqual(quantize("19.994"), Decimal("19.99"))
        self.assertEqual(quantize("19.996"), Decimal("20.00"))

    def test_pence_roundtrip(self):
        self.assertEqual(to_pence("48.27"), 4827)
        self.assertEqual(from_pence(4827), Decimal("48.27"))


class FormatTests(unittest.TestCase):
    def test_format(self):
        self.assertEqual(format_gbp("1234.5"), "£1,234.50")
        self.assertEqual(format_gbp("0"), "£0.00")

    def test_parse(self):
        self.assertEqual(parse_gbp("£1,234.50"), Decimal("1234.50"))
        with self.assertRaises(MoneyError):
            parse_gbp("  ")


class AllocateTests(unittest.TestCase):
    def test_parts_sum_to_total(self):
        parts = allocate("100.00", [1, 1, 1])
        self.assertEqual(sum(parts), Decimal("100.00"))
        self.assertEqual(parts, [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")])

    def test_weighted(self):
        parts = allocate("10.00", ["3", "1"])
        self.assertEqual(parts, [Decimal("7.50"), Decimal("2.50")])

    def test_zero_weights(self):
        with self.assertRaises(MoneyError):
            allocate("1.00", [0, 0])


if __name__ == "__main__":
    unittest.main()
