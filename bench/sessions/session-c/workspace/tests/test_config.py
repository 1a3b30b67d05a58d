import os
import tempfile
import unittest
from unittest import mock

from hearthd import config

DEV_INI = os.path.join(os.path.dirname(os.path.dirname(__file__)), "config", "hearthd.ini")


class LoadTests(unittest.TestCase):
    def test_dev_config_loads(self):
        cfg = config.load(DEV_INI)
        self.assertEqual(cfg.house, "maple-row-12")
        self.assertEqual(cfg.timezone, "Europe/Dublin")
        self.assertGreater(cfg.api_port, 1024)

    def test_heating_setpoints(self):
        cfg = config.load(DEV_INI)
        self.assertLess(cfg.heating.setback_c, cfg.heating.comfort_c)
        self.assertEqual(cfg.heating.setpoint("comfort"), cfg.heating.comfort_c)
        self.assertEqual(cfg.heating.setpoint(22), 22.0)

    def test_unknown_setpoint_name(self):
        cfg = config.load(DEV_INI)
        with self.assertRaises(config.ConfigError):
            cfg.heating.setpoint("toasty")

    def test_env_override(self):
        with mock.patch.dict(os.environ, {"HEARTHD_API_PORT": "9123"}):
            cfg = config.load(DEV_INI)
        self.assertEqual(cfg.api_port, 9123)

    def test_env_override_bad_int(self):
        with mock.patch.dict(os.environ, {"HEARTHD_CORE_TICK_S": "soon"}):
            with self.assertRaises(config.ConfigError):
                config.load(DEV_INI)

    def test_missing_file(self):
        with self.assertRaises(config.ConfigError):
            config.load("/nonexistent/hearthd.ini")

    def test_file_paths_resolve(self):
        cfg = config.load(DEV_INI)
        self.assertTrue(os.path.exists(cfg.file_path("devices")))
        self.assertTrue(os.path.exists(cfg.file_path("rules")))
        with self.assertRaises(config.ConfigError):
            cfg.file_path("floorplan")

    def test_bad_bool(self):
        with open(DEV_INI, encoding="utf-8") as fh:
            text = fh.read().replace("tls = no", "tls = maybe")
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as tmp:
            tmp.write(text)
        try:
            with self.assertRaises(config.ConfigError):
                config.load(tmp.name)
        finally:
            os.unlink(tmp.name)

    def test_setback_above_comfort_rejected(self):
        with open(DEV_INI, encoding="utf-8") as fh:
            text = fh.read().replace("setback_c = 16.5", "setback_c = 23.0")
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as tmp:
            tmp.write(text)
        try:
            with self.assertRaises(config.ConfigError):
                config.load(tmp.name)
        finally:
            os.unlink(tmp.name)


if __name__ == "__main__":
    unittest.main()
