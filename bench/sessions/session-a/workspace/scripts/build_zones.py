#!/usr/bin/env python3
"""Generate tollgate/rates/zones.py from the carrier tariff zone chart.

Pricing sends a new zone chart with every tariff revision (usually twice a
year). Drop the CSVs into data/tariffs/ and run:

    python3 scripts/build_zones.py --tariff <TARIFF-ID> > tollgate/rates/zones.py

Never edit zones.py by hand; the next regeneration would silently undo it.
"""

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "data" / "tariffs" / "zone_chart.csv"
SPECIAL = ROOT / "data" / "tariffs" / "special_zones.csv"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--tariff", required=True, help="tariff id printed in the header, e.g. TRF-2023-11-A")
    ap.add_argument("--effective", required=True, help="effective date of the tariff, YYYY-MM-DD")
    args = ap.parse_args(argv)

    matrix = {}
    with open(CHART, newline="") as fh:
        for rec in csv.DictReader(fh):
            matrix[(int(rec["origin_region"]), int(rec["dest_region"]))] = int(rec["zone"])
    special = {}
    with open(SPECIAL, newline="") as fh:
        for rec in csv.DictReader(fh):
            special[rec["dest_zip3"]] = (int(rec["zone"]), rec["note"])

    out = sys.stdout
    out.write("# GENERATED FILE - do not edit by hand.\n")
    out.write(f"# Source: carrier tariff {args.tariff} zone chart, effective {args.effective}\n")
    out.write("# Regenerate: python3 scripts/build_zones.py --tariff ... --effective ... > tollgate/rates/zones.py\n")
    out.write('"""Zone lookup: (origin zip, destination zip) -> tariff zone 2..10."""\n\n')
    out.write("# (origin region, destination region) -> zone; region = first digit of the ZIP\n")
    out.write("REGION_ZONES = {\n")
    for o in range(10):
        row = ", ".join(f"({o}, {d}): {matrix[(o, d)]}" for d in range(10))
        out.write(f"    {row},\n")
    out.write("}\n\n")
    out.write("# destination ZIP3 prefixes priced on their own zone regardless of origin\n")
    out.write("SPECIAL_DEST_ZONES = {\n")
    for zip3, (zone, note) in sorted(special.items()):
        out.write(f'    "{zip3}": {zone},  # {note}\n')
    out.write("}\n\n\n")
    out.write('''def zip3(zip_code):
    zip_code = str(zip_code).strip()
    if len(zip_code) < 5 or not zip_code[:5].isdigit():
        raise ValueError(f"not a US ZIP code: {zip_code!r}")
    return zip_code[:3]


def zone_for(origin_zip, dest_zip):
    """Tariff zone for a lane. Special destinations win over the region chart."""
    dest3 = zip3(dest_zip)
    if dest3 in SPECIAL_DEST_ZONES:
        return SPECIAL_DEST_ZONES[dest3]
    return REGION_ZONES[(int(zip3(origin_zip)[0]), int(dest3[0]))]
''')
    return 0


if __name__ == "__main__":
    sys.exit(main())
