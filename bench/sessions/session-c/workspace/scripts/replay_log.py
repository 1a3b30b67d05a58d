#!/usr/bin/env python3
"""Replay a captured bus log through the motion-light rules.

    python3 scripts/replay_log.py data/sample_events.log [--verbose]

Each line of the log is ``<seq> <unix-ts> <topic> <json>`` as written by the bus
broker's capture mode. Events arriving with a timestamp earlier than the previous
one are "out of order" (the broker timestamps on receipt, the sensors batch); those
older than MAX_SKEW_S are dropped, as the daemon does. The script reports what the
motion rules would have done.
"""

import argparse
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hearthd import bus, config, rules  # noqa: E402

MAX_SKEW_S = 2.5


def parse(path):
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            seq, ts, topic, payload = line.split(" ", 3)
            yield int(seq), float(ts), topic, json.loads(payload)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    cfg = config.load()
    rs = rules.load_rules(cfg.file_path("rules"))
    by_sensor = {r.sensor: r for r in rs.motion}
    states = {r.id: rules.LightState() for r in rs.motion}
    total = 0
    late = []
    dropped = 0
    devices = set()
    fired = Counter()
    last_ts = None
    for seq, ts, topic, payload in parse(args.log):
        total += 1
        if not bus.topic_matches("hearth/v2/+/state", topic):
            continue
        dev = topic.split("/")[2]
        devices.add(dev)
        if last_ts is not None and ts < last_ts:
            skew = last_ts - ts
            late.append((seq, skew))
            if skew > MAX_SKEW_S:
                dropped += 1
                if args.verbose:
                    print("drop seq %d (%s) skew %.3f s" % (seq, dev, skew))
                continue
        last_ts = ts if last_ts is None else max(last_ts, ts)
        rule = by_sensor.get(dev)
        if rule is None or "occupancy" not in payload:
            continue
        event = "occupied" if payload["occupancy"] else "clear"
        action = rules.motion_decision(rule, states[rule.id], event, ts, dark=True)
        if action:
            fired["%s %s" % (rule.id, action)] += 1
            if args.verbose:
                print("seq %d: %s -> lights %s" % (seq, rule.id, action))
    print("replayed %d events from %d devices" % (total, len(devices)))
    if late:
        worst = max(late, key=lambda x: x[1])
        print("%d out of order, %d dropped (worst: seq %d, skew %.3f s)"
              % (len(late), dropped, worst[0], worst[1]))
    for key in sorted(fired):
        print("  %-40s %d" % (key, fired[key]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
