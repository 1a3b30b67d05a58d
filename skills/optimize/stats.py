"""Exact paired statistics for the gate (no SciPy needed for a binomial tail)."""

from __future__ import annotations

from math import comb


def sign_test_p(wins: int, losses: int) -> float:
    """One-sided exact sign test: P(at least ``wins`` of the discordant pairs | no effect).

    Pairs where both skills pass or both fail carry no information about which is better and
    are left out, as in McNemar's exact test.
    """
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(comb(n, k) for k in range(wins, n + 1)) / 2**n
