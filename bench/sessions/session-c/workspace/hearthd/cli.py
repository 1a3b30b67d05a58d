"""Command line: ``python -m hearthd.cli <command>``.

Commands:
  run          start the daemon (bus, rules, API)
  check        load every config file and report problems
  simulate     run one synthetic day of a zone's heating through the rules
  estimate-db  estimate the size of the history database at full retention
  devices      list the device registry
"""

import argparse
import logging
import math
import os
import sys
from datetime import datetime, timedelta

from . import __version__, config, devices, rules, storage

log = logging.getLogger("hearthd")

DEFAULT_SIM_STEP_S = 300
SIM_DAY = datetime(2024, 1, 17)  # a Wednesday

# toy thermal model: per-zone heat-loss coefficient (1/h) and radiator gain (C/h)
ZONE_MODEL = {
    "living": (0.09, 2.4), "kitchen": (0.11, 2.1), "office": (0.10, 2.2),
    "hallway": (0.14, 1.6), "bathroom": (0.12, 2.8), "bedroom-main": (0.08, 2.0),
    "bedroom-kids": (0.08, 2.2), "attic": (0.18, 0.0), "garage": (0.20, 0.0),
}
SCENARIOS = {"mild": 7.0, "cold-snap": -3.5, "heatwave": 24.0}


def outdoor_temp(minute: int, scenario: str) -> float:
    base = SCENARIOS[scenario]
    return base + 3.5 * math.cos(2 * math.pi * (minute - 15 * 60) / 1440.0)


def simulate(cfg, rs, zone: str, scenario: str = "mild", step_s: int = DEFAULT_SIM_STEP_S,
             start_temp: float = None, out=sys.stdout) -> dict:
    loss, gain = ZONE_MODEL[zone]
    if start_temp is None:
        start_temp = 17.0 if gain else outdoor_temp(0, scenario) + 6.0
    temp = start_temp
    state = rules.HeatState()
    heat_minutes = 0
    min_temp, min_at = temp, "00:00"
    print("zone %s, scenario %s, step %d s" % (zone, scenario, step_s), file=out)
    print("time   temp C  out C  target  heat", file=out)
    for step in range(0, 86400 // step_s):
        now_s = step * step_s
        when = SIM_DAY + timedelta(seconds=now_s)
        minute = now_s // 60
        target = rules.target_for_zone(rs, cfg.heating, zone, when)
        on = rules.heat_decision(temp, target, state, cfg.heating, float(now_s))
        if on != state.on:
            state.on, state.since = on, float(now_s)
        if on:
            heat_minutes += step_s // 60
        outside = outdoor_temp(minute, scenario)
        dt_h = step_s / 3600.0
        temp += (loss * (outside - temp) + (gain if on else 0.0)) * dt_h
        if temp < min_temp:
            min_temp, min_at = temp, when.strftime("%H:%M")
        if minute % 60 == 0:
            print("%s  %6.2f  %5.1f  %6s  %s" % (
                when.strftime("%H:%M"), temp, outside,
                "-" if target is None else "%.1f" % target, "on" if on else "off"), file=out)
    print("heating on %d min; min temp %.2f C at %s" % (heat_minutes, min_temp, min_at), file=out)
    return {"heat_minutes": heat_minutes, "min_temp": min_temp}


def cmd_simulate(args) -> int:
    cfg = config.load(args.config)
    rs = rules.load_rules(cfg.file_path("rules"))
    if args.zone not in ZONE_MODEL:
        print("unknown zone %r; known: %s" % (args.zone, ", ".join(sorted(ZONE_MODEL))))
        return 2
    simulate(cfg, rs, args.zone, args.scenario, args.step)
    return 0


def cmd_check(args) -> int:
    cfg = config.load(args.config)
    reg = devices.Registry.load(cfg.file_path("devices"))
    rs = rules.load_rules(cfg.file_path("rules"))
    print("hearthd %s: config %s OK (%d devices, %d rules)" % (
        __version__, os.path.relpath(cfg.path), len(reg), rs.count))
    return 0


def cmd_estimate_db(args) -> int:
    cfg = config.load(args.config)
    reg = devices.Registry.load(cfg.file_path("devices"))
    sensors = [d for d in reg if d.enabled and d.kind in ("temp", "trv")]
    rows = storage.estimate_rows(len(sensors), cfg.sample_interval_s, cfg.history_retention_days)
    size = storage.estimate_bytes(len(sensors), cfg.sample_interval_s, cfg.history_retention_days)
    print("sensors reporting temperature: %d" % len(sensors))
    print("sample interval: %d s, retention: %d days" % (cfg.sample_interval_s,
                                                         cfg.history_retention_days))
    print("rows at full retention: %d" % rows)
    print("estimated size: %.1f MiB (%d bytes/row)" % (size / 1048576.0, storage.BYTES_PER_ROW))
    return 0


def cmd_devices(args) -> int:
    cfg = config.load(args.config)
    reg = devices.Registry.load(cfg.file_path("devices"))
    for d in sorted(reg, key=lambda d: (d.zone, d.id)):
        print("%-14s %-28s %-8s %-11s %s" % (d.zone, d.id, d.kind, d.model,
                                             "" if d.enabled else "(disabled)"))
    return 0


def cmd_run(args) -> int:
    cfg = config.load(args.config)
    logging.basicConfig(level=cfg.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("hearthd %s starting for %s", __version__, cfg.house)
    # The daemon wiring lives in the Pi deployment; locally we only validate.
    return cmd_check(args)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="hearthd")
    p.add_argument("--config", default=None, help="INI file (default: config/hearthd.ini)")
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run").set_defaults(fn=cmd_run)
    sub.add_parser("check").set_defaults(fn=cmd_check)
    sp = sub.add_parser("simulate")
    sp.add_argument("--zone", required=True)
    sp.add_argument("--scenario", default="mild", choices=sorted(SCENARIOS))
    sp.add_argument("--step", type=int, default=DEFAULT_SIM_STEP_S)
    sp.set_defaults(fn=cmd_simulate)
    sub.add_parser("estimate-db").set_defaults(fn=cmd_estimate_db)
    sub.add_parser("devices").set_defaults(fn=cmd_devices)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
