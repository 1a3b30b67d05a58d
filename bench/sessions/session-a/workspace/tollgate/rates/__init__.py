"""LTL rates calculator (quoting portal + sales CLI)."""

from .calculator import Quote, quote  # noqa: F401
