import os
import unittest

from hearthd import devices

DEVICES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "config", "devices.json")


def dev(**kw):
    base = dict(id="x", kind="temp", zone="living", model="SNZB-02D",
                ieee="0x00158d0000000001")
    base.update(kw)
    return devices._parse(base)


class RegistryTests(unittest.TestCase):
    def test_load_dev_registry(self):
        reg = devices.Registry.load(DEVICES)
        self.assertEqual(len(reg), 31)
        self.assertIn("hallway", reg.zones())

    def test_in_zone_filters_disabled(self):
        reg = devices.Registry([dev(id="a"), dev(id="b", ieee="0x00158d0000000002",
                                                  enabled=False)])
        self.assertEqual([d.id for d in reg.in_zone("living")], ["a"])
        self.assertEqual(len(reg.in_zone("living", enabled_only=False)), 2)

    def test_duplicate_id(self):
        with self.assertRaises(devices.DeviceError):
            devices.Registry([dev(), dev(ieee="0x00158d0000000009")])

    def test_duplicate_ieee(self):
        with self.assertRaises(devices.DeviceError):
            devices.Registry([dev(id="a"), dev(id="b")])

    def test_unknown_kind(self):
        with self.assertRaises(devices.DeviceError):
            dev(kind="toaster")

    def test_malformed_ieee(self):
        with self.assertRaises(devices.DeviceError):
            dev(ieee="00:15:8d:00")

    def test_missing_field(self):
        with self.assertRaises(devices.DeviceError):
            devices._parse({"id": "x", "kind": "temp"})

    def test_sensor_and_actuator_flags(self):
        self.assertTrue(dev(kind="motion").is_sensor)
        self.assertTrue(dev(kind="trv").is_actuator)
        self.assertFalse(dev(kind="contact").is_actuator)

    def test_by_ieee(self):
        reg = devices.Registry([dev(id="a")])
        self.assertEqual(reg.by_ieee("0x00158d0000000001").id, "a")
        self.assertIsNone(reg.by_ieee("0x00158d00000000ff"))


if __name__ == "__main__":
    unittest.main()
