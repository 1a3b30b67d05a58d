import math
import unittest

from nightlog.calibrate import (
    AIRMASS_CLIP,
    calibrate_frames,
    instrumental_mag,
    master_bias,
    normalise_filter,
    zero_point,
)
from nightlog.config import load_config
from nightlog.header import parse_header, parse_log

from tests.helpers import NIGHT, lines


def _frame(**cards):
    text = []
    for key, value in cards.items():
        key = key.replace("_", "-") if key == "DATE_OBS" else key
        if isinstance(value, str):
            text.append("%-8s= '%s'" % (key, value))
        else:
            text.append("%-8s= %20s" % (key, value))
    text.append("END")
    return parse_header(text)


class FormulaTests(unittest.TestCase):
    def test_instrumental_mag(self):
        self.assertAlmostEqual(instrumental_mag(1000.0, 10.0), -5.0)

    def test_instrumental_mag_rejects_zero_flux(self):
        with self.assertRaises(ValueError):
            instrumental_mag(0.0, 10.0)

    def test_zero_point_extinction_term(self):
        # same frame, higher airmass -> larger extinction correction
        zp1 = zero_point(12.0, 5000.0, 60.0, 1.0, 0.163)
        zp2 = zero_point(12.0, 5000.0, 60.0, 2.0, 0.163)
        self.assertAlmostEqual(zp2 - zp1, 0.163)

    def test_filter_aliases(self):
        self.assertEqual(normalise_filter("Rc"), "R")
        self.assertEqual(normalise_filter(" johnson-v "), "V")
        self.assertIsNone(normalise_filter("Halpha"))


class NightTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = load_config()
        cls.headers = parse_log(NIGHT)
        cls.night = calibrate_frames(cls.headers, cls.config)

    def test_master_bias(self):
        level, n = master_bias(self.headers)
        self.assertEqual(n, 3)
        self.assertAlmostEqual(level, 1012.6)

    def test_counts(self):
        self.assertEqual(self.night.n_bias, 3)
        self.assertEqual(self.night.n_flat, 2)
        self.assertEqual(len(self.night.frames), 9)

    def test_high_airmass_rejected(self):
        rejected = {f.frame_id: f.rejected for f in self.night.rejected}
        self.assertEqual(list(rejected), ["kst13_20231114_0052"])
        self.assertTrue(rejected["kst13_20231114_0052"].startswith("airmass 2.87"))

    def test_bands(self):
        self.assertEqual(self.night.bands(), ["B", "V", "R"])

    def test_zero_points_plausible(self):
        for band, zp in self.night.zp_median.items():
            self.assertTrue(20.0 < zp < 22.5, (band, zp))

    def test_b_median(self):
        self.assertAlmostEqual(self.night.zp_median["B"], 20.873, places=3)


class RejectionTests(unittest.TestCase):
    def setUp(self):
        self.config = load_config()

    def test_unknown_filter(self):
        h = _frame(IMAGETYP="object", FILTER="Halpha", EXPTIME=60.0, AIRMASS=1.1)
        night = calibrate_frames([h], self.config)
        self.assertEqual(night.frames[0].rejected, "unknown filter 'Halpha'")

    def test_airmass_clip_caps_config(self):
        self.config.max_airmass = 9.0
        h = _frame(IMAGETYP="object", FILTER="V", EXPTIME=60.0, AIRMASS=AIRMASS_CLIP + 0.1,
                   REFFLUX=5000.0, REFMAG=12.0)
        night = calibrate_frames([h], self.config)
        self.assertIn("> 3.75", night.frames[0].rejected)

    def test_no_reference_star(self):
        h = _frame(IMAGETYP="object", FILTER="V", EXPTIME=60.0, AIRMASS=1.1)
        night = calibrate_frames([h], self.config)
        self.assertEqual(night.frames[0].flags, ["noref"])
        self.assertFalse(night.frames[0].usable)


if __name__ == "__main__":
    unittest.main()
