"""The embedded model as the litellm custom provider ``cairn-local``.

So the embedded model takes the same path as every other model (retries, streaming, the json
protocol), it is served through ``litellm.acompletion``. Generation runs in a worker thread and
streams through a queue; when the consumer stops (cancellation, stall, early close) the worker's
cancel event is set and llama.cpp stops within a token.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

from cairn.server.agent.local.catalog import LocalModelSpec, spec_for
from cairn.server.agent.local.runtime import (
    Generation,
    GenerationCancelled,
    PromptTooLong,
    runtime_for,
)
from cairn.server.agent.model import custom_provider, load_litellm

logger = logging.getLogger(__name__)

PROVIDER = "cairn-local"
DEFAULT_MAX_TOKENS = 4096
_DONE = object()


def _spec(model: str) -> LocalModelSpec:
    return spec_for(model if model.startswith(f"{PROVIDER}/") else f"{PROVIDER}/{model}")


def _generation(messages: list, optional_params: dict) -> Generation:
    params = optional_params or {}
    response_format = params.get("response_format") or {}
    schema = None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
    elif response_format.get("type") == "json_object":
        schema = response_format.get("schema") or {"type": "object"}
    return Generation(
        messages=[{"role": m.get("role"), "content": m.get("content") or ""} for m in messages],
        max_tokens=int(params.get("max_tokens") or params.get("max_completion_tokens") or DEFAULT_MAX_TOKENS),
        json_schema=schema,
        temperature=float(params.get("temperature") or 0.0),
        seed=int(params.get("seed") or 0),
    )


def _to_chunk(chunk: dict) -> dict | None:
    """A llama-cpp stream chunk as litellm's GenericStreamingChunk (None: nothing to pass on)."""
    choice = (chunk.get("choices") or [{}])[0]
    text = (choice.get("delta") or {}).get("content") or ""
    finish = choice.get("finish_reason")
    if not text and not finish:
        return None
    return {
        "text": text,
        "is_finished": bool(finish),
        "finish_reason": finish or "",
        "usage": None,
        "index": 0,
        "tool_use": None,
    }


def _usage_chunk(request: Generation, finish: str) -> dict:
    stats = request.stats
    return {
        "text": "",
        "is_finished": True,
        "finish_reason": finish,
        "index": 0,
        "tool_use": None,
        "usage": {
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
            "total_tokens": stats.prompt_tokens + stats.completion_tokens,
        },
    }


def _generate(litellm: Any, model: str, request: Generation) -> Iterator[dict]:
    """Blocking: the litellm chunks of one generation, finish reason and usage last."""
    runtime = runtime_for(_spec(model))
    finish = None
    try:
        for raw in runtime.stream(request):
            chunk = _to_chunk(raw)
            if chunk is None:
                continue
            if chunk["is_finished"]:
                finish = chunk["finish_reason"]
                if chunk["text"]:
                    yield {**chunk, "is_finished": False, "finish_reason": ""}
                continue
            yield chunk
    except PromptTooLong as exc:
        raise litellm.ContextWindowExceededError(str(exc), model=model, llm_provider=PROVIDER) from None
    if finish is None:
        raise litellm.APIConnectionError(
            message="embedded model stopped without a finish reason", llm_provider=PROVIDER, model=model
        )
    yield _usage_chunk(request, finish)


async def _stream_from_thread(litellm: Any, model: str, request: Generation) -> AsyncIterator[dict]:
    """Run :func:`_generate` in a worker thread and yield its chunks on the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def put(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: nobody is listening any more
            request.cancel.set()

    def work() -> None:
        try:
            for chunk in _generate(litellm, model, request):
                if request.cancel.is_set():
                    break
                put(chunk)
            put(_DONE)
        except GenerationCancelled:
            put(_DONE)
        except BaseException as exc:  # handed to the consumer to raise
            put(exc)

    worker = threading.Thread(target=work, name="cairn-local-generate", daemon=True)
    worker.start()
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        request.cancel.set()  # consumer gone (finished, cancelled or failed): stop generating


async def _astream(model: str, messages: list, optional_params: dict) -> AsyncIterator[dict]:
    request = _generation(messages, optional_params)
    async for chunk in _stream_from_thread(load_litellm(), model, request):
        yield chunk


async def _acomplete(model: str, messages: list, optional_params: dict) -> Any:
    chunks = [chunk async for chunk in _astream(model, messages, optional_params)]
    return _response(load_litellm(), model, chunks)


def _stream(model: str, messages: list, optional_params: dict) -> Iterator[dict]:
    yield from _generate(load_litellm(), model, _generation(messages, optional_params))


def _complete(model: str, messages: list, optional_params: dict) -> Any:
    return _response(load_litellm(), model, list(_stream(model, messages, optional_params)))


@cache
def local_provider() -> Any:
    """The one ``cairn-local`` CustomLLM instance (built on first use: it needs litellm)."""
    return custom_provider(astream=_astream, acomplete=_acomplete, stream=_stream, complete=_complete)


def _response(litellm: Any, model: str, chunks: list[dict]) -> Any:
    last = chunks[-1]
    return litellm.ModelResponse(
        model=model,
        choices=[
            {
                "index": 0,
                "finish_reason": last["finish_reason"],
                "message": {"role": "assistant", "content": "".join(c["text"] for c in chunks)},
            }
        ],
        usage=last["usage"],
    )
