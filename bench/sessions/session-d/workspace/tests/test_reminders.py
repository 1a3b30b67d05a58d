import unittest
from datetime import date

from inkledger import reminders
from inkledger.customers import Customer
from inkledger.invoice import Invoice, InvoiceLine

CUST = Customer("CUST-00426", "The Tin Whistle (pub)", "TINWH01", False, 30, "landlord@example.org", "Sam")


def _inv(**kw):
    return Invoice("HH-INV-2024-0342", "CUST-00426", date(2024, 4, 29),
                   [InvoiceLine("Menus x50", "50", "1.40")], **kw)


class ScheduleTests(unittest.TestCase):
    def test_dates(self):
        dates = reminders.reminder_dates(_inv())
        self.assertEqual([n for n, _ in dates], [1, 2, 3])
        self.assertEqual(dates[0][1], date(2024, 6, 8))

    def test_none_before_first(self):
        self.assertIsNone(reminders.due_reminder(_inv(), date(2024, 6, 1)))

    def test_latest_due(self):
        self.assertEqual(reminders.due_reminder(_inv(), date(2024, 6, 25)), 2)

    def test_paid_gets_nothing(self):
        self.assertIsNone(reminders.due_reminder(_inv(paid_on=date(2024, 6, 2)), date(2024, 6, 25)))


class RenderTests(unittest.TestCase):
    def test_subject_and_body(self):
        msg = reminders.render(_inv(), 2, CUST, "Halftone & Hare Print Co.")
        self.assertTrue(msg["Subject"].startswith("Second reminder: invoice HH-INV-2024-0342"))
        self.assertIn("£84.00", msg.get_content())
        self.assertEqual(msg["To"], "landlord@example.org")


if __name__ == "__main__":
    unittest.main()
