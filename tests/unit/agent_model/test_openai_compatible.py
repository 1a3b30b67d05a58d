"""The `openai/NAME` + apiBase path against a fake OpenAI-compatible server, faults included (R19)."""

from __future__ import annotations

import logging
import time

import pytest

from cairn.server.agent.errors import (
    ContextWindowExceeded,
    IncompleteReply,
    ModelConfigError,
    ModelUnavailable,
)

USER = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        },
    }
]


async def test_streams_text_through_api_base(fake_openai, openai_client):
    fake_openai.then(chunks=["Hel", "lo", " there"], usage={"prompt_tokens": 7, "completion_tokens": 3})
    seen: list[str] = []
    reply = await openai_client().reply(USER, on_text=seen.append)
    assert seen == ["Hel", "lo", " there"]
    assert reply.text == "Hello there" and reply.finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (7, 3)
    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "fake-model" and request.body["stream"] is True
    assert request.body["messages"] == USER
    assert request.headers["authorization"] == "Bearer sk-placeholder-key-000"


async def test_native_tool_calls_assembled_from_deltas(fake_openai, openai_client):
    fake_openai.then(
        chunks=[], finish="tool_calls", tool_calls=[{"name": "read_file", "arguments": {"path": "src/a.py"}}]
    )
    reply = await openai_client(action_protocol="native").reply(USER, tools=TOOLS)
    assert reply.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("call_0", "read_file", {"path": "src/a.py"})
    ]
    assert fake_openai.requests[0].body["tools"] == TOOLS


async def test_known_model_reports_cost(fake_openai, openai_client):
    fake_openai.then(usage={"prompt_tokens": 1000, "completion_tokens": 100})
    reply = await openai_client(model="openai/gpt-4o").reply(USER)
    assert reply.usage.cost_usd == pytest.approx(0.0035)  # litellm's bundled price map


async def test_unknown_model_cost_is_none_and_window_falls_back(fake_openai, openai_client):
    client = openai_client()
    reply = await client.reply(USER)
    assert reply.usage.cost_usd is None
    assert client.context_window() == 8192
    assert openai_client(context_window=32000).context_window() == 32000


async def test_429_waits_for_retry_after_then_succeeds(fake_openai, openai_client):
    fake_openai.then(
        "status",
        status=429,
        headers={"Retry-After": "1"},
        body={"error": {"message": "slow down", "type": "rate_limit"}},
    )
    fake_openai.then(chunks=["ok"])
    started = time.monotonic()
    reply = await openai_client().reply(USER)
    assert reply.text == "ok"
    assert len(fake_openai.requests) == 2
    assert time.monotonic() - started >= 0.95  # the provider's wait was honoured


async def test_429_whose_wait_exceeds_the_deadline_fails_at_once(fake_openai, openai_client):
    fake_openai.then("status", status=429, headers={"Retry-After": "60"})
    with pytest.raises(ModelUnavailable) as caught:
        await openai_client(request_timeout=3).reply(USER)
    assert "rate limiting" in caught.value.user_message
    assert len(fake_openai.requests) == 1


async def test_503_is_retried_exactly_once_per_failure(fake_openai, openai_client):
    fake_openai.then("status", status=503).then("status", status=503).then(chunks=["fine"])
    reply = await openai_client().reply(USER)
    assert reply.text == "fine"
    # litellm's own retries are off: every request on the wire is one of ours.
    assert len(fake_openai.requests) == 3


async def test_timeout_is_retried_within_the_deadline(fake_openai, openai_client):
    fake_openai.then("hang").then(chunks=["late but fine"])
    reply = await openai_client(request_timeout=8, stall_timeout=1.0).reply(USER)
    assert reply.text == "late but fine"
    assert len(fake_openai.requests) == 2


async def test_timeouts_until_the_deadline_give_one_clear_message(fake_openai, openai_client):
    fake_openai.default.kind = "hang"
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as caught:
        await openai_client(request_timeout=2, stall_timeout=0.4).reply(USER)
    elapsed = time.monotonic() - started
    assert len(fake_openai.requests) >= 2
    assert "did not answer within the 2 s deadline" in caught.value.user_message
    assert elapsed < 2 + 1.5  # the deadline covers every attempt and wait together


async def test_stalled_stream_without_bytes_is_a_timeout(fake_openai, openai_client):
    fake_openai.then("stall", chunks=[]).then(chunks=["recovered"])
    reply = await openai_client(request_timeout=8, stall_timeout=1.0).reply(USER)
    assert reply.text == "recovered"


async def test_stalled_stream_after_shown_text_is_incomplete(fake_openai, openai_client):
    fake_openai.then("stall", chunks=["partial "])
    seen: list[str] = []
    with pytest.raises(IncompleteReply) as caught:
        await openai_client(request_timeout=4, stall_timeout=0.5).reply(USER, on_text=seen.append)
    assert caught.value.partial_text == "partial " == "".join(seen)
    assert len(fake_openai.requests) == 1  # not retried: the user already saw text


@pytest.mark.parametrize("kind", ["truncate", "eof", "malformed"])
async def test_cut_stream_after_shown_text_is_never_a_complete_reply(fake_openai, openai_client, kind):
    fake_openai.then(kind, chunks=["The answer is"])
    seen: list[str] = []
    with pytest.raises(IncompleteReply) as caught:
        await openai_client().reply(USER, on_text=seen.append)
    assert caught.value.partial_text == "The answer is"
    assert "cut off" in caught.value.user_message


@pytest.mark.parametrize("kind", ["truncate", "eof", "malformed"])
async def test_cut_stream_nobody_saw_is_retried(fake_openai, openai_client, kind):
    fake_openai.then(kind, chunks=["The answer is"]).then(chunks=["The answer is 42."])
    reply = await openai_client().reply(USER)
    assert reply.text == "The answer is 42." and reply.finish_reason == "stop"
    assert len(fake_openai.requests) == 2


async def test_bad_key_gives_one_clear_message_and_is_not_retried(fake_openai, openai_client, caplog):
    canary = "sk-canary-5b1f0e7d9a3c4e21b8f6"
    fake_openai.then(
        "status",
        status=401,
        body={
            "error": {
                "message": f"Incorrect API key provided: {canary}",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ModelConfigError) as caught:
        await openai_client(api_key=canary).reply(USER)
    assert len(fake_openai.requests) == 1
    assert "API key" in caught.value.user_message
    assert canary not in caught.value.user_message
    assert canary not in (caught.value.detail or "")
    assert canary not in caplog.text


async def test_context_length_is_reported_not_retried(fake_openai, openai_client):
    fake_openai.then(
        "status",
        status=400,
        body={
            "error": {
                "message": "This model's maximum context length is 8192 tokens. However, your messages "
                "resulted in 9000 tokens.",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
        },
    )
    with pytest.raises(ContextWindowExceeded):
        await openai_client().reply(USER)
    assert len(fake_openai.requests) == 1


async def test_unknown_model_is_a_config_error(fake_openai, openai_client):
    fake_openai.then("status", status=404, body={"error": {"message": "model not found"}})
    with pytest.raises(ModelConfigError) as caught:
        await openai_client().reply(USER)
    assert "cairn.model" in caught.value.user_message
    assert len(fake_openai.requests) == 1
