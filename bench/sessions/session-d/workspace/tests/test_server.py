import json
import unittest

from inkledger import pricing, server


class RouteTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stocks = pricing.load_price_list()

    def test_health(self):
        self.assertEqual(server.route("GET", "/api/v2/counter/health"), (200, {"ok": True}))

    def test_quote(self):
        body = json.dumps({"stock": "A4-SILK-130", "sheets": 100, "colours": "4/0"}).encode()
        status, payload = server.route("POST", "/api/v2/counter/quote", body, stocks=self.stocks)
        self.assertEqual(status, 200)
        self.assertTrue(payload["display"].startswith("£"))

    def test_bad_stock_is_400(self):
        body = json.dumps({"stock": "NOPE", "sheets": 10}).encode()
        status, payload = server.route("POST", "/api/v2/counter/quote", body, stocks=self.stocks)
        self.assertEqual(status, 400)
        self.assertIn("unknown stock", payload["error"])

    def test_unknown_route(self):
        self.assertEqual(server.route("GET", "/nope")[0], 404)


if __name__ == "__main__":
    unittest.main()
