import unittest
from decimal import Decimal

from inkledger import pricing


class PriceListTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stocks = pricing.load_price_list()

    def test_loads_all_rows(self):
        self.assertGreater(len(self.stocks), 50)
        self.assertIn("SRA3-SILK-350", self.stocks)

    def test_process_values(self):
        self.assertEqual({s.process for s in self.stocks.values()}, {"litho", "digital"})

    def test_unknown_stock_suggests(self):
        with self.assertRaises(pricing.UnknownStock) as cm:
            pricing.find_stock("SRA3-SILK-360", self.stocks)
        self.assertIn("SRA3-SILK-350", str(cm.exception))


class QuoteTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stocks = pricing.load_price_list()

    def test_digital_job(self):
        q = pricing.quote_job("A4-SILK-130", 100, "4/0", stocks=self.stocks)
        self.assertEqual(q.stock.process, "digital")
        self.assertEqual(len(q.lines), 3)
        self.assertEqual(q.lines[-1].unit_price, pricing.SETUP_FEE_DIGITAL)

    def test_litho_job_has_overs(self):
        q = pricing.quote_job("SRA2-SILK-170", 1000, "4/4", stocks=self.stocks)
        self.assertEqual(q.lines[0].quantity, Decimal("1060"))

    def test_finishing_adds_two_lines(self):
        q = pricing.quote_job("A4-SILK-130", 100, "4/0", ("CREASE",), stocks=self.stocks)
        self.assertEqual(len(q.lines), 5)
        self.assertEqual(q.lines[3].nominal, "setup")

    def test_minimum_charge(self):
        q = pricing.quote_job("A4-UNCOATED-90", 1, "1/0", stocks=self.stocks)
        self.assertTrue(q.minimum_applied)
        self.assertEqual(q.net, pricing.MIN_JOB_CHARGE)

    def test_bad_colours(self):
        with self.assertRaises(ValueError):
            pricing.quote_job("A4-SILK-130", 100, "5/0", stocks=self.stocks)

    def test_bad_finishing(self):
        with self.assertRaises(ValueError):
            pricing.quote_job("A4-SILK-130", 100, "4/0", ("GOLD-FOIL",), stocks=self.stocks)


if __name__ == "__main__":
    unittest.main()
