"""The BM25 parts `history` ranks with."""

from __future__ import annotations

from cairn.memory.ranking import idf, saturation, token_count


def test_a_word_every_message_holds_weighs_little_but_not_nothing():
    assert 0 < idf(10, 10) < idf(10, 5) < idf(10, 1)
    assert idf(2, 1) > 0  # FTS5's idf is 0 here: log(1.5 / 1.5)


def test_occurrences_saturate_and_length_dilutes_them():
    assert saturation(0, 10, 10) == 0
    assert saturation(1, 10, 10) < saturation(2, 10, 10) < 2 * saturation(1, 10, 10)
    assert saturation(1, 40, 10) < saturation(1, 10, 10) < saturation(1, 5, 10)


def test_words_are_counted_as_the_index_splits_them():
    assert token_count("snake_case, v1.2 and naïve!") == 6
