import unittest

from hearthd import storage


class StoreTests(unittest.TestCase):
    def setUp(self):
        self.now = [1_700_000_000.0]
        self.store = storage.Store(":memory:", retention_days=2, clock=lambda: self.now[0])

    def tearDown(self):
        self.store.close()

    def test_add_and_history(self):
        t = int(self.now[0])
        self.store.add([("th-1", t - 60, "temperature", 19.5), ("th-1", t, "temperature", 19.7)])
        self.assertEqual(self.store.history("th-1", t - 120), [(t - 60, 19.5), (t, 19.7)])

    def test_last_seen(self):
        t = int(self.now[0])
        self.assertIsNone(self.store.last_seen("th-1"))
        self.store.add([("th-1", t, "temperature", 19.5)])
        self.assertEqual(self.store.last_seen("th-1"), t)

    def test_prune_respects_retention(self):
        t = int(self.now[0])
        self.store.add([("th-1", t - 3 * 86400, "temperature", 10.0)])
        self.now[0] += 4000
        self.store.maybe_prune()
        self.assertEqual(self.store.count(), 0)

    def test_prune_at_most_hourly(self):
        self.assertIsNotNone(self.store.maybe_prune())
        self.assertIsNone(self.store.maybe_prune())

    def test_estimates(self):
        self.assertEqual(storage.estimate_rows(2, 60, 1), 2880)
        self.assertEqual(storage.estimate_bytes(1, 86400, 10), 10 * storage.BYTES_PER_ROW)

    def test_migrates_v2(self):
        import sqlite3
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE readings_v2 (device TEXT, ts REAL, kind TEXT, value REAL)")
        db.execute("INSERT INTO readings_v2 VALUES ('th-1', 1.9, 'temperature', 18.0)")
        db.commit()
        s = storage.Store.__new__(storage.Store)
        s.db = db
        s.db.executescript(storage._DDL)
        s._migrate()
        self.assertEqual(db.execute("SELECT device_id, ts FROM readings_v3").fetchall(),
                         [("th-1", 1)])


if __name__ == "__main__":
    unittest.main()
