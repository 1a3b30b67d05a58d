"""The scripted model: a litellm custom provider that plays turns written by a test.

``model="scripted/<anything>"`` goes through ``litellm.acompletion`` exactly like a real model
(streaming and not, tool calls included): the adapter registers this provider in
``litellm.custom_provider_map`` only when the configured model string starts with ``scripted/``.

In-process tests::

    with ScriptedModel(turns=[{"chunks": ["Hel", "lo"]}]) as script:
        reply = await ModelClient(ModelConfig(model="scripted/test")).reply(messages)
    script.requests  # every request: {"model", "messages", "tools", "params"}

Subprocesses (e.g. the real server under an LSP client) read the environment:

- ``CAIRN_SCRIPT=/path/turns.json`` - a JSON list of turns (or ``{"turns": [...]}``), played in
  order, one per request; or ``CAIRN_SCRIPT=package.module:callable`` - called as
  ``callable(request) -> turn`` for every request.
- ``CAIRN_SCRIPT_RECORD=/path/requests.jsonl`` - every request is appended as one JSON line.

Turn format (a JSON object; a bare string means ``{"text": string}``):

- ``"text": "..."`` - the reply text (streamed word by word when the call streams).
- ``"chunks": ["Hel", "lo"]`` - the reply text streamed in exactly these chunks.
- ``"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}, "id": "call_1"}]`` -
  native tool calls (``arguments`` may also be a raw string, e.g. invalid JSON; ``id`` optional).
- ``"action": {"tool": "read_file", "arguments": {...}}`` - json-protocol output (the object is
  sent as the reply text); ``"answer": "..."`` is short for the ``final_answer`` action.
- ``"error": KIND`` - raise litellm's real exception instead of replying. KIND is one of
  ``rate_limit`` (with ``"retry_after": seconds``), ``service_unavailable``, ``timeout``,
  ``context_window``, ``auth``, ``permission_denied``, ``not_found``, ``bad_request``,
  ``content_policy``, ``internal``, ``connection``. ``"message"`` overrides the error text.
- ``"cut": true`` - stream the text, then break off before the finish reason (a connection error).
- ``"end_early": true`` - stream the text, then end the stream silently without a finish reason.
- ``"stall": true`` - stream the text (if any), then send nothing more, ever.
- ``"delay": seconds`` - pause before each chunk (and before a non-streamed reply).
- ``"finish_reason": "length"`` - override the finish reason (default ``stop`` / ``tool_calls``).
- ``"usage": {"prompt_tokens": 10, "completion_tokens": 5}`` - usage to report (default: none,
  so the adapter counts tokens itself).

When the turns run out, the request fails with a ``BadRequestError`` saying so.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from cairn.server.agent.actions import ANSWER_ACTION
from cairn.server.agent.model import custom_provider, load_litellm

SCRIPT_ENV = "CAIRN_SCRIPT"
RECORD_ENV = "CAIRN_SCRIPT_RECORD"
PROVIDER = "scripted"

Turn = dict[str, Any]
Callback = Callable[[dict], Turn | str | None]

_active: list[ScriptedModel] = []
_active_lock = threading.Lock()


class ScriptedModel:
    """A script of turns (or a callback) that the ``scripted`` provider plays while active."""

    def __init__(
        self,
        turns: list[Turn | str] | None = None,
        *,
        callback: Callback | None = None,
        record: str | os.PathLike[str] | None = None,
    ) -> None:
        if (turns is None) == (callback is None):
            raise ValueError("give exactly one of turns= or callback=")
        self._turns = [normalize_turn(turn) for turn in turns] if turns is not None else None
        self._callback = callback
        self._record = Path(record) if record else None
        self._lock = threading.Lock()
        self.requests: list[dict] = []

    def __enter__(self) -> ScriptedModel:
        with _active_lock:
            _active.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with _active_lock:
            _active.remove(self)

    @property
    def turns_left(self) -> int:
        """How many scripted turns have not been played (0 for a callback script)."""
        return len(self._turns) if self._turns is not None else 0

    def next_turn(self, request: dict) -> Turn:
        """Record ``request`` and return the turn that answers it."""
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            if self._record:
                _append_record(self._record, request)
            if self._callback is not None:
                turn = self._callback(request)
                if turn is None:
                    return _exhausted(number)
                return normalize_turn(turn)
            if not self._turns:
                return _exhausted(number)
            return self._turns.pop(0)

    @classmethod
    def from_env(cls, spec: str, record: str | None) -> ScriptedModel:
        """A script from ``CAIRN_SCRIPT`` (a JSON file of turns or ``module:callable``)."""
        path = Path(spec)
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            turns = data.get("turns") if isinstance(data, dict) else data
            if not isinstance(turns, list):
                raise ValueError(f"{SCRIPT_ENV}={spec}: expected a JSON list of turns")
            return cls(turns=turns, record=record)
        if re.fullmatch(r"[\w.]+:[\w.]+", spec):
            module_name, _, attr = spec.partition(":")
            target: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                target = getattr(target, part)
            return cls(callback=target, record=record)
        raise ValueError(f"{SCRIPT_ENV}={spec!r} is neither a file nor 'module:callable'")


def _append_record(path: Path, request: dict) -> None:
    line = json.dumps(request, default=str, ensure_ascii=False)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _exhausted(number: int) -> Turn:
    return {"error": "bad_request", "message": f"scripted model: no turn left for request #{number}"}


def normalize_turn(turn: Turn | str) -> Turn:
    """A turn in its full form (strings become text turns, actions become JSON text)."""
    if isinstance(turn, str):
        return {"text": turn}
    if not isinstance(turn, dict):
        raise ValueError(f"a turn must be an object or a string, got {type(turn).__name__}")
    turn = dict(turn)
    if "answer" in turn:
        turn["action"] = {"tool": ANSWER_ACTION, "arguments": {"text": turn.pop("answer")}}
    if "action" in turn:
        turn["text"] = json.dumps(turn.pop("action"))
    if "stream" in turn and "chunks" not in turn:
        turn["chunks"] = turn.pop("stream")
    if "chunks" in turn:
        turn["text"] = "".join(turn["chunks"])
    return turn


_env_scripts: dict[tuple[str, str | None], ScriptedModel] = {}


def _current_script() -> ScriptedModel | None:
    with _active_lock:
        if _active:
            return _active[-1]
    spec = os.environ.get(SCRIPT_ENV)
    if not spec:
        return None
    key = (spec, os.environ.get(RECORD_ENV))
    with _active_lock:
        if key not in _env_scripts:
            _env_scripts[key] = ScriptedModel.from_env(spec, key[1])
        return _env_scripts[key]


# --------------------------------------------------------------------------- turn -> events
def _request(model: str, messages: list, optional_params: dict) -> dict:
    params = {k: v for k, v in (optional_params or {}).items() if k != "tools"}
    return {
        "model": model,
        "messages": messages,
        "tools": (optional_params or {}).get("tools"),
        "params": params,
    }


def _error(litellm: Any, turn: Turn, model: str) -> Exception:
    import httpx

    kind = turn["error"]
    message = turn.get("message") or f"scripted {kind} error"
    request = httpx.Request("POST", "http://scripted.invalid/v1/chat/completions")
    common = {"llm_provider": PROVIDER, "model": model}
    if kind == "rate_limit":
        headers = {"retry-after": str(turn["retry_after"])} if "retry_after" in turn else {}
        response = httpx.Response(429, headers=headers, request=request)
        return litellm.RateLimitError(message, response=response, **common)
    simple = {
        "service_unavailable": litellm.ServiceUnavailableError,
        "timeout": litellm.Timeout,
        "context_window": litellm.ContextWindowExceededError,
        "auth": litellm.AuthenticationError,
        "not_found": litellm.NotFoundError,
        "bad_request": litellm.BadRequestError,
        "content_policy": litellm.ContentPolicyViolationError,
        "internal": litellm.InternalServerError,
        "connection": litellm.APIConnectionError,
    }
    if kind == "permission_denied":
        return litellm.PermissionDeniedError(message, response=httpx.Response(403, request=request), **common)
    if kind not in simple:
        raise ValueError(f"unknown scripted error kind {kind!r}")
    return simple[kind](message, **common)


def _chunks(turn: Turn) -> list[str]:
    if "chunks" in turn:
        return list(turn["chunks"])
    return re.findall(r"\S+\s*|\s+", turn.get("text", ""))


def _tool_calls(turn: Turn) -> list[dict]:
    calls = []
    for index, call in enumerate(turn.get("tool_calls") or []):
        arguments = call.get("arguments", {})
        calls.append(
            {
                "id": call.get("id") or f"call_scripted_{index}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
                "index": index,
            }
        )
    return calls


def _finish_reason(turn: Turn) -> str:
    return turn.get("finish_reason") or ("tool_calls" if turn.get("tool_calls") else "stop")


def _usage(turn: Turn) -> dict | None:
    usage = turn.get("usage")
    if not usage:
        return None
    prompt, completion = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _stream_events(litellm: Any, turn: Turn, model: str) -> Iterator[tuple[str, Any]]:
    """("sleep", s) / ("chunk", GenericStreamingChunk) / ("raise", exc) / ("stall", None)."""
    delay = float(turn.get("delay", 0))
    if "error" in turn:
        yield "raise", _error(litellm, turn, model)
        return
    for text in _chunks(turn):
        if delay:
            yield "sleep", delay
        yield (
            "chunk",
            {
                "text": text,
                "is_finished": False,
                "finish_reason": "",
                "usage": None,
                "index": 0,
                "tool_use": None,
            },
        )
    for call in _tool_calls(turn):
        yield (
            "chunk",
            {
                "text": "",
                "is_finished": False,
                "finish_reason": "",
                "usage": None,
                "index": 0,
                "tool_use": call,
            },
        )
    if turn.get("stall"):
        yield "stall", None
        return
    if turn.get("cut"):
        yield (
            "raise",
            litellm.APIConnectionError(
                message="scripted stream cut before its finish reason", llm_provider=PROVIDER, model=model
            ),
        )
        return
    if turn.get("end_early"):
        return
    yield (
        "chunk",
        {
            "text": "",
            "is_finished": True,
            "finish_reason": _finish_reason(turn),
            "usage": _usage(turn),
            "index": 0,
            "tool_use": None,
        },
    )


def _model_response(litellm: Any, turn: Turn, model: str) -> Any:
    message: dict[str, Any] = {"role": "assistant", "content": turn.get("text") or None}
    calls = _tool_calls(turn)
    if calls:
        message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
    fields: dict[str, Any] = {
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(turn)}],
    }
    if _usage(turn):
        fields["usage"] = _usage(turn)
    return litellm.ModelResponse(**fields)


def _play(model: str, messages: list, optional_params: dict) -> Turn:
    script = _current_script()
    request = _request(model, messages, optional_params)
    if script is None:
        return {
            "error": "bad_request",
            "message": f"scripted model: no script (use ScriptedModel or set {SCRIPT_ENV})",
        }
    return script.next_turn(request)


async def _acomplete(model: str, messages: list, optional_params: dict) -> Any:
    litellm = load_litellm()
    turn = _play(model, messages, optional_params)
    if "error" in turn:
        raise _error(litellm, turn, model)
    if turn.get("delay"):
        await asyncio.sleep(float(turn["delay"]))
    if turn.get("stall"):
        await asyncio.Event().wait()
    if turn.get("cut"):
        raise litellm.APIConnectionError(message="scripted reply cut off", llm_provider=PROVIDER, model=model)
    return _model_response(litellm, turn, model)


def _complete(model: str, messages: list, optional_params: dict) -> Any:
    litellm = load_litellm()
    turn = _play(model, messages, optional_params)
    if "error" in turn:
        raise _error(litellm, turn, model)
    time.sleep(float(turn.get("delay", 0)))
    return _model_response(litellm, turn, model)


async def _astream(model: str, messages: list, optional_params: dict) -> AsyncIterator[dict]:
    litellm = load_litellm()
    turn = _play(model, messages, optional_params)
    for kind, value in _stream_events(litellm, turn, model):
        if kind == "sleep":
            await asyncio.sleep(value)
        elif kind == "stall":
            await asyncio.Event().wait()  # until the consumer gives up (cancels)
        elif kind == "raise":
            raise value
        else:
            yield value


def _stream(model: str, messages: list, optional_params: dict) -> Iterator[dict]:
    litellm = load_litellm()
    turn = _play(model, messages, optional_params)
    for kind, value in _stream_events(litellm, turn, model):
        if kind == "sleep":
            time.sleep(value)
        elif kind == "stall":
            raise litellm.Timeout("scripted stream stalled", model=model, llm_provider=PROVIDER)
        elif kind == "raise":
            raise value
        else:
            yield value


@cache
def scripted_provider() -> Any:
    """The one ``scripted`` CustomLLM instance (built on first use: it needs litellm)."""
    return custom_provider(astream=_astream, acomplete=_acomplete, stream=_stream, complete=_complete)


class RecordingObserver:
    """A `RunObserver` for tests: keeps every streamed text delta, status line and step number."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.statuses: list[str] = []
        self.steps: list[int] = []

    def text(self, delta: str) -> None:
        self.texts.append(delta)

    def status(self, message: str) -> None:
        self.statuses.append(message)

    def step(self, number: int) -> None:
        self.steps.append(number)
