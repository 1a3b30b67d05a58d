"""The two action protocols behind ``ModelClient.reply``.

"native": tools go to the provider as OpenAI function tools and come back as ``tool_calls``.
:class:`PlainStream` forwards every text delta to the caller.

"json" (the embedded model, small local models, or any model configured so): the tools are
described in an instruction (``prompts/json_actions.md``), decoding is constrained to
:func:`action_schema` - one object ``{"tool": <name>, "arguments": {...}}`` whose alternatives
are the tools plus :data:`ANSWER_ACTION` carrying the text for the user - and the decoded object
becomes the same ``ModelReply`` a native call would give. :class:`AnswerStream` forwards only the
answer's text while the JSON streams. Past tool calls and results are rewritten into plain
messages, since small models' chat templates do not render OpenAI tool messages reliably.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

ANSWER_ACTION = "final_answer"
_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}


# --------------------------------------------------------------------------- request side
def tool_names(tools: list[dict]) -> list[str]:
    """Names of OpenAI function tools, in order."""
    return [tool["function"]["name"] for tool in tools]


def action_schema(tools: list[dict]) -> dict:
    """JSON schema of one action: a ``oneOf`` over the tools, each with its own arguments."""
    names = tool_names(tools)
    if ANSWER_ACTION in names:
        raise ValueError(f"a tool may not be called {ANSWER_ACTION!r}: that name is the answer")
    alternatives = [
        _alternative(tool["function"]["name"], tool["function"].get("parameters")) for tool in tools
    ]
    alternatives.append(_alternative(ANSWER_ACTION, _ANSWER_SCHEMA))
    return {"oneOf": alternatives}


def simple_action_schema(tools: list[dict]) -> dict:
    """The fallback schema: tool name as an enum, arguments any object."""
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [*tool_names(tools), ANSWER_ACTION]},
            "arguments": {"type": "object"},
        },
        "required": ["tool", "arguments"],
    }


def _alternative(name: str, parameters: dict | None) -> dict:
    # "tool" first: grammars emit properties in this order, so the name streams before the text.
    return {
        "type": "object",
        "properties": {
            "tool": {"const": name},
            "arguments": parameters or {"type": "object", "properties": {}},
        },
        "required": ["tool", "arguments"],
    }


def json_request(messages: list[dict], tools: list[dict] | None) -> tuple[list[dict], dict]:
    """Messages (instruction added, history rewritten) and the ``response_format`` to send."""
    tools = tools or []
    schema = action_schema(tools)
    instruction = _prompt("json_actions.md").replace("{tools}", _describe_tools(tools))
    instruction = instruction.replace("{answer}", ANSWER_ACTION)
    rewritten = rewrite_history(messages)
    if rewritten and rewritten[0].get("role") == "system":
        first = dict(rewritten[0])
        first["content"] = f"{_text_of(first.get('content'))}\n\n{instruction}"
        rewritten[0] = first
    else:
        rewritten.insert(0, {"role": "system", "content": instruction})
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "action", "schema": schema, "strict": False},
    }
    return rewritten, response_format


@cache
def _prompt(name: str) -> str:
    return resources.files("cairn.server.agent").joinpath(f"prompts/{name}").read_text("utf-8")


def _describe_tools(tools: list[dict]) -> str:
    lines = []
    for tool in tools:
        function = tool["function"]
        params = json.dumps(function.get("parameters") or {}, separators=(",", ":"))
        lines.append(
            f"- {function['name']}: {function.get('description', '').strip()} Arguments schema: {params}"
        )
    lines.append(
        f"- {ANSWER_ACTION}: Give your final answer to the user. "
        f"Arguments schema: {json.dumps(_ANSWER_SCHEMA, separators=(',', ':'))}"
    )
    return "\n".join(lines)


def rewrite_history(messages: list[dict]) -> list[dict]:
    """OpenAI-format history as plain messages in the json protocol's own terms."""
    calls_by_id: dict[str, str] = {}  # call id -> "name({arguments})", to label results
    rewritten: list[dict] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if calls:
                actions = []
                for call in calls:
                    function = call.get("function", {})
                    arguments, _ = parse_arguments(function.get("arguments") or "{}")
                    calls_by_id[call.get("id", "")] = f"{function.get('name')}({json.dumps(arguments)})"
                    actions.append(json.dumps({"tool": function.get("name"), "arguments": arguments}))
                content = "\n".join(actions)
            else:
                content = json.dumps(
                    {"tool": ANSWER_ACTION, "arguments": {"text": _text_of(message.get("content"))}}
                )
            rewritten.append({"role": "assistant", "content": content})
        elif role == "tool":
            call = calls_by_id.get(message.get("tool_call_id", ""), message.get("name") or "tool")
            result = (
                _prompt("json_tool_result.md")
                .replace("{call}", call)
                .replace("{answer}", ANSWER_ACTION)
                .replace("{result}", _text_of(message.get("content")))
            )
            rewritten.append({"role": "user", "content": result.rstrip("\n")})
        else:
            rewritten.append({"role": role, "content": _text_of(message.get("content"))})
    return rewritten


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: keep the text parts
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


# --------------------------------------------------------------------------- streaming side
class PlainStream:
    """Native protocol: every text delta goes to ``on_text`` as it arrives."""

    def __init__(self, on_text: Callable[[str], None] | None) -> None:
        self._on_text = on_text
        self._shown: list[str] = []
        self.emitted = False

    def feed(self, delta: str) -> None:
        if self._on_text is not None and delta:
            self._on_text(delta)
            self._shown.append(delta)
            self.emitted = True

    def shown_text(self) -> str:
        return "".join(self._shown)


