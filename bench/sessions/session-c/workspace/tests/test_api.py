import os
import unittest
from unittest import mock

from hearthd import api, devices, storage


def registry():
    return devices.Registry([
        devices._parse({"id": "th-living-1", "kind": "temp", "zone": "living",
                        "model": "SNZB-02D", "ieee": "0x00158d0000000001"}),
        devices._parse({"id": "light-hallway-1", "kind": "light", "zone": "hallway",
                        "model": "LED1836G9", "ieee": "0x00158d0000000002"}),
    ])


class RouteTests(unittest.TestCase):
    def setUp(self):
        self.store = storage.Store(":memory:", retention_days=7)
        self.state = api.ApiState("test-house", registry(), self.store,
                                  zone_view=lambda: [{"zone": "living", "temp": 19.5}])

    def tearDown(self):
        self.store.close()

    def test_status(self):
        code, body = api.route(self.state, "/status")
        self.assertEqual(code, 200)
        self.assertEqual(body["house"], "test-house")
        self.assertIn("version", body)

    def test_zones(self):
        code, body = api.route(self.state, "/zones")
        self.assertEqual(body["zones"][0]["zone"], "living")

    def test_devices_never_seen(self):
        code, body = api.route(self.state, "/devices")
        self.assertEqual(code, 200)
        self.assertEqual({d["last_seen"] for d in body["devices"]}, {None})

    def test_history_requires_device(self):
        code, _ = api.route(self.state, "/history?hours=2")
        self.assertEqual(code, 400)

    def test_history_bad_hours(self):
        code, body = api.route(self.state, "/history?device=th-living-1&hours=lots")
        self.assertEqual(code, 400)
        self.assertIn("hours", body["error"])

    def test_unknown_path(self):
        self.assertEqual(api.route(self.state, "/admin")[0], 404)


class KeyTests(unittest.TestCase):
    def test_key_not_required(self):
        self.assertTrue(api.check_key({}, require_key=False))

    def test_key_required_and_missing_env(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertFalse(api.check_key({api.KEY_HEADER: ""}, require_key=True))

    def test_key_matches(self):
        with mock.patch.dict(os.environ, {api.KEY_ENV: "s3cret"}):
            self.assertTrue(api.check_key({api.KEY_HEADER: "s3cret"}, True))
            self.assertFalse(api.check_key({api.KEY_HEADER: "nope"}, True))


if __name__ == "__main__":
    unittest.main()
