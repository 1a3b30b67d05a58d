import unittest
from datetime import date, datetime, timezone

from tollgate.importer.parsers import ManifestRow
from tollgate.importer.validate import ManifestValidationError, validate_row, validate_rows

BATCH = date(2024, 3, 11)


def row(**overrides):
    base = dict(line_no=2, carrier="MRDH", carrier_ref="MRD1", raw_code="PU", event_code="PICKED_UP",
                scanned_at=datetime(2024, 3, 11, 4, 0, tzinfo=timezone.utc), location="JOLIET, IL",
                postal_code="60436", weight_kg=100.0, pieces=2)
    base.update(overrides)
    return ManifestRow(**base)


class ValidateRowTests(unittest.TestCase):
    def test_good_row(self):
        self.assertEqual(validate_row(row(), BATCH), [])

    def test_unknown_code(self):
        self.assertEqual(validate_row(row(raw_code="DX", event_code=None), BATCH), ["unknown event code 'DX'"])

    def test_zero_pieces(self):
        self.assertEqual(validate_row(row(pieces=0), BATCH), ["pieces must be >= 1, got 0"])

    def test_weight_range(self):
        self.assertTrue(validate_row(row(weight_kg=0.0), BATCH))
        self.assertTrue(validate_row(row(weight_kg=25000.0), BATCH))

    def test_future_scan(self):
        problems = validate_row(row(scanned_at=datetime(2024, 3, 14, tzinfo=timezone.utc)), BATCH)
        self.assertIn("after the batch date", problems[0])

    def test_bad_postal_code(self):
        self.assertEqual(validate_row(row(postal_code="6043"), BATCH), ["bad postal code '6043'"])

    def test_german_postal_code(self):
        self.assertEqual(validate_row(row(carrier="PKLX", postal_code="04129"), BATCH), [])


class ValidateRowsTests(unittest.TestCase):
    def test_raises_on_first_bad_row(self):
        rows = [row(), row(line_no=3, pieces=0), row(line_no=4, raw_code="DX", event_code=None)]
        with self.assertRaises(ManifestValidationError) as ctx:
            validate_rows("MRDH_x.csv", rows, BATCH)
        self.assertEqual(ctx.exception.line_no, 3)
        self.assertEqual(str(ctx.exception), "MRDH_x.csv row 3: pieces must be >= 1, got 0")


if __name__ == "__main__":
    unittest.main()
