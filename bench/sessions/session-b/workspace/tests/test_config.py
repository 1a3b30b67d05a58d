import os
import tempfile
import unittest
from unittest import mock

from nightlog.config import ENV_CONFIG, ENV_SITE, ConfigError, load_config


class ConfigTests(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.dict(os.environ, {}, clear=False)
        patcher.start()
        self.addCleanup(patcher.stop)
        os.environ.pop(ENV_CONFIG, None)
        os.environ.pop(ENV_SITE, None)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        cwd = os.getcwd()
        os.chdir(self.tmp.name)  # so a stray ./nightlog.ini is not picked up
        self.addCleanup(os.chdir, cwd)

    def write(self, text):
        path = os.path.join(self.tmp.name, "user.ini")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def test_defaults(self):
        config = load_config()
        self.assertEqual(config.site_code, "kestrel")
        self.assertAlmostEqual(config.extinction["V"], 0.163)
        self.assertEqual(config.max_airmass, 2.5)
        self.assertEqual(config.format, "text")

    def test_env_config(self):
        os.environ[ENV_CONFIG] = self.write("[calibration]\nmax_airmass = 2.0\n")
        self.assertEqual(load_config().max_airmass, 2.0)

    def test_env_site(self):
        os.environ[ENV_SITE] = "lapalma-jkt"
        self.assertEqual(load_config().site.code, "lapalma-jkt")

    def test_unknown_key(self):
        path = self.write("[calibration]\nmax_airmas = 2.0\n")
        with self.assertRaises(ConfigError) as cm:
            load_config(path)
        self.assertIn("unknown key calibration.max_airmas", str(cm.exception))

    def test_unknown_site(self):
        path = self.write("[report]\nsite = mars\n")
        with self.assertRaises(ConfigError):
            load_config(path)

    def test_bad_format(self):
        path = self.write("[report]\nformat = pdf\n")
        with self.assertRaises(ConfigError):
            load_config(path)


if __name__ == "__main__":
    unittest.main()
