"""Okapi BM25 for `history`, computed here rather than by FTS5's ``bm25()``.

A message is indexed with its own words, the start of its neighbours and its date (migration
0004). FTS5 counted a word's rarity over whole rows (each message also indexes its neighbours'
words, so every word looked up to four times as common) and gave a word held by half the rows
or more no weight at all (in a short history, the topic word of every session). Here a word's
rarity is counted over messages' own words and never reaches 0; its occurrences in each column
are weighed, added and saturated once, with the row's weighed length, as FTS5 does.
"""

from __future__ import annotations

import math
import re

K1, B = 1.2, 0.75  # FTS5's own constants
_TOKEN = re.compile(r"[^\W_]+")  # near enough to the unicode61 tokenizer's words


def token_count(text: str) -> int:
    """How many words ``text`` has, as the index counts them (near enough)."""
    return sum(1 for _ in _TOKEN.finditer(text))


def idf(total: int, holding: int) -> float:
    """The weight of a word ``holding`` of ``total`` messages hold: BM25's, shifted by one
    inside the log (as Lucene does) so that a common word weighs little, never nothing."""
    return math.log(1 + (total - holding + 0.5) / (holding + 0.5))


def saturation(frequency: float, length: float, mean_length: float) -> float:
    """BM25's term-frequency part: more occurrences count for less and less, and for less in
    a text longer than ``mean_length``."""
    if frequency <= 0:
        return 0.0
    norm = K1 * (1 - B + B * length / mean_length) if mean_length > 0 else K1
    return frequency * (K1 + 1) / (frequency + norm)
