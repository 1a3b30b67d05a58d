import contextlib
import io
import os
import tempfile
import unittest

from nightlog import __version__

from tests.helpers import NIGHT, run_cli


class CliTests(unittest.TestCase):
    def test_version(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), self.assertRaises(SystemExit):
            run_cli(["--version"])
        self.assertEqual(out.getvalue().strip(), "nightlog " + __version__)

    def test_parse_default_keys(self):
        status, out = run_cli(["parse", NIGHT])
        self.assertEqual(status, 0)
        rows = out.splitlines()
        self.assertEqual(rows[0], "FRAMEID\tIMAGETYP\tOBJECT\tFILTER\tEXPTIME\tAIRMASS")
        self.assertEqual(len(rows), 15)

    def test_calibrate(self):
        status, out = run_cli(["calibrate", NIGHT])
        self.assertEqual(status, 0)
        self.assertIn("ZP(B) median 20.873", out)

    def test_report_to_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            target = os.path.join(tmp, "r.txt")
            status, out = run_cli(["report", NIGHT, "-o", target])
            self.assertEqual(status, 0)
            self.assertEqual(out, "")
            with open(target, encoding="utf-8") as fh:
                self.assertIn("master bias", fh.read())

    def test_parse_error_exit_status(self):
        with tempfile.NamedTemporaryFile("w", suffix=".hdr", delete=False) as fh:
            fh.write("OBJECT  = 'oops\nEND\n")
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                status, _ = run_cli(["parse", fh.name])
        finally:
            os.unlink(fh.name)
        self.assertEqual(status, 2)
        self.assertIn("unterminated quoted string at line 1 (OBJECT)", err.getvalue())

    def test_sites_marks_default(self):
        status, out = run_cli(["sites"])
        self.assertEqual(status, 0)
        self.assertTrue([l for l in out.splitlines() if l.startswith("* kestrel ")])


if __name__ == "__main__":
    unittest.main()
