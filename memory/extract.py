"""Deterministic extraction of exact values and verbatim statements from a transcript.

The checkpoint writer never asks a model for ports, paths, commands or identifiers: they are
pulled out of the messages here and copied byte for byte (the model only writes narrative).

Trust follows the role (R17): directives come only from the user's own messages; decisions
and facts from user and assistant messages; tool output contributes only files, commands,
errors and live resources, each labelled with the tool it came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cairn.memory.records import StoredMessage

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])|\n+")
_PATH = re.compile(
    r"(?<![\w/.:-])(?:\.{0,2}/)?(?:[\w.@-]+/)*[\w@-][\w.@-]*\.[A-Za-z][A-Za-z0-9]{0,7}(?![\w/])"
    r"|(?<![\w/.:-])(?:[\w.@-]+/){1,}[\w.@-]+/?(?![\w/])"
)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>()\]]+")
_HOST_PORT = re.compile(r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|[a-z][\w.-]*\.[a-z]{2,}|\[::1\]):\d{2,5}\b")
_PORT = re.compile(r"\bport\s+(?:number\s+)?(?:is\s+|=\s*|:\s*)?(\d{2,5})\b", re.IGNORECASE)
_PID = re.compile(r"\b(?:pid|PID|process)\s*[:=]?\s*(\d{2,7})\b")
_ENV_ASSIGN = re.compile(r"\b[A-Z][A-Z0-9_]{2,}=[^\s\"'`]+")
_BACKTICK = re.compile(r"`([^`\n]{2,200})`")
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?(?![\w.])")
_IDENT = re.compile(r"\b(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+){1,}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){1,})\b")
_NUMBER = re.compile(r"(?<![\w.])\d{2,}(?:\.\d+)?(?![\w.])")
_ERROR = re.compile(r"(Traceback|Error|Exception|FAILED|error:|fatal:|panic:|command not found|"
                    r"No such file|Permission denied|exit (?:code|status) [1-9])")
_DIRECTIVE = re.compile(
    r"\b(always|never|don'?t|do not|must|mustn'?t|should(?:n'?t)?|make sure|ensure|prefer|"
    r"avoid|remember|from now on|instead of|no more|stop|keep)\b", re.IGNORECASE)
_DECISION = re.compile(
    r"\b(decided|decision|we'?ll use|we will use|let'?s use|let'?s go with|going with|chose|"
    r"choose|chosen|instead of|rather than|because|so that|trade-?off|opted)\b", re.IGNORECASE)
_OPEN = re.compile(r"\b(TODO|FIXME|open question|not sure|unclear|later|follow[- ]up)\b|\?$",
                   re.IGNORECASE)
_COMMAND_ARGS = ("command", "cmd", "script", "shell")
_PATH_ARGS = ("path", "file", "filename", "file_path", "target", "paths", "files", "source",
              "destination")
_COMMAND_START = re.compile(
    r"^(?:\$ )?(?:python3?|pip|pytest|npm|npx|node|yarn|pnpm|cargo|go|make|git|docker|"
    r"kubectl|uv|poetry|ruff|mypy|curl|psql|redis-cli|ls|cat|grep|sed|export|cd|bash|sh)\b")


@dataclass
class Extraction:
    """What one range of a transcript contains, each item verbatim."""

    user_requests: list[str] = field(default_factory=list)
    directives: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    knowledge: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    live_resources: list[str] = field(default_factory=list)
    open_notes: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    """Split prose into sentences/lines, keeping each piece verbatim (stripped)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def exact_values(text: str) -> list[str]:
    """Ports, host:port, URLs, paths, env assignments, backticked code, versions, identifiers."""
    found: list[str] = []
    found += _URL.findall(text)
    found += _HOST_PORT.findall(text)
    found += [f"port {p}" for p in _PORT.findall(text)]
    found += _ENV_ASSIGN.findall(text)
    found += _BACKTICK.findall(text)
    without_urls = _URL.sub(" ", text)
    found += [p for p in _PATH.findall(without_urls) if not _VERSION.fullmatch(p)]
    found += _VERSION.findall(without_urls)
    found += _IDENT.findall(without_urls)
    return _unique(v.rstrip(".,;:") for v in found)


def has_exact_value(sentence: str) -> bool:
    """Whether a sentence carries a value worth keeping verbatim."""
    return bool(exact_values(sentence)) or _NUMBER.search(sentence) is not None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _tool_calls(message: dict) -> list[tuple[str, dict]]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        try:
            args = json.loads(function.get("arguments") or "{}")
        except (TypeError, ValueError):
            args = {}
        calls.append((str(function.get("name") or "tool"), args if isinstance(args, dict) else {}))
    return calls


def _from_tool_call(name: str, args: dict, out: Extraction) -> None:
    for key in _COMMAND_ARGS:
        if isinstance(args.get(key), str):
            out.commands.append(args[key])
            out.live_resources += [v for v in exact_values(args[key])
                                   if _HOST_PORT.fullmatch(v) or v.startswith("port ")]
    for key in _PATH_ARGS:
        value = args.get(key)
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, str) and path:
                out.files.append(f"{path} ({name})")


def _from_tool_output(text: str, tool: str, out: Extraction) -> None:
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if _ERROR.search(line):
            out.errors.append(f"{line[:300]} ({tool})")
        resources = _URL.findall(line) + _HOST_PORT.findall(line) + [
            f"pid {p}" for p in _PID.findall(line)]
        if resources or re.search(r"\blistening on\b|\bstarted\b.*\b(server|on)\b", line, re.I):
            out.live_resources.append(f"{line[:200]} ({tool})")


def _from_prose(text: str, role: str, out: Extraction) -> None:
    for sentence in sentences(text):
        if role == "user" and _DIRECTIVE.search(sentence):
            out.directives.append(sentence)
        elif _DECISION.search(sentence):
            out.decisions.append(sentence)
        elif has_exact_value(sentence):
            out.knowledge.append(sentence)
        if _OPEN.search(sentence):
            out.open_notes.append(sentence)
        out.live_resources += [v for v in exact_values(sentence)
                               if _HOST_PORT.fullmatch(v) or v.startswith("port ")]
        for code in _BACKTICK.findall(sentence):
            if _COMMAND_START.match(code):
                out.commands.append(code)
        out.values += exact_values(sentence)


def extract(messages: Iterable[StoredMessage]) -> Extraction:
    """Extract verbatim items from messages, in transcript order, de-duplicated."""
    out = Extraction()
    tool_names: dict[str, str] = {}
    for stored in messages:
        message = stored.message
        role, content = message["role"], message.get("content") or ""
        if role == "user":
            if content.strip():
                out.user_requests.append(content.strip())
            _from_prose(content, "user", out)
        elif role == "assistant":
            _from_prose(content, "assistant", out)
            for call, (name, args) in zip(message.get("tool_calls") or [], _tool_calls(message)):
                tool_names[str(call.get("id"))] = name
                _from_tool_call(name, args, out)
        elif role == "tool":
            tool = message.get("name") or tool_names.get(str(message.get("tool_call_id")), "tool")
            _from_tool_output(content, f"tool output: {tool}", out)
    for name in ("directives", "decisions", "knowledge", "files", "commands", "errors",
                 "live_resources", "open_notes", "values"):
        setattr(out, name, _unique(getattr(out, name)))
    return out
