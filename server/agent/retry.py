"""The one retry layer: an explicit table of litellm error classes and what each one means.

Every failed model call is classified by walking the exception's class hierarchy until a class
named in :data:`ERROR_TABLE` is found (so ``ContextWindowExceededError`` wins over its base
``BadRequestError`` whatever the table order). Transient faults are retried with backoff inside
ONE deadline for the whole call; a 429's ``Retry-After`` is honoured; everything else becomes one
member of the :mod:`errors` family with a single clear message. litellm's own retries are turned
off by the caller, so nothing multiplies the deadline.

This module never imports litellm: the table names classes, it does not hold them.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from cairn.server.agent.errors import (
    AgentError,
    ContextWindowExceeded,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailable,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Fault(enum.Enum):
    """What a failure means for the caller."""

    TRANSIENT = "transient"  # retry with backoff within the deadline
    RATE_LIMITED = "rate_limited"  # retry after the provider's Retry-After (or backoff)
    CONTEXT = "context"  # not retried here: the caller compacts and retries once
    CONFIG = "config"  # the user must change a setting
    REJECTED = "rejected"  # this request is refused; the same request would be again


@dataclass(frozen=True)
class Rule:
    """One row of the table: a litellm exception class name, its fault, and what to tell the user."""

    exception: str
    fault: Fault
    message: str


class StreamCut(Exception):
    """Raised by the model adapter when a stream ended or broke before its finish reason."""


class StreamStalled(Exception):
    """Raised by the model adapter when no stream data arrived within the stall timeout."""


# Most specific classes first only for readability: lookup walks the MRO, not this order.
ERROR_TABLE: tuple[Rule, ...] = (
    Rule(
        "AuthenticationError",
        Fault.CONFIG,
        "the provider rejected the API key; check cairn.apiKey (CAIRN_API_KEY)",
    ),
    Rule(
        "PermissionDeniedError",
        Fault.CONFIG,
        "the API key is not allowed to use this model; check cairn.model and the key's access",
    ),
    Rule(
        "NotFoundError",
        Fault.CONFIG,
        "the provider does not know this model; check cairn.model (and cairn.apiBase)",
    ),
    Rule(
        "LiteLLMUnknownProvider",
        Fault.CONFIG,
        "unknown provider in the model string; use 'provider/model', e.g. 'openai/gpt-4.1'",
    ),
    Rule(
        "PaymentRequiredError", Fault.CONFIG, "the provider requires payment or more credit for this account"
    ),
    Rule("BudgetExceededError", Fault.CONFIG, "the configured spending budget is exhausted"),
    Rule(
        "ContextWindowExceededError",
        Fault.CONTEXT,
        "the conversation is too long for the model's context window",
    ),
    Rule("ContentPolicyViolationError", Fault.REJECTED, "the provider's content policy refused this request"),
    Rule("UnsupportedParamsError", Fault.REJECTED, "the model does not support a parameter of this request"),
    Rule("JSONSchemaValidationError", Fault.REJECTED, "the model's answer did not match the required format"),
    Rule("UnprocessableEntityError", Fault.REJECTED, "the provider could not process the request"),
    Rule("BadRequestError", Fault.REJECTED, "the provider refused the request as invalid"),
    Rule("RateLimitError", Fault.RATE_LIMITED, "the provider is rate limiting requests"),
    Rule("Timeout", Fault.TRANSIENT, "the provider timed out"),
    Rule("MidStreamFallbackError", Fault.TRANSIENT, "the reply stream broke off"),
    Rule("ServiceUnavailableError", Fault.TRANSIENT, "the provider is unavailable (503)"),
    Rule("BadGatewayError", Fault.TRANSIENT, "the provider's gateway failed (502)"),
    Rule("InternalServerError", Fault.TRANSIENT, "the provider had an internal error (500)"),
    Rule("APIConnectionError", Fault.TRANSIENT, "could not connect to the provider"),
    Rule("APIResponseValidationError", Fault.TRANSIENT, "the provider sent a malformed response"),
    Rule("APIError", Fault.TRANSIENT, "the provider returned an error"),
    Rule("StreamCut", Fault.TRANSIENT, "the reply stream ended before the model finished"),
    Rule("StreamStalled", Fault.TRANSIENT, "the reply stream stalled"),
)

_RULES = {rule.exception: rule for rule in ERROR_TABLE}
_OUR_MODULES = ("litellm.exceptions", __name__)


def classify(exc: BaseException) -> Rule | None:
    """The table row for ``exc``, or None when it is not a provider fault (e.g. a bug).

    litellm wraps errors raised inside a stream (``MidStreamFallbackError``); the wrapped
    error decides, so a 429 or a bad key inside a stream is still a 429 or a bad key.
    """
    inner = getattr(exc, "original_exception", None)
    if isinstance(inner, BaseException) and inner is not exc:
        rule = classify(inner)
        if rule is not None:
            return rule
    for cls in type(exc).__mro__:
        if cls.__module__ in _OUR_MODULES and cls.__name__ in _RULES:
            return _RULES[cls.__name__]
    return None


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait the provider asked for (``retry-after-ms`` / ``retry-after``), if any."""
    for headers in _header_sources(exc):
        for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            value = _header(headers, name)
            if value is None:
                continue
            seconds = _parse_retry_after(value.strip())
            if seconds is not None:
                return max(0.0, seconds * scale)
    return None


