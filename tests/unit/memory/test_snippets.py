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


def test_each_matched_word_gets_a_line_before_any_word_gets_a_second():
    """An answer opened with the one line naming 'Replace' and then discussed 'Forbid' at
    length: the window showed five 'Forbid' lines and left the answer's first line out."""
    first = "Replace would kill a run mid-upsert."
    filler = [f"Note {n}: nothing to see on this line, just words about the weather." for n in range(4)]
    forbid = [
        f"Forbid keeps run {n} of the importer alone; concurrencyPolicy Forbid stays." for n in range(14)
    ]
    text = "\n".join([first, *filler, *forbid])
    assert len(text) > WINDOW_CHARS
    matches = [(m.start(), m.end()) for m in __import__("re").finditer(r"Replace|Forbid|importer", text)]
    shown = window(text, matches)
    assert first in shown.text
    assert "Forbid keeps run" in shown.text


def test_a_word_matched_in_several_forms_counts_once():
    first = "I'd keep Forbid. With Replace, the running job is killed mid-upsert."
    middle = [f"Filler line {n} without any of the words we look for, just padding." for n in range(6)]
    later = "The import lock makes Forbid matter: two imports would run, says the importer."
    tail = [f"More filler {n}, again with nothing that matches the query at all here." for n in range(6)]
    text = "\n".join([first, *middle, later, *tail])
    matches = [
        (m.start(), m.end()) for m in __import__("re").finditer(r"(?i)forbid|replace|imports?|importer", text)
    ]
    shown = window(text, matches, budget=len(first) + 5)
    assert first in shown.text
