"""Cheap, deterministic text measures shared by validation, linting and the trainer."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]")


def approx_tokens(text: str) -> int:
    """An approximate model-token count: words and punctuation marks.

    Close to BPE counts for English prose and code, with no tokenizer to download. Used for
    length guidance and edit caps, never for the trainer's hard budget (see optimize/budget.py).
    """
    return len(_TOKEN.findall(text))


def normalize_rule(text: str) -> str:
    """A rule reduced to lowercase words, so cosmetic variants compare equal."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
