import contextlib
import io
import unittest

from inkledger import cli


def run(*argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli.main(list(argv))
    return rc, buf.getvalue()


class CliTests(unittest.TestCase):
    def test_quote(self):
        rc, out = run("quote", "--stock", "A4-SILK-130", "--sheets", "100")
        self.assertEqual(rc, 0)
        self.assertIn("Quote total: £", out)

    def test_outstanding(self):
        rc, out = run("outstanding", "--as-of", "2024-07-01")
        self.assertEqual(rc, 0)
        self.assertIn("Outstanding as of 2024-07-01", out)

    def test_tax_summary(self):
        rc, out = run("tax-summary", "--quarter", "2024Q2")
        self.assertIn("VAT due for 2024Q2", out)


if __name__ == "__main__":
    unittest.main()
