import os
import tempfile
import unittest
from datetime import date
from decimal import Decimal

from inkledger import storage
from inkledger.invoice import Invoice, InvoiceLine


class StorageTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.conn = storage.connect(os.path.join(self.tmp.name, "t.sqlite3"))
        storage.migrate(self.conn)

    def tearDown(self):
        self.conn.close()
        self.tmp.cleanup()

    def test_migrates_to_latest(self):
        self.assertEqual(storage.current_version(self.conn), storage.SCHEMA_VERSION)

    def test_roundtrip(self):
        inv = Invoice("HH-INV-2024-0500", "CUST-00405", date(2024, 6, 3), [
            InvoiceLine("Posters A2 x10", "10", "1.95"),
            InvoiceLine("Delivery", "1", "7.50", nominal="delivery"),
        ])
        storage.save_invoice(self.conn, inv)
        back = storage.load_invoice(self.conn, "HH-INV-2024-0500")
        self.assertEqual(back.net_total(), Decimal("27.00"))
        self.assertEqual(back.lines[1].nominal, "delivery")

    def test_payment_marks_paid(self):
        inv = Invoice("HH-INV-2024-0501", "CUST-00405", date(2024, 6, 3), [InvoiceLine("x", "1", "10.00")])
        storage.save_invoice(self.conn, inv)
        storage.record_payment(self.conn, inv.number, date(2024, 6, 20), "12.00")
        back = storage.load_invoice(self.conn, inv.number)
        self.assertEqual(back.paid_on, date(2024, 6, 20))


if __name__ == "__main__":
    unittest.main()
