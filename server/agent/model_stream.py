"""Reads one litellm stream into a complete reply, or says precisely why it is not complete.

A reply counts as complete only when the provider itself sent a finish reason. litellm closes
custom-provider streams with a synthetic ``finish_reason="stop"`` even when the provider stopped
early, so the wrapper's own record of a received finish reason is checked as well.

Failure rules (the retry layer relies on them):
- nothing shown to the user yet -> the raw error (or :class:`StreamCut` / :class:`StreamStalled`)
  propagates and the retry table decides;
- text already shown through the sink -> :class:`IncompleteReply` carrying that text, because a
  retry would show it twice and the partial reply must never be stored as complete.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cairn.server.agent.errors import IncompleteReply
from cairn.server.agent.retry import StreamCut, StreamStalled

logger = logging.getLogger(__name__)


class TextSink(Protocol):
    """Where text deltas go while they stream (see ``actions.PlainStream``/``AnswerStream``)."""

    emitted: bool  # whether the user has seen any text of this attempt

    def feed(self, delta: str) -> None: ...

    def shown_text(self) -> str: ...


@dataclass
class StreamedCall:
    """A tool call assembled from deltas; ``arguments`` is the raw JSON text."""

    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class Collected:
    """Everything one finished stream delivered."""

    text: str = ""
    tool_calls: list[StreamedCall] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


async def collect_stream(
    open_stream: Callable[[], Awaitable[Any]], *, sink: TextSink, stall: float
) -> Collected:
    """Open a stream and read it to its finish reason, with ``stall`` seconds of patience per read."""
    try:
        async with asyncio.timeout(stall):
            stream = await open_stream()
    except TimeoutError:
        raise StreamStalled(f"no response within {stall:g} s") from None
    collected = Collected()
    calls: dict[Any, StreamedCall] = {}
    try:
        while True:
            try:
                async with asyncio.timeout(stall):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise StreamStalled(f"no stream data for {stall:g} s") from None
            _absorb(chunk, collected, calls, sink)
        if collected.finish_reason is None or _finish_was_synthetic(stream):
            raise StreamCut("the stream ended without a finish reason")
    except Exception as exc:
        if sink.emitted:
            logger.warning("reply stream failed after text was shown: %s", type(exc).__name__)
            raise IncompleteReply(
                "The model's reply was cut off before it finished; it was not saved. "
                "Ask again to get a complete answer.",
                partial_text=sink.shown_text(),
                detail=type(exc).__name__,
            ) from exc
        raise
    finally:
        await _close(stream)
    collected.tool_calls = list(calls.values())
    return collected


def _absorb(chunk: Any, collected: Collected, calls: dict[Any, StreamedCall], sink: TextSink) -> None:
    usage = getattr(chunk, "usage", None)
    if usage is not None:
        collected.prompt_tokens = getattr(usage, "prompt_tokens", None)
        collected.completion_tokens = getattr(usage, "completion_tokens", None)
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return
    choice = choices[0]
    delta = getattr(choice, "delta", None)
    if delta is not None:
        content = getattr(delta, "content", None)
        if content:
            collected.text += content
            sink.feed(content)
        for part in getattr(delta, "tool_calls", None) or []:
            _absorb_tool_delta(part, calls)
    if getattr(choice, "finish_reason", None):
        collected.finish_reason = choice.finish_reason


def _absorb_tool_delta(part: Any, calls: dict[Any, StreamedCall]) -> None:
    index = getattr(part, "index", None)
    call_id = getattr(part, "id", None)
    if index is None:
        # Some providers omit the index: a new id starts a new call, no id continues the last.
        index = call_id if call_id and call_id not in calls else (list(calls)[-1] if calls else 0)
    call = calls.setdefault(index, StreamedCall())
    function = getattr(part, "function", None)
    if call_id and not call.id:
        call.id = call_id
    if function is not None:
        if getattr(function, "name", None):
            call.name = function.name
        if getattr(function, "arguments", None):
            call.arguments += function.arguments


def _finish_was_synthetic(stream: Any) -> bool:
    """True when litellm invented the finish reason because the provider sent none."""
    if not hasattr(stream, "received_finish_reason"):
        return False
    return (
        stream.received_finish_reason is None
        and getattr(stream, "intermittent_finish_reason", None) is None
        and not getattr(stream, "received_any_finish_reason", False)
    )


async def _close(stream: Any) -> None:
    """Release the HTTP connection / worker of an unfinished stream (never raises)."""
    closer = getattr(stream, "aclose", None)
    if closer is None:
        return
    try:
        await closer()
    except Exception:  # closing is best effort
        logger.debug("closing the reply stream failed", exc_info=True)
