"""Windows of exact text around matches (no markers, whole lines, values never cut)."""

from __future__ import annotations

from cairn.memory.snippets import SHORT_CHARS, WINDOW_CHARS, spans, window

PIN = "requests[socks]==2.31.0"


def test_a_very_long_line_is_cut_at_whitespace_and_keeps_the_value_whole():
    text = " ".join(f"word{i}" for i in range(400)) + f" {PIN} " + " ".join(f"tail{i}" for i in range(400))
    start = text.index(PIN)
    shown = window(text, [(start, start + len("requests"))])
    assert PIN in shown.text and not shown.whole and len(shown.text) < WINDOW_CHARS + 50
    body = shown.text.strip("…")
    assert body.split()[0] in text.split() and body.split()[-1] in text.split()  # no word cut


def test_short_text_is_whole_and_markers_in_the_text_disable_spans():
    assert window("a" * SHORT_CHARS, None).whole
    assert spans("x\ue000y\ue001", "xy") == [(1, 2)]
    assert spans("x\ue000y\ue001", "x\ue000y") is None  # the text had a marker: do not trust
