import io
import json
import unittest

from tollgate import db
from tollgate.tracking.api import make_app


def seed(conn):
    conn.execute("INSERT INTO shipments (id, carrier, carrier_ref, status, dest_postal, weight_kg, pieces,"
                 " created_at, updated_at) VALUES (42, 'MRDH', 'MRD884299', 'OUT_FOR_DELIVERY', '53204',"
                 " 1240.5, 11, '2024-03-10T23:05:00+00:00', '2024-03-10T23:57:00+00:00')")
    for i, (code, ts) in enumerate([("PICKED_UP", "2024-03-10T20:10:00+00:00"),
                                    ("DEPARTED_TERMINAL", "2024-03-10T23:05:00+00:00"),
                                    ("OUT_FOR_DELIVERY", "2024-03-10T23:57:00+00:00")]):
        conn.execute("INSERT INTO shipment_events (shipment_id, code, scanned_at, location, dedupe_key)"
                     " VALUES (42, ?, ?, 'MILWAUKEE, WI', ?)", (code, ts, f"k{i}"))
    conn.commit()


class TrackingApiTests(unittest.TestCase):
    def setUp(self):
        self.conn = db.memory_db()
        seed(self.conn)
        self.app = make_app(lambda: self.conn)

    def get(self, path, query=""):
        captured = {}
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
                   "wsgi.input": io.BytesIO()}
        body = b"".join(self.app(environ, lambda status, headers: captured.update(status=status)))
        return captured["status"], json.loads(body)

    def test_healthz(self):
        status, body = self.get("/healthz")
        self.assertEqual(status, "200 OK")
        self.assertEqual(body["status"], "ok")

    def test_shipment_by_public_id(self):
        status, body = self.get("/v1/shipments/TG-000042")
        self.assertEqual(status, "200 OK")
        self.assertEqual(body["carrier_ref"], "MRD884299")
        self.assertEqual(body["weight_kg"], "1240.50")
        self.assertEqual(body["last_event"]["code"], "OUT_FOR_DELIVERY")

    def test_shipment_by_carrier_ref(self):
        status, body = self.get("/v1/shipments/MRD884299")
        self.assertEqual(body["id"], "TG-000042")

    def test_events_oldest_first(self):
        status, body = self.get("/v1/shipments/TG-000042/events")
        self.assertEqual(body["count"], 3)
        self.assertEqual([e["code"] for e in body["events"]],
                         ["PICKED_UP", "DEPARTED_TERMINAL", "OUT_FOR_DELIVERY"])

    def test_unknown_shipment(self):
        status, body = self.get("/v1/shipments/TG-999999")
        self.assertEqual(status, "404 Not Found")

    def test_unknown_route(self):
        status, _ = self.get("/v2/whatever")
        self.assertEqual(status, "404 Not Found")


if __name__ == "__main__":
    unittest.main()
