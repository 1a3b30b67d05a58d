"""The TAP reader the client tests rely on: a failure must never be read as a pass."""

from __future__ import annotations

import pytest

from tests.e2e.clients.tap import TapRun, parse_tap


def test_top_level_results_only_and_messages_between():
    output = (
        "TAP version 13\n# Subtest: a\n    ok 1 - inner\nok 1 - a\n"
        "Cairn: step 1\rnot ok 2 - b fails\n  ---\n  error: boom\nok 3 - c # SKIP not here\n1..3\n"
    )
    assert parse_tap(output) == (["a", "c"], ["b fails"])


@pytest.mark.parametrize(
    "run",
    [
        TapRun(returncode=1, passed=["a"]),
        TapRun(returncode=0, passed=["a"], failed=["b"]),
        TapRun(returncode=0),  # nothing ran: never a pass
    ],
)
def test_check_fails_on_any_failure_or_an_empty_run(run):
    with pytest.raises(pytest.fail.Exception):
        run.check()
    TapRun(returncode=0, passed=["a"]).check()
