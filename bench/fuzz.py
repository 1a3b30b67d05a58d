"""R1 at full scale: >= 10,000 fuzzed messages over >= 3 seeds against the real server.

Prints, per seed: messages sent, requests with a valid id, probes answered, crashes, requests
left unanswered or answered twice, error popups, and exit code. Exits 1 if any bar is missed.

    python bench/fuzz.py [--seeds 1 2 3] [--messages 3400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fuzzing import debug_server_command, run_fuzz


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--messages", type=int, default=3400, help="per seed")
    args = parser.parse_args()

    print(
        f"{'seed':>4} {'messages':>8} {'requests':>8} {'probes':>6} {'crashes':>7} "
        f"{'missing':>7} {'twice':>5} {'popups':>6} {'exit':>4} {'seconds':>7}"
    )
    total = failures = 0
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as root:
            report = run_fuzz(seed, args.messages, Path(root), debug_server_command())
        total += report.messages
        bad = (
            report.crashes
            or report.missing
            or report.duplicated
            or report.framing_errors
            or report.exit_code != 0
            or report.error_popups > 1 + int(report.seconds // 60)
        )
        failures += bool(bad)
        print(
            f"{seed:>4} {report.messages:>8} {report.requests:>8} {report.probes:>6} {report.crashes:>7} "
            f"{len(report.missing):>7} {len(report.duplicated):>5} {report.error_popups:>6} "
            f"{report.exit_code!s:>4} {report.seconds:>7.1f}"
        )
    print(f"total messages: {total}; seeds failing a bar: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