def _retry_after_of(exc: BaseException) -> float | None:
    inner = getattr(exc, "original_exception", None)
    own = retry_after_seconds(exc)
    return own if own is not None or not isinstance(inner, BaseException) else (retry_after_seconds(inner))


def _header_sources(exc: BaseException) -> list[object]:
    response = getattr(exc, "response", None)
    return [
        src
        for src in (
            getattr(exc, "headers", None),
            getattr(response, "headers", None),
            getattr(exc, "litellm_response_headers", None),
        )
        if src
    ]


def _header(headers: object, name: str) -> str | None:
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name)
    if value is None and isinstance(headers, dict):  # plain dicts are case-sensitive
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = lowered.get(name)
    return None if value is None else str(value)


def _parse_retry_after(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return when.timestamp() - time.time()


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between transient failures; the deadline is the caller's and always wins."""

    base_delay: float = 1.0
    max_delay: float = 30.0
    max_attempts: int = 8
    jitter: float = 0.2  # fraction of the delay, so parallel windows do not retry in lockstep

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based), without a Retry-After."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (1.0 + random.uniform(0.0, self.jitter))


def terminal_error(rule: Rule, model: str, detail: str) -> AgentError:
    """The AgentError for a fault that is not (or no longer) retried."""
    text = f"Model '{model}': {rule.message}."
    if rule.fault is Fault.CONFIG:
        return ModelConfigError(text, detail=detail)
    if rule.fault is Fault.CONTEXT:
        return ContextWindowExceeded(text, detail=detail)
    if rule.fault is Fault.REJECTED:
        return ModelRequestError(text, detail=detail)
    return ModelUnavailable(text, detail=detail)


async def call_with_retries(
    attempt: Callable[[float], Awaitable[T]],
    *,
    model: str,
    timeout: float,
    policy: RetryPolicy = RetryPolicy(),
    describe: Callable[[BaseException], str] = str,
) -> T:
    """Run ``attempt(remaining_seconds)`` until it succeeds or the table says stop.

    ``timeout`` is the ONE deadline for every attempt and every wait together. ``describe``
    turns an exception into loggable text (the adapter passes a secret-scrubbing one).
    AgentErrors raised by ``attempt`` pass through untouched; exceptions the table does not
    know (bugs) propagate as they are.
    """
    deadline = time.monotonic() + timeout
    last: tuple[Rule, str] | None = None
    for number in range(1, policy.max_attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                return await attempt(remaining)
        except AgentError:
            raise
        except Exception as exc:  # classified below, unknown ones re-raised
            # A bare TimeoutError is the deadline (or an inner wait) expiring: a timeout fault.
            rule = _RULES["Timeout"] if isinstance(exc, TimeoutError) else classify(exc)
            if rule is None:
                raise
            detail = describe(exc) or type(exc).__name__
            if rule.fault not in (Fault.TRANSIENT, Fault.RATE_LIMITED):
                logger.warning("model call failed, not retried (%s): %s", rule.exception, detail)
                raise terminal_error(rule, model, detail) from None
            last = (rule, detail)
            wait = _retry_after_of(exc) if rule.fault is Fault.RATE_LIMITED else None
            wait = policy.backoff(number) if wait is None else wait
            remaining = deadline - time.monotonic()
            logger.info(
                "model call attempt %d failed (%s), retry in %.1fs (%.1fs left): %s",
                number,
                rule.exception,
                wait,
                remaining,
                detail,
            )
            if number == policy.max_attempts or wait >= remaining:
                break
            await asyncio.sleep(wait)
    rule, detail = last if last else (_RULES["Timeout"], "deadline reached before any attempt")
    raise ModelUnavailable(
        f"Model '{model}' did not answer within the {timeout:g} s deadline "
        f"(last problem: {rule.message}). Try again later, or raise cairn.requestTimeout.",
        detail=detail,
    ) from None