_ANSWER_START = re.compile(
    r'^\s*\{\s*"tool"\s*:\s*"(?P<tool>[^"\\]*)"\s*,\s*"arguments"\s*:\s*\{\s*"text"\s*:\s*"'
)
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass
class AnswerStream:
    """Json protocol: forwards only the answer's text, decoded from the JSON as it streams."""

    on_text: Callable[[str], None] | None
    emitted: bool = False
    _buffer: str = ""
    _pos: int | None = None  # index in _buffer where the answer string's next char is
    _decided: bool = False
    _closed: bool = False
    _shown: list[str] = field(default_factory=list)
    _decoded: list[str] = field(default_factory=list)  # the answer so far, shown or not

    @property
    def is_answer(self) -> bool:
        """Whether the streamed object was recognised as the answer action."""
        return self._pos is not None

    def answer_text(self) -> str:
        """The answer's text decoded so far (all of it once the closing quote arrived)."""
        return "".join(self._decoded)

    def feed(self, delta: str) -> None:
        self._buffer += delta
        if not self._decided:
            match = _ANSWER_START.match(self._buffer)
            if match is None:
                # Undecidable yet while the buffer could still become the answer's prefix.
                if not _could_become_answer(self._buffer):
                    self._decided = True
                return
            self._decided = True
            if match.group("tool") != ANSWER_ACTION:
                return
            self._pos = match.end()
        if self._pos is not None and not self._closed:
            text, self._pos, self._closed = _decode_partial_string(self._buffer, self._pos)
            self._decoded.append(text)
            self._emit(text)

    def finish(self, answer: str) -> None:
        """Show whatever part of the final ``answer`` the stream could not show."""
        shown = self.shown_text()
        if answer.startswith(shown):
            self._emit(answer[len(shown) :])
        elif not shown:
            self._emit(answer)

    def _emit(self, text: str) -> None:
        if text and self.on_text is not None:
            self.on_text(text)
            self._shown.append(text)
            self.emitted = True

    def shown_text(self) -> str:
        return "".join(self._shown)


def _could_become_answer(buffer: str) -> bool:
    prefix = f'{{"tool": "{ANSWER_ACTION}", "arguments": {{"text": "'
    compact = re.sub(r"\s+", "", buffer)
    target = re.sub(r"\s+", "", prefix)
    return target.startswith(compact)


def _decode_partial_string(buffer: str, pos: int) -> tuple[str, int, bool]:
    """Decode JSON string content from ``pos``; stop before an incomplete escape or at the end.

    Returns (decoded text, new position, whether the closing quote was reached).
    """
    out: list[str] = []
    i = pos
    while i < len(buffer):
        char = buffer[i]
        if char == '"':
            return "".join(out), i + 1, True
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(buffer):
            break
        code = buffer[i + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
            continue
        if code != "u" or i + 6 > len(buffer):
            break
        value = int(buffer[i + 2 : i + 6], 16)
        if 0xD800 <= value < 0xDC00:  # high surrogate: needs its low half
            if i + 12 > len(buffer):
                break
            low = int(buffer[i + 8 : i + 12], 16)
            out.append(chr(0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)))
            i += 12
        else:
            out.append(chr(value))
            i += 6
    return "".join(out), i, False


# --------------------------------------------------------------------------- decoding side
@dataclass(frozen=True)
class DecodedAction:
    """The model's one action: a tool call (``tool`` set) or the answer (``tool`` None)."""

    tool: str | None
    arguments: dict
    answer: str = ""
    error: str | None = None
    parsed: bool = True  # False: the output held no action object (plain or truncated text)


def decode_action(text: str) -> DecodedAction:
    """Turn the model's JSON output into an action; text that is no action is the answer."""
    obj = _first_json_object(text)
    if not isinstance(obj, dict):
        return DecodedAction(tool=None, arguments={}, answer=text.strip(), parsed=False)
    name = obj.get("tool", obj.get("name", obj.get("action")))
    arguments = obj.get("arguments", obj.get("args", obj.get("parameters", {})))
    if not isinstance(name, str) or not name:
        return DecodedAction(tool=None, arguments={}, answer=text.strip(), parsed=False)
    if name == ANSWER_ACTION:
        answer = arguments.get("text") if isinstance(arguments, dict) else arguments
        return DecodedAction(
            tool=None, arguments={}, answer=answer if isinstance(answer, str) else json.dumps(answer)
        )
    if isinstance(arguments, str):
        arguments, error = parse_arguments(arguments)
        return DecodedAction(tool=name, arguments=arguments, error=error)
    if not isinstance(arguments, dict):
        return DecodedAction(
            tool=name, arguments={}, error=f"arguments must be a JSON object, got {type(arguments).__name__}"
        )
    return DecodedAction(tool=name, arguments=arguments)


def _first_json_object(text: str) -> Any:
    stripped = text.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", stripped, re.S)
    if fenced:
        stripped = fenced.group(1)
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        pass
    start = stripped.find("{")
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(stripped[start:])[0]
    except (ValueError, RecursionError):
        return None


def parse_arguments(raw: str) -> tuple[dict, str | None]:
    """Decode a tool call's argument text: (arguments, None) or ({}, why it is not usable)."""
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"arguments are not valid JSON ({exc.msg} at position {exc.pos})"
    except RecursionError:  # model output nested deeper than the parser goes
        return {}, "arguments are nested too deeply to be valid JSON"
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None
