"""Keeps API keys out of logs and error messages produced around model calls.

The adapter registers every configured key here; :func:`text` replaces any occurrence of a
registered key (and of its long fragments, since providers often echo a key partly masked) by
``[redacted]``, and :data:`log_filter` applies the same to every record of the loggers it is
attached to (litellm's own loggers and ours).
"""

from __future__ import annotations

import logging
import threading

REDACTED = "[redacted]"
# Fragments shorter than this are too likely to match ordinary text.
_MIN_FRAGMENT = 8

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so it is scrubbed from logs and messages from now on."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def _fragments(secret: str) -> list[str]:
    if len(secret) < 2 * _MIN_FRAGMENT:
        return [secret]
    half = len(secret) // 2
    # The whole key, then its first and last halves (masked echoes such as "sk-abc...xyz1234"
    # keep one end of the key intact).
    return [secret, secret[:half], secret[half:]]


def text(message: str) -> str:
    """``message`` with every registered secret (or long fragment of one) redacted."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        for fragment in _fragments(secret):
            if fragment in message:
                message = message.replace(fragment, REDACTED)
    return message


class _SecretFilter(logging.Filter):
    """Rewrites a record's message with secrets redacted (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        try:
            rendered = record.getMessage()
        except Exception:  # a broken record is logging's problem, not ours
            return True
        cleaned = text(rendered)
        if cleaned != rendered:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set: render the traceback once, scrubbed.
            record.exc_text = text(logging.Formatter().formatException(record.exc_info))
        return True


log_filter = _SecretFilter()
