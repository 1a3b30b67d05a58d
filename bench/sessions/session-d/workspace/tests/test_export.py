import csv
import os
import tempfile
import unittest
from datetime import date

from inkledger import export
from inkledger.customers import Customer
from inkledger.invoice import Invoice, InvoiceLine

CUSTOMERS = {
    "CUST-00402": Customer("CUST-00402", "Bramble & Co", "BRAMB01", False, 30, "a@b.c", "Priya"),
}


def _invoices():
    return [Invoice("HH-INV-2024-0301", "CUST-00402", date(2024, 4, 4), [
        InvoiceLine("Flyers A5 x2500", "2500", "0.020594", tax_code="T0-PRINTED"),
        InvoiceLine("Soft-touch lamination x500", "500", "0.086828", nominal="finishing"),
    ])]


class ExportTests(unittest.TestCase):
    def test_rows(self):
        rows = list(export.export_rows(_invoices(), CUSTOMERS))
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[0]["Nominal A/C Ref"], export.NOMINAL_PRINT_SALES)
        self.assertEqual(rows[0]["Tax Code"], "T0")
        self.assertEqual(rows[1]["Nominal A/C Ref"], export.NOMINAL_FINISHING)
        self.assertEqual(rows[1]["Date"], "04/04/2024")

    def test_details_truncated(self):
        invs = _invoices()
        invs[0].lines[0].description = "x" * 100
        rows = list(export.export_rows(invs, CUSTOMERS))
        self.assertEqual(len(rows[0]["Details"]), export.DETAILS_MAX)

    def test_write_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "out.csv")
            n = export.write_export(path, _invoices(), CUSTOMERS)
            self.assertEqual(n, 2)
            with open(path, encoding=export.ENCODING, newline="") as fh:
                rows = list(csv.reader(fh))
            self.assertEqual(rows[0], export.COLUMNS)
            self.assertEqual(rows[1][6], "51.48")


if __name__ == "__main__":
    unittest.main()
