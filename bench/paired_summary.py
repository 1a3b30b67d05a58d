"""The report of two arms on the same tasks: pass@1 per arm with a Wilson 95% interval, the tasks
that flipped each way, the exact two-sided sign test on those flips, and seconds per arm.

Only tasks both arms finished are compared, so a run that was interrupted (or resumed with one
arm ahead of the other) is still a paired comparison; each arm's line says how many it did.
The statistics are the product's own (`cairn skills eval` uses them), never a copy.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cairn.skills.optimize.stats import sign_test_two_sided, wilson_interval

SHOWN_FLIPS = 30


@dataclass(frozen=True)
class TaskResult:
    """One arm on one task: whether it passed and how long it took."""

    passed: bool
    seconds: float


def _shown(ids: list[str]) -> str:
    more = f", ... ({len(ids) - SHOWN_FLIPS} more)" if len(ids) > SHOWN_FLIPS else ""
    return f" ({', '.join(ids[:SHOWN_FLIPS])}{more})" if ids else ""


def describe_pair(arms: Sequence[str], results: Mapping[str, Mapping[str, TaskResult]]) -> str:
    """Lines for people; ``results[arm][task_id]``. One arm gives its own line only."""
    common = sorted(set.intersection(*(set(results.get(arm, {})) for arm in arms))) if arms else []
    width = max(len(arm) for arm in arms) if arms else 0
    lines = [
        f"paired tasks: {len(common)}",
        f"{'arm':<{width}}  pass@1        95% CI        total s  median s",
    ]
    for arm in arms:
        done = [results[arm][task] for task in common]
        passes = sum(r.passed for r in done)
        low, high = wilson_interval(passes, len(done))
        rate = passes / len(done) if done else 0.0
        seconds = [r.seconds for r in done]
        median = statistics.median(seconds) if seconds else 0.0
        lines.append(
            f"{arm:<{width}}  {passes:>3}/{len(done):<3} {rate:5.3f}  [{low:.3f}, {high:.3f}]"
            f"  {sum(seconds):8.0f}  {median:8.1f}"
        )
    if len(arms) != 2:
        return "\n".join(lines)
    first, second = arms
    only = {
        arm: [t for t in common if results[arm][t].passed and not results[other][t].passed]
        for arm, other in ((first, second), (second, first))
    }
    for arm in arms:
        lines.append(f"only {arm} passes: {len(only[arm])}{_shown(only[arm])}")
    p_value = sign_test_two_sided(len(only[first]), len(only[second]))
    diff = (len(only[first]) - len(only[second])) / len(common) if common else 0.0
    lines.append(
        f"difference {diff:+.3f} ({first} - {second}); exact sign test on the "
        f"{len(only[first]) + len(only[second])} flips: p = {p_value:.3f} (two-sided)"
    )
    return "\n".join(lines)
