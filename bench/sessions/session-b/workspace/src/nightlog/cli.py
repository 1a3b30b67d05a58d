"""Command line interface: ``nightlog COMMAND ...``.

Exit status: 0 ok, 1 bad usage / config, 2 the log could not be parsed.
"""

import argparse
import sys

from . import __version__
from .calibrate import calibrate_frames
from .config import ConfigError, load_config
from .header import HeaderError, parse_log
from .report import render_report
from .sites import SITES

DEFAULT_KEYS = "FRAMEID,IMAGETYP,OBJECT,FILTER,EXPTIME,AIRMASS"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nightlog",
        description="Read telescope observation logs, calibrate them, write night reports.",
    )
    parser.add_argument("--version", action="version", version="nightlog " + __version__)
    parser.add_argument("-c", "--config", metavar="FILE", help="config file (default: search path)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("parse", help="print selected keywords for every frame")
    p.add_argument("logfile")
    p.add_argument("-k", "--keys", default=DEFAULT_KEYS, help="comma separated keywords")

    p = sub.add_parser("calibrate", help="master bias and per-frame zero points")
    p.add_argument("logfile")

    p = sub.add_parser("report", help="night report")
    p.add_argument("logfile")
    p.add_argument("-f", "--format", choices=("text", "md", "csv"), help="default from config")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    sub.add_parser("config", help="show the effective configuration")
    sub.add_parser("sites", help="list known sites")
    return parser


def _error(msg):
    print("nightlog: error: %s" % msg, file=sys.stderr)


def cmd_parse(args, config, out):
    headers = parse_log(args.logfile)
    keys = [k.strip().upper() for k in args.keys.split(",") if k.strip()]
    out.write("\t".join(keys) + "\n")
    for h in headers:
        out.write("\t".join(str(h.get(k, "-")) for k in keys) + "\n")
    return 0


def cmd_calibrate(args, config, out):
    headers = parse_log(args.logfile)
    night = calibrate_frames(headers, config)
    if night.bias_level is None:
        out.write("master bias: none\n")
    else:
        out.write("master bias: %.1f ADU from %d frames\n" % (night.bias_level, night.n_bias))
    for f in night.frames:
        status = "rejected: %s" % f.rejected if f.rejected else ("ZP %.3f" % f.zp if f.zp else "no ZP")
        flags = (" [%s]" % ",".join(f.flags)) if f.flags else ""
        out.write("%-22s %-2s %s%s\n" % (f.frame_id, f.band or "?", status, flags))
    for band in night.bands():
        if band in night.zp_median:
            out.write(
                "ZP(%s) median %.3f  scatter %.3f\n"
                % (band, night.zp_median[band], night.zp_scatter[band])
            )
    return 0


def cmd_report(args, config, out):
    headers = parse_log(args.logfile)
    night = calibrate_frames(headers, config)
    text = render_report(headers, night, config, args.format, source=args.logfile)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        out.write(text)
    return 0


def cmd_config(args, config, out):
    out.write("# config file: %s\n" % (config.path or "(none, built-in defaults)"))
    for key, value in config.items():
        out.write("%s = %s\n" % (key, value))
    return 0


def cmd_sites(args, config, out):
    for code in sorted(SITES):
        s = SITES[code]
        mark = "*" if code == config.site_code else " "
        out.write(
            "%s %-12s %-42s %9.5f %10.5f %7.1f m\n"
            % (mark, s.code, s.name, s.latitude, s.longitude, s.elevation_m)
        )
    return 0


COMMANDS = {
    "parse": cmd_parse,
    "calibrate": cmd_calibrate,
    "report": cmd_report,
    "config": cmd_config,
    "sites": cmd_sites,
}


def main(argv=None, out=None):
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(out)
        return 1
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        _error(exc)
        return 1
    try:
        return COMMANDS[args.command](args, config, out)
    except HeaderError as exc:
        _error("%s: %s" % (getattr(args, "logfile", "?"), exc))
        return 2
    except OSError as exc:
        _error("%s: %s" % (exc.filename or "?", exc.strerror))
        return 1
