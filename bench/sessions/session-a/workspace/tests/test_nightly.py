import unittest
from datetime import date

from tollgate import db
from tollgate.importer import nightly
from tollgate.importer.validate import ManifestValidationError

from helpers import MERIDIAN_HEADER, TempDirMixin, carrier_cfg, write_manifest

DAY = date(2024, 3, 11)
ROWS = [
    "MRD1,PRO 1,PU,2024-03-10 18:00,JOLIET,IL,60436,100.0,2,500.00,ACME",
    "MRD1,PRO 1,AR,2024-03-10 21:00,JOLIET,IL,60436,100.0,2,,ACME",
    "MRD2,PRO 2,PU,2024-03-10 19:00,GARY,IN,46402,40.5,1,120.00,HARLAN",
]


class ImportFileTests(TempDirMixin, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.conn = db.memory_db()

    def test_import_creates_shipments_and_events(self):
        path = write_manifest(self.tmp, "MRDH_20240311_0412.csv", MERIDIAN_HEADER, ROWS)
        stats = nightly.import_file(self.conn, path, carrier_cfg("MRDH"), DAY, now="2024-03-11T04:30:00+00:00")
        self.assertEqual(stats, {"rows": 3, "shipments_new": 2, "shipments_seen": 2, "events_new": 3})
        status = self.conn.execute("SELECT status FROM shipments WHERE carrier_ref = 'MRD1'").fetchone()[0]
        self.assertEqual(status, "ARRIVED_TERMINAL")

    def test_reimport_is_idempotent(self):
        path = write_manifest(self.tmp, "MRDH_20240311_0412.csv", MERIDIAN_HEADER, ROWS)
        nightly.import_file(self.conn, path, carrier_cfg("MRDH"), DAY)
        stats = nightly.import_file(self.conn, path, carrier_cfg("MRDH"), DAY)
        self.assertEqual(stats["shipments_new"], 0)
        self.assertEqual(stats["events_new"], 0)

    def test_status_never_moves_backwards(self):
        path = write_manifest(self.tmp, "MRDH_20240311_0412.csv", MERIDIAN_HEADER, [
            "MRD1,PRO 1,DL,2024-03-10 22:00,JOLIET,IL,60436,100.0,2,,ACME",
            "MRD1,PRO 1,AR,2024-03-10 23:00,JOLIET,IL,60436,100.0,2,,ACME",
        ])
        nightly.import_file(self.conn, path, carrier_cfg("MRDH"), DAY)
        status = self.conn.execute("SELECT status FROM shipments WHERE carrier_ref = 'MRD1'").fetchone()[0]
        self.assertEqual(status, "DELIVERED")

    def test_invalid_row_fails_the_file(self):
        path = write_manifest(self.tmp, "MRDH_20240311_0412.csv", MERIDIAN_HEADER,
                              ROWS + ["MRD3,PRO 3,DX,2024-03-10 19:30,GARY,IN,46402,40.5,1,,HARLAN"])
        with self.assertRaises(ManifestValidationError):
            nightly.import_file(self.conn, path, carrier_cfg("MRDH"), DAY)


class BatchIdTests(TempDirMixin, unittest.TestCase):
    def test_stable_for_same_files(self):
        a = write_manifest(self.tmp, "MRDH_20240311_0412.csv", MERIDIAN_HEADER, ROWS)
        first = nightly.batch_id(DAY, [a])
        self.assertEqual(first, nightly.batch_id(DAY, [a]))
        self.assertTrue(first.startswith("imp-20240311-"))


if __name__ == "__main__":
    unittest.main()
