#!/usr/bin/env python3
"""Validate hearthd's configuration files against each other.

    python3 scripts/check_config.py [--config PATH] [--strict]

Loads the INI file, the device registry, the rules and the zones, then checks the
cross references: every device sits in a known zone, every rule names known zones and
enabled devices, every zone has a working temperature sensor, the boiler relay exists.

Exit status: 0 when clean, 1 on errors (or on warnings with --strict), 2 when a file
cannot be loaded at all. With --strict the script also prints a digest of the four
files, which goes into the deploy log so we can tell which config the Pi runs.
"""

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hearthd import config, devices, rules  # noqa: E402

MAX_ZONE_DEVICES = 12


class Report:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, msg):
        self.errors.append(msg)

    def warn(self, msg):
        self.warnings.append(msg)


def load_zones(path):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return {z["name"]: z for z in data["zones"]}


def check(cfg, reg, rs, zones, rep):
    for d in reg:
        if d.zone not in zones:
            rep.error("device %s: zone %r is not in zones.json" % (d.id, d.zone))
    for zone in sorted(zones):
        members = reg.in_zone(zone, enabled_only=False)
        if len(members) > MAX_ZONE_DEVICES:
            rep.warn("zone %r has %d devices (max %d)" % (zone, len(members), MAX_ZONE_DEVICES))
        temp_sensors = [d for d in members if d.kind in ("temp", "trv")]
        working = [d for d in temp_sensors if d.enabled]
        if temp_sensors and not working:
            rep.warn("zone %r: no enabled temperature sensor (%s disabled)"
                     % (zone, ", ".join(d.id for d in temp_sensors)))
        elif not temp_sensors:
            rep.warn("zone %r: no temperature sensor at all" % zone)
    for r in rs.schedules:
        for z in r.zones:
            if z not in zones:
                rep.error("rule %s: unknown zone %r" % (r.id, z))
            elif not zones[z].get("heated", True):
                rep.warn("rule %s: zone %r is marked unheated" % (r.id, z))
        try:
            cfg.heating.setpoint(r.setpoint)
        except config.ConfigError as exc:
            rep.error("rule %s: %s" % (r.id, exc))
    for r in rs.motion:
        for dev_id in [r.sensor] + r.lights:
            try:
                dev = reg.get(dev_id)
            except devices.DeviceError:
                rep.error("rule %s: unknown device %r" % (r.id, dev_id))
                continue
            if not dev.enabled:
                rep.error("rule %s: device %r is disabled" % (r.id, dev_id))
        if r.hold_s < 30:
            rep.warn("rule %s: hold_s %d is shorter than the sensors' report period"
                     % (r.id, r.hold_s))
    for r in rs.away:
        try:
            reg.get(r.trigger)
        except devices.DeviceError:
            rep.error("rule %s: unknown trigger %r" % (r.id, r.trigger))
    try:
        relay = reg.get(cfg.heating.boiler_relay)
        if relay.kind != "relay":
            rep.error("boiler_relay %r is a %s, not a relay" % (relay.id, relay.kind))
    except devices.DeviceError:
        rep.error("boiler_relay %r is not a known device" % cfg.heating.boiler_relay)


def digest(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:12]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default=None)
    ap.add_argument("--strict", action="store_true", help="treat warnings as errors")
    args = ap.parse_args(argv)
    try:
        cfg = config.load(args.config)
        reg = devices.Registry.load(cfg.file_path("devices"))
        rs = rules.load_rules(cfg.file_path("rules"))
        zones = load_zones(cfg.file_path("zones"))
    except (OSError, ValueError, config.ConfigError, devices.DeviceError,
            rules.RuleError) as exc:
        print("cannot load configuration: %s" % exc)
        return 2
    rep = Report()
    check(cfg, reg, rs, zones, rep)
    for msg in rep.errors:
        print("ERROR   %s" % msg)
    for msg in rep.warnings:
        print("WARNING %s" % msg)
    print("checked %d devices across %d zones, %d rules: %d errors, %d warnings"
          % (len(reg), len(zones), rs.count, len(rep.errors), len(rep.warnings)))
    if args.strict:
        files = [cfg.path] + [cfg.file_path(n) for n in ("devices", "rules", "zones")]
        print("config digest: %s" % digest(files))
    if rep.errors or (args.strict and rep.warnings):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
