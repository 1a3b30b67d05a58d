"""The retry table and loop, with litellm's real exception classes."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest

from cairn.server.agent.errors import (
    ContextWindowExceeded,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailable,
)
from cairn.server.agent.model import load_litellm
from cairn.server.agent.retry import (
    ERROR_TABLE,
    Fault,
    RetryPolicy,
    StreamCut,
    call_with_retries,
    classify,
    retry_after_seconds,
)

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, max_attempts=5, jitter=0.0)


def _rate_limit(headers: dict[str, str]):
    litellm = load_litellm()
    response = httpx.Response(429, headers=headers, request=httpx.Request("POST", "http://x"))
    return litellm.RateLimitError("slow", llm_provider="p", model="m", response=response)


def test_every_table_row_names_a_real_litellm_class_or_ours():
    litellm = load_litellm()
    for rule in ERROR_TABLE:
        assert rule.exception in ("StreamCut", "StreamStalled") or hasattr(
            litellm.exceptions, rule.exception
        ), rule.exception


def test_most_specific_class_wins_whatever_the_order():
    litellm = load_litellm()
    ctx = litellm.ContextWindowExceededError("long", model="m", llm_provider="p")
    assert classify(ctx).fault is Fault.CONTEXT  # although it is also a BadRequestError
    bad = litellm.BadRequestError("bad", model="m", llm_provider="p")
    assert classify(bad).fault is Fault.REJECTED
    assert classify(litellm.AuthenticationError("k", llm_provider="p", model="m")).fault is (Fault.CONFIG)
    assert classify(StreamCut()).fault is Fault.TRANSIENT


def test_wrapped_stream_errors_are_classified_by_their_cause():
    litellm = load_litellm()
    inner = litellm.AuthenticationError("bad key", llm_provider="p", model="m")
    wrapped = litellm.exceptions.MidStreamFallbackError(
        "cut", model="m", llm_provider="p", original_exception=inner
    )
    assert classify(wrapped).fault is Fault.CONFIG


def test_non_provider_errors_are_not_classified():
    assert classify(KeyError("bug")) is None
    assert classify(ValueError("bug")) is None


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_retry_after_header_forms(headers, expected):
    assert retry_after_seconds(_rate_limit(headers)) == expected


def test_retry_after_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after_seconds(_rate_limit({"retry-after": when})) <= 31


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 5, 5]


async def test_bugs_propagate_unchanged():
    async def attempt(_remaining):
        raise KeyError("a bug, not a provider fault")

    with pytest.raises(KeyError):
        await call_with_retries(attempt, model="m", timeout=1, policy=FAST)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda l: l.ContextWindowExceededError("x", model="m", llm_provider="p"), ContextWindowExceeded),
        (lambda l: l.AuthenticationError("x", llm_provider="p", model="m"), ModelConfigError),
        (lambda l: l.BadRequestError("x", model="m", llm_provider="p"), ModelRequestError),
    ],
)
async def test_terminal_faults_are_raised_after_one_attempt(make, expected):
    calls = 0

    async def attempt(_remaining):
        nonlocal calls
        calls += 1
        raise make(load_litellm())

    with pytest.raises(expected):
        await call_with_retries(attempt, model="m", timeout=5, policy=FAST)
    assert calls == 1


async def test_attempts_share_one_deadline():
    remaining_seen: list[float] = []

    async def attempt(remaining):
        remaining_seen.append(remaining)
        await asyncio.sleep(10)  # each attempt would hang far beyond the deadline

    with pytest.raises(ModelUnavailable):
        await call_with_retries(attempt, model="m", timeout=0.3, policy=FAST)
    assert remaining_seen[0] <= 0.3 and len(remaining_seen) == 1


async def test_max_attempts_bounds_the_retries():
    calls = 0

    async def attempt(_remaining):
        nonlocal calls
        calls += 1
        raise StreamCut("again")

    with pytest.raises(ModelUnavailable) as caught:
        await call_with_retries(attempt, model="m", timeout=30, policy=FAST)
    assert calls == FAST.max_attempts
    assert "ended before the model finished" in caught.value.user_message
