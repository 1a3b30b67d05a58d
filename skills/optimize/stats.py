"""Exact paired statistics for the gate and `cairn skills eval`, and a pass rate's interval (no SciPy)."""

from __future__ import annotations

from math import comb, sqrt


def sign_test_p(wins: int, losses: int) -> float:
    """One-sided exact sign test: P(at least ``wins`` of the discordant pairs | no effect).

    Pairs where both skills pass or both fail carry no information about which is better and
    are left out, as in McNemar's exact test.
    """
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(comb(n, k) for k in range(wins, n + 1)) / 2**n


def sign_test_two_sided(wins: int, losses: int) -> float:
    """Two-sided exact sign test on the discordant pairs (McNemar's exact test)."""
    return min(1.0, 2 * sign_test_p(max(wins, losses), min(wins, losses)))


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a pass rate (95% by default); (0, 1) when ``n`` is 0.

    Unlike the normal approximation it stays inside [0, 1] and is honest at 0/n and n/n.
    """
    if n == 0:
        return 0.0, 1.0
    rate = successes / n
    denominator = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denominator
    half = z * sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
