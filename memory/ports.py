"""What memory needs from the outside world, as small protocols the server implements.

The server injects implementations backed by litellm; tests use deterministic fakes
(:mod:`cairn.memory.testing`). Keeping these here keeps memory free of model libraries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class TextModel(Protocol):
    """A chat model that turns OpenAI-style messages into one text reply."""

    async def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        """The model's reply to ``messages`` (at most ``max_tokens`` tokens when given)."""
        ...


class SentenceEncoder(Protocol):
    """Texts to unit vectors of meaning (`history`'s second signal, beside words).

    ``encode`` is CPU-bound and thread-safe: the store calls it in a worker thread. Its result
    is a NumPy float32 array, one ``dim``-wide row per text (typed Any: NumPy is optional)."""

    model_id: str
    dim: int

    def encode(self, texts: list[str]) -> Any:
        """One unit vector per text, in the order given."""
        ...


# Counts the tokens of one text; the server passes litellm's counter for the active model.
TokenCounter = Callable[[str], int]

_PIECES = re.compile(r"[A-Za-z]+|\d+|[^\w\s]|\w+")


def approx_tokens(text: str) -> int:
    """A deterministic, model-free token estimate that errs on the high side.

    Lower-case or capitalised words count one token per 7 letters, other letter runs one per
    4, digit runs one per 3 (BPE vocabularies split numbers in groups of three), punctuation
    one each. Against GPT-4o's tokenizer it reads 5-20% high on prose, markdown and Python,
    so a budget computed with it is never exceeded by the real count.
    """
    if not text:
        return 0
    total = 0
    for piece in _PIECES.findall(text):
        if piece.isdigit():
            total += math.ceil(len(piece) / 3)
        elif piece.isalpha() and (piece.islower() or piece.istitle()):
            total += math.ceil(len(piece) / 7)
        else:
            total += max(1, math.ceil(len(piece) / 4))
    return total
