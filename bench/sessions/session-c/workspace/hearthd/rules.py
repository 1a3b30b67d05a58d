"""Rule evaluation.

Three rule types exist (see ``config/rules.json``):

``schedule``
    Sets a zone's target temperature while one of its slots is active. Later rules
    win over earlier ones for the same zone, which is how the night setback
    overrides the all-day comfort slot.
``motion_light``
    Switches lights on when a motion sensor reports occupancy, and off again
    ``hold_s`` seconds after the sensor reports that the area is clear.
``away``
    When the trigger contact reports "away", every zone drops to the away setpoint.

The engine is pure: it takes the current state (readings, device states, time) and
returns a list of commands. The daemon publishes them on the bus.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from . import scheduler
from .config import HeatingConfig

log = logging.getLogger(__name__)


class RuleError(Exception):
    pass


@dataclass
class Command:
    device_id: str
    action: str            # "set_target", "on", "off"
    value: Optional[float] = None
    reason: str = ""


@dataclass
class ScheduleRule:
    id: str
    zones: List[str]
    weekdays: set
    slots: List[scheduler.Slot]
    setpoint: object


@dataclass
class MotionLightRule:
    id: str
    sensor: str
    lights: List[str]
    hold_s: int
    only_when_dark: bool


@dataclass
class AwayRule:
    id: str
    trigger: str
    setpoint: object


@dataclass
class HeatState:
    """Per-zone heater memory needed for hysteresis and minimum cycle time."""
    on: bool = False
    since: float = 0.0


@dataclass
class LightState:
    on: bool = False
    last_motion: Optional[float] = None
    clear_since: Optional[float] = None


@dataclass
class RuleSet:
    schedules: List[ScheduleRule] = field(default_factory=list)
    motion: List[MotionLightRule] = field(default_factory=list)
    away: List[AwayRule] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.schedules) + len(self.motion) + len(self.away)


def load_rules(path: str) -> RuleSet:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("schema") != 3:
        raise RuleError("%s: expected schema 3" % path)
    rs = RuleSet()
    for raw in data["rules"]:
        kind = raw.get("type")
        if kind == "schedule":
            rs.schedules.append(ScheduleRule(
                id=raw["id"], zones=list(raw["zones"]),
                weekdays=scheduler.parse_weekdays(raw.get("weekdays", "all")),
                slots=scheduler.parse_slots(raw["slots"]), setpoint=raw["setpoint"]))
        elif kind == "motion_light":
            rs.motion.append(MotionLightRule(
                id=raw["id"], sensor=raw["sensor"], lights=list(raw["lights"]),
                hold_s=int(raw.get("hold_s", 60)),
                only_when_dark=bool(raw.get("only_when_dark", False))))
        elif kind == "away":
            rs.away.append(AwayRule(id=raw["id"], trigger=raw["trigger"],
                                    setpoint=raw.get("setpoint", "away")))
        else:
            raise RuleError("rule %r has unknown type %r" % (raw.get("id"), kind))
    return rs


def target_for_zone(rules: RuleSet, heating: HeatingConfig, zone: str,
                    when: datetime, away: bool = False) -> Optional[float]:
    """The target temperature of ``zone`` at ``when``, or None if unscheduled."""
    if away:
        for rule in rules.away:
            return heating.setpoint(rule.setpoint)
    minute = scheduler.minute_of_day(when)
    target = None
    for rule in rules.schedules:
        if zone not in rule.zones or when.weekday() not in rule.weekdays:
            continue
        if scheduler.slot_active(rule.slots, minute):
            target = heating.setpoint(rule.setpoint)
    return target


def heat_decision(temp: float, target: Optional[float], state: HeatState,
                  heating: HeatingConfig, now: float) -> bool:
    """Whether the zone should call for heat, with hysteresis and min cycle time."""
    if target is None:
        want = False
    elif state.on:
        want = temp < target + heating.hysteresis_c / 2
    else:
        want = temp < target - heating.hysteresis_c / 2
    if want != state.on and now - state.since < heating.min_cycle_s and state.since:
        return state.on
    return want


def motion_decision(rule: MotionLightRule, state: LightState, event: Optional[str],
                    now: float, dark: bool) -> Optional[str]:
    """Return "on", "off" or None (no change) for one motion rule."""
    if event == "occupied":
        state.last_motion = now
        if not state.on and (dark or not rule.only_when_dark):
            state.on = True
            state.clear_since = None
            return "on"
        return None
    if event == "clear":
        state.clear_since = now
    if state.on and state.clear_since is not None and now - state.clear_since >= rule.hold_s:
        state.on = False
        return "off"
    return None


def evaluate(rules: RuleSet, heating: HeatingConfig, zone_temps: Dict[str, float],
             zone_trvs: Dict[str, List[str]], when: datetime,
             away: bool = False) -> List[Command]:
    """Commands for every zone's thermostatic valves at ``when``."""
    out: List[Command] = []
    for zone, trvs in sorted(zone_trvs.items()):
        target = target_for_zone(rules, heating, zone, when, away)
        if target is None:
            continue
        for trv in trvs:
            out.append(Command(trv, "set_target", target, reason="schedule"))
    return out
