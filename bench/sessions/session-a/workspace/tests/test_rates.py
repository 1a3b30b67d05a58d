import unittest
from decimal import Decimal

from tollgate.rates import calculator, surcharges, zones


class ZoneTests(unittest.TestCase):
    def test_same_region(self):
        self.assertEqual(zones.zone_for("60601", "61602"), 2)

    def test_cross_country(self):
        self.assertEqual(zones.zone_for("60601", "90210"), 5)
        self.assertEqual(zones.zone_for("02110", "98101"), 8)

    def test_special_destinations(self):
        self.assertEqual(zones.zone_for("60601", "99501"), 9)   # Anchorage
        self.assertEqual(zones.zone_for("60601", "96813"), 9)   # Honolulu
        self.assertEqual(zones.zone_for("60601", "00907"), 10)  # San Juan

    def test_bad_zip(self):
        with self.assertRaises(ValueError):
            zones.zone_for("606", "30303")


class QuoteTests(unittest.TestCase):
    def test_simple_quote(self):
        q = calculator.quote("60601", "30303", 25)
        self.assertEqual(q.zone, 4)
        self.assertEqual(q.lines[0], ("Linehaul zone 4 standard", Decimal("73.75")))
        self.assertEqual(q.total, Decimal("87.58"))

    def test_dim_weight_wins(self):
        q = calculator.quote("60601", "30303", 50, dims_cm=(120, 100, 110))
        self.assertEqual(q.billable_kg, Decimal("264.0"))

    def test_dim_weight(self):
        self.assertEqual(calculator.dim_weight_kg(120, 80, 95), 182.4)

    def test_minimum_charge(self):
        q = calculator.quote("60601", "60602", 1, service="economy")
        self.assertEqual(q.total, Decimal("65.00"))

    def test_overweight(self):
        q = calculator.quote("60601", "30303", 1500)
        labels = [label for label, _ in q.lines]
        self.assertIn("Overweight", labels)
        self.assertEqual(dict(q.lines)["Overweight"], Decimal("90.00"))

    def test_accessorials(self):
        q = calculator.quote("60601", "30303", 25, accessorials=["liftgate", "residential"])
        self.assertEqual(dict(q.lines)["Liftgate"], Decimal("85.00"))
        self.assertEqual(q.total, Decimal("178.83"))

    def test_unknown_accessorial(self):
        with self.assertRaises(ValueError):
            calculator.quote("60601", "30303", 25, accessorials=["teleport"])

    def test_unknown_service(self):
        with self.assertRaises(ValueError):
            calculator.quote("60601", "30303", 25, service="overnight")

    def test_fuel_is_on_linehaul_only(self):
        q = calculator.quote("60601", "30303", 25, accessorials=["liftgate"])
        fuel = dict(q.lines)[f"Fuel surcharge {surcharges.FUEL_SURCHARGE_PCT}%"]
        self.assertEqual(fuel, Decimal("13.83"))


if __name__ == "__main__":
    unittest.main()
