"""Sales CLI for ad-hoc quotes.

    python3 -m tollgate.rates.cli quote --from 60601 --to 30303 --weight 250 \
        --dims 120x100x110 --service standard --acc liftgate
    python3 -m tollgate.rates.cli zone --from 60601 --to 30303
"""

import argparse
import sys

from . import calculator, zones


def _dims(value):
    try:
        parts = [float(p) for p in value.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError("dims must look like 120x80x95 (cm)")
    if len(parts) != 3 or min(parts) <= 0:
        raise argparse.ArgumentTypeError("dims must look like 120x80x95 (cm)")
    return tuple(parts)


def cmd_quote(args):
    q = calculator.quote(args.origin, args.dest, args.weight, args.dims, args.service, args.acc or ())
    print(f"lane        {q.origin_zip} -> {q.dest_zip}  (zone {q.zone}, {q.service})")
    print(f"actual      {q.actual_kg:>10} kg")
    if q.dim_kg is not None:
        print(f"dimensional {q.dim_kg:>10} kg")
    print(f"billable    {q.billable_kg:>10} kg")
    print("-" * 40)
    for label, amount in q.lines:
        print(f"{label:<28}{amount:>12}")
    print("-" * 40)
    if q.total != q.subtotal:
        print(f"{'(minimum charge applies)':<28}{q.total:>12}")
    print(f"{'TOTAL USD':<28}{q.total:>12}")
    return 0


def cmd_zone(args):
    print(zones.zone_for(args.origin, args.dest))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tollgate.rates.cli")
    sub = ap.add_subparsers(dest="cmd", required=True)
    qp = sub.add_parser("quote", help="price a shipment")
    qp.add_argument("--from", dest="origin", required=True)
    qp.add_argument("--to", dest="dest", required=True)
    qp.add_argument("--weight", type=float, required=True, help="actual weight, kg")
    qp.add_argument("--dims", type=_dims, help="LxWxH in cm")
    qp.add_argument("--service", default="standard", choices=calculator.SERVICES)
    qp.add_argument("--acc", action="append", help="accessorial (repeatable)")
    qp.set_defaults(func=cmd_quote)
    zp = sub.add_parser("zone", help="show the zone for a lane")
    zp.add_argument("--from", dest="origin", required=True)
    zp.add_argument("--to", dest="dest", required=True)
    zp.set_defaults(func=cmd_zone)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
