import unittest
from datetime import datetime

from hearthd import scheduler


class SlotTests(unittest.TestCase):
    def test_parse_hhmm(self):
        self.assertEqual(scheduler.parse_hhmm("06:30"), 390)
        self.assertEqual(scheduler.parse_hhmm("00:00"), 0)
        self.assertEqual(scheduler.parse_hhmm("24:00"), 1440)

    def test_parse_hhmm_rejects_garbage(self):
        for bad in ("6h30", "25:00", "12:60", ""):
            with self.assertRaises(ValueError):
                scheduler.parse_hhmm(bad)

    def test_parse_slot(self):
        self.assertEqual(scheduler.parse_slot("06:30-08:30"), (390, 510))

    def test_slot_active_half_open(self):
        slots = [scheduler.parse_slot("06:30-08:30")]
        self.assertTrue(scheduler.slot_active(slots, 390))
        self.assertTrue(scheduler.slot_active(slots, 509))
        self.assertFalse(scheduler.slot_active(slots, 510))

    def test_weekdays(self):
        self.assertEqual(scheduler.parse_weekdays("mon-fri"), {0, 1, 2, 3, 4})
        self.assertEqual(scheduler.parse_weekdays("sat-sun"), {5, 6})
        self.assertEqual(scheduler.parse_weekdays("mon, wed,fri"), {0, 2, 4})
        with self.assertRaises(ValueError):
            scheduler.parse_weekdays("someday")

    def test_next_change(self):
        slots = scheduler.parse_slots(["06:30-08:30", "16:30-22:30"])
        self.assertEqual(scheduler.next_change(slots, 6 * 60), 30)
        self.assertEqual(scheduler.next_change(slots, 23 * 60), 7 * 60 + 30)
        self.assertIsNone(scheduler.next_change([], 0))

    def test_minute_of_day(self):
        self.assertEqual(scheduler.minute_of_day(datetime(2024, 1, 17, 22, 31)), 1351)


class TickLoopTests(unittest.TestCase):
    def test_runs_max_ticks(self):
        t = [0.0]
        calls = []
        loop = scheduler.TickLoop(15, calls.append, clock=lambda: t[0],
                                  sleep=lambda s: t.__setitem__(0, t[0] + s),
                                  wall=lambda: datetime(2024, 1, 17))
        loop.run(max_ticks=4)
        self.assertEqual(len(calls), 4)
        self.assertEqual(t[0], 45.0)

    def test_overrun_realigns(self):
        t = [0.0]

        def slow(_now):
            t[0] += 20.0

        loop = scheduler.TickLoop(15, slow, clock=lambda: t[0],
                                  sleep=lambda s: t.__setitem__(0, t[0] + s),
                                  wall=lambda: datetime(2024, 1, 17))
        loop.run(max_ticks=3)
        self.assertEqual(loop.overruns, 2)

    def test_rejects_zero_tick(self):
        with self.assertRaises(ValueError):
            scheduler.TickLoop(0, lambda now: None)


if __name__ == "__main__":
    unittest.main()
