"""How `history` weighs a message's words against its meaning (when an encoder is installed).

Words (BM25, :mod:`cairn.memory.ranking`) find the message that says what was asked in the
same words; a sentence vector finds the one that says it in others ("my dog" for "which pet").
The words' score is divided by the best one of the search, so it is on the same 0..1 scale as
a cosine whatever the query's length; a message next to one that means what was asked (the
answer after a question, the second half of a fact) gets a share of that neighbour's cosine.
A message found by meaning alone must be at least ``MEANING_ONLY_FLOOR`` near, so that a
search about something never said finds nothing.
Scores are negative, lower is better, as BM25's are everywhere in `history`.
"""

from __future__ import annotations

from collections.abc import Mapping

# Chosen on split A of bench/memory_external.py (LongMemEval oracle and LoCoMo together, offline
# over the candidates each search ranked); split B is the held-out figure.
COSINE_WEIGHT = 1.0
NEIGHBOUR_WEIGHT = 0.5  # share of the best neighbour's cosine
COSINE_FLOOR = 0.0  # a cosine below this adds nothing (0.1 and 0.2 did no better)
# A message that shares no word with the query is a candidate only this near: every message
# has a cosine with any query, and without a floor a search about something never said still
# filled its limit. On split A (LoCoMo, all-MiniLM-L6-v2), 97.5% of the gold messages found by
# meaning alone are this near (2% under 0.29), while the nearest message to questions about
# topics never discussed (databases, ports, CI) is at most 0.25.
MEANING_ONLY_FLOOR = 0.3
# With meaning, a question is not halved (store_search's QUESTION_WEIGHT): a message that asks
# what is searched now has only its words' pull, and in conversations many answers end with a
# question of their own ("...and you?"), which halving pushed out of the first ten.
MEANING_QUESTION_WEIGHT = 1.0


def fuse(
    lexical: Mapping[int, float], cosine: Mapping[int, float], neighbour: Mapping[int, float]
) -> dict[int, float]:
    """One score per message of ``lexical`` (BM25, lower is better, 0 when no word matched):
    its share of the best BM25 of the search, plus its cosine and its best neighbour's."""
    best = min(lexical.values(), default=0.0)
    scores = {}
    for message_id, score in lexical.items():
        words = score / best if best < 0 else 0.0
        meaning = max(cosine.get(message_id, 0.0) - COSINE_FLOOR, 0.0)
        near = max(neighbour.get(message_id, 0.0) - COSINE_FLOOR, 0.0)
        scores[message_id] = -(words + COSINE_WEIGHT * meaning + NEIGHBOUR_WEIGHT * near)
    return scores
