"""R1/R2/R5 at a small scale: hypothesis message streams against the real server, 3 seeds.

bench/fuzz.py runs the same code with 10,000+ messages.
"""

from __future__ import annotations

import pytest

from tests.support.fuzzing import debug_server_command, run_fuzz


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_fuzzed_stream_is_survived_and_every_request_answered_once(seed_value, tmp_path):
    report = run_fuzz(seed_value, messages=300, root=tmp_path, command=debug_server_command())
    assert report.messages == 300 and report.probes == 4
    assert report.crashes == 0
    assert report.framing_errors == 0
    assert report.missing == [] and report.duplicated == []
    assert report.error_popups <= 1 + int(report.seconds // 60)
    assert report.exit_code == 0
