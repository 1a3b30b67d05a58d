import csv
import io
import unittest

from nightlog.calibrate import calibrate_frames
from nightlog.config import load_config
from nightlog.header import parse_log
from nightlog.report import REPORT_FORMAT, render_report

from tests.helpers import NIGHT


class ReportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = load_config()
        cls.headers = parse_log(NIGHT)
        cls.night = calibrate_frames(cls.headers, cls.config)

    def render(self, fmt):
        return render_report(self.headers, self.night, self.config, fmt, source="night.hdr")

    def test_text_first_line(self):
        first = self.render("text").splitlines()[0]
        self.assertTrue(first.startswith(REPORT_FORMAT))
        self.assertIn("night of 2023-11-14", first)
        self.assertIn("site kestrel", first)

    def test_text_summary(self):
        text = self.render("text")
        self.assertIn("frames: 14 total, 9 object, 3 bias, 2 flat; 1 rejected", text)
        self.assertIn("master bias: 1012.6 ADU from 3 frames", text)

    def test_text_width(self):
        for line in self.render("text").splitlines():
            self.assertLessEqual(len(line), self.config.width)

    def test_markdown_tables(self):
        md = self.render("md")
        self.assertTrue(md.startswith("## Night report 2023-11-14"))
        self.assertIn("| filter | n | ZP median | scatter |", md)

    def test_csv_rows(self):
        rows = list(csv.reader(io.StringIO(self.render("csv"))))
        self.assertEqual(rows[0][0], "frame")
        self.assertEqual(len(rows), 1 + 9)

    def test_unknown_format(self):
        with self.assertRaises(ValueError):
            self.render("pdf")


if __name__ == "__main__":
    unittest.main()
