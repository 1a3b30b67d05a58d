import os
import unittest
from datetime import datetime

from hearthd import config, rules

ROOT = os.path.dirname(os.path.dirname(__file__))
CFG = config.load(os.path.join(ROOT, "config", "hearthd.ini"))
RULES = rules.load_rules(os.path.join(ROOT, "config", "rules.json"))
WED = datetime(2024, 1, 17)
SAT = datetime(2024, 1, 20)


def at(day, hh, mm=0):
    return day.replace(hour=hh, minute=mm)


class ScheduleTests(unittest.TestCase):
    def test_rule_counts(self):
        self.assertEqual(len(RULES.schedules), 5)
        self.assertEqual(len(RULES.motion), 2)
        self.assertEqual(RULES.count, 8)

    def test_living_weekday_morning(self):
        self.assertEqual(rules.target_for_zone(RULES, CFG.heating, "living", at(WED, 7)),
                         CFG.heating.comfort_c)

    def test_living_weekday_midday_unscheduled(self):
        self.assertIsNone(rules.target_for_zone(RULES, CFG.heating, "living", at(WED, 12)))

    def test_living_weekend(self):
        self.assertEqual(rules.target_for_zone(RULES, CFG.heating, "living", at(SAT, 12)),
                         CFG.heating.comfort_c)

    def test_bedroom_setback_evening(self):
        self.assertEqual(
            rules.target_for_zone(RULES, CFG.heating, "bedroom-main", at(WED, 23, 15)),
            CFG.heating.setback_c)

    def test_bathroom_numeric_setpoint(self):
        self.assertEqual(rules.target_for_zone(RULES, CFG.heating, "bathroom", at(WED, 7)), 22.0)

    def test_away_overrides(self):
        self.assertEqual(
            rules.target_for_zone(RULES, CFG.heating, "living", at(WED, 7), away=True),
            CFG.heating.away_c)

    def test_evaluate_sets_all_trvs(self):
        cmds = rules.evaluate(RULES, CFG.heating, {}, {"living": ["trv-living-1", "trv-living-2"],
                                                       "hallway": ["trv-x"]}, at(WED, 7))
        self.assertEqual([c.device_id for c in cmds], ["trv-living-1", "trv-living-2"])


class HeatDecisionTests(unittest.TestCase):
    def test_hysteresis(self):
        st = rules.HeatState()
        self.assertTrue(rules.heat_decision(20.0, 20.5, st, CFG.heating, 0))
        self.assertFalse(rules.heat_decision(20.4, 20.5, st, CFG.heating, 0))
        st.on = True
        self.assertTrue(rules.heat_decision(20.6, 20.5, st, CFG.heating, 0))

    def test_min_cycle(self):
        st = rules.HeatState(on=True, since=1000.0)
        self.assertTrue(rules.heat_decision(25.0, 20.5, st, CFG.heating, 1100.0))
        self.assertFalse(rules.heat_decision(25.0, 20.5, st, CFG.heating, 1000.0 + 421))

    def test_unscheduled_is_off(self):
        self.assertFalse(rules.heat_decision(5.0, None, rules.HeatState(), CFG.heating, 0))


class MotionTests(unittest.TestCase):
    def setUp(self):
        self.rule = RULES.motion[0]
        self.st = rules.LightState()

    def test_on_when_dark(self):
        self.assertEqual(rules.motion_decision(self.rule, self.st, "occupied", 0, True), "on")

    def test_not_on_in_daylight(self):
        self.assertIsNone(rules.motion_decision(self.rule, self.st, "occupied", 0, False))

    def test_off_after_hold(self):
        rules.motion_decision(self.rule, self.st, "occupied", 0, True)
        rules.motion_decision(self.rule, self.st, "clear", 60, True)
        self.assertIsNone(rules.motion_decision(self.rule, self.st, None, 60 + self.rule.hold_s - 1, True))
        self.assertEqual(rules.motion_decision(self.rule, self.st, None, 60 + self.rule.hold_s, True), "off")


if __name__ == "__main__":
    unittest.main()
