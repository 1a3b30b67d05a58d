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
_CODE_EXTENSIONS = (
    "py|pyi|js|jsx|ts|tsx|go|rs|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|md|rst|txt|"
    "json|ya?ml|toml|cfg|ini|sql|sh|html|css|lock|log|csv|xml"
)
# host:port, but not grep's "file.py:123:" (a file name is not a host).
_HOST_PORT = re.compile(
    r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[::1\]|"
    rf"[a-z][\w-]*(?:\.[\w-]+)*\.(?!(?:{_CODE_EXTENSIONS})\b)[a-z]{{2,}}):\d{{2,5}}\b(?!:)"
)
_PORT = re.compile(r"\bport\s+(?:number\s+)?(?:is\s+|=\s*|:\s*)?(\d{2,5})\b", re.IGNORECASE)
_PID = re.compile(r"\b(?:pid|PID|process)\s*[:=]?\s*(\d{2,7})\b")
_ENV_ASSIGN = re.compile(r"\b[A-Z][A-Z0-9_]{2,}=[^\s\"'`]+")
_BACKTICK = re.compile(r"`([^`\n]{2,200})`")
# A sentence's final period is not part of a version ("… is rustc 1.80.1."): after the value
# comes neither a word character nor a dot that continues into one.
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?(?!\w|\.\w)")
_TICKET = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d{1,6}\b")  # LEDG-4471, GH-12
_HEX_ID = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,64}\b")  # SHAs, revisions
_IDENT = re.compile(
    r"\b(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+){1,}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){1,})\b"
)
_NUMBER = re.compile(r"(?<![\w.])\d{2,}(?:\.\d+)?(?!\w|\.\w)")
_ERROR = re.compile(
    r"(Traceback|Error|Exception|FAILED|error:|fatal:|panic:|command not found|"
    r"No such file|Permission denied|exit (?:code|status) [1-9]|\bERROR\b|\bFATAL\b)"
)
_DIRECTIVE = re.compile(
    r"\b(always|never|don'?t|do not|must|mustn'?t|should(?:n'?t)?|make sure|ensure|prefer|"
    r"avoid|remember|from now on|instead of|no more|stop|keep)\b",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\b(decided|decision|we'?ll use|we will use|let'?s use|let'?s go with|going with|chose|"
    r"choose|chosen|instead of|rather than|because|so that|trade-?off|opted|picked|"
    r"settled? on|switch(?:ed|ing)? (?:\w+ ){0,3}to|went with|go with|to match|avoids)\b",
    re.IGNORECASE,
)
_OPEN = re.compile(r"\b(TODO|FIXME|open question|not sure|unclear|later|follow[- ]up)\b|\?$", re.IGNORECASE)
_WRITE_TOOL = re.compile(
    r"edit|write|create|patch|apply|replace|delete|remove|rename|move|"
    r"insert|append|save",
    re.IGNORECASE,
)
# Questions and the agent narrating its next move are not facts about the project.
_NOT_A_FACT = re.compile(
    r"\?\s*$|^(?:let me|let's|i'll|i will|i'm going to|i am going to|now i|next,? i|reading|"
    r"checking|looking|opening|running|searching)\b",
    re.IGNORECASE,
)
_NOISE_LINE = re.compile(r"^Traceback \(most recent call last\):$")
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_COMMAND_ARGS = ("command", "cmd", "script", "shell")
_PATH_ARGS = ("path", "file", "filename", "file_path", "target", "paths", "files", "source", "destination")
_COMMAND_START = re.compile(
    r"^(?:\$ )?(?:python3?|pip|pytest|npm|npx|node|yarn|pnpm|cargo|go|make|git|docker|"
    r"kubectl|uv|poetry|ruff|mypy|curl|psql|redis-cli|ls|cat|grep|sed|export|cd|bash|sh)\b"
)


@dataclass
class Extraction:
    """What one range of a transcript contains, each item verbatim."""

    user_requests: list[str] = field(default_factory=list)
    directives: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    user_facts: list[str] = field(default_factory=list)  # statements with values, by the user
    knowledge: list[str] = field(default_factory=list)  # the same, by the assistant
    files_changed: list[str] = field(default_factory=list)  # by tools that write
    files_read: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    live_resources: list[str] = field(default_factory=list)
    open_notes: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    """Split prose into sentences/lines, keeping each piece verbatim (stripped)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def exact_values(text: str, *, code_spans: bool = True) -> list[str]:
    """Ports, host:port, URLs, paths, env assignments, backticked code, versions, identifiers.

    ``code_spans=False`` leaves out whole backticked spans (their parts are still found).
    """
    found: list[str] = []
    found += _URL.findall(text)
    found += _HOST_PORT.findall(text)
    found += [f"port {p}" for p in _PORT.findall(text)]
    found += _ENV_ASSIGN.findall(text)
    if code_spans:
        found += _BACKTICK.findall(text)
    without_urls = _URL.sub(" ", text)
    found += [p for p in _PATH.findall(without_urls) if not _VERSION.fullmatch(p)]
    found += _VERSION.findall(without_urls)
    found += _TICKET.findall(without_urls)
    found += _HEX_ID.findall(without_urls)
    found += _IDENT.findall(without_urls)
    return _unique(v.rstrip(".,;:") for v in found)


def strong_values(text: str) -> list[str]:
    """The values that identify something (URLs, host:port, versions, ids, code, names),
    leaving out file paths and bare numbers, which chatter is full of ("18 callers",
    "reading src/x.py"). Trimming drops statements without any of these first."""
    paths = set(_PATH.findall(_URL.sub(" ", text)))
    return [v for v in exact_values(text) if v not in paths]


def has_exact_value(sentence: str) -> bool:
    """Whether a sentence carries a value worth keeping verbatim."""
    return bool(exact_values(sentence)) or _NUMBER.search(sentence) is not None


def skeleton(text: str) -> tuple[str, tuple[str, ...]]:
    """The statement with its values blanked, and those values.

    Two statements with one skeleton say the same thing about different values: the newer
    supersedes the older (a re-measured timing, a moved port, a changed setting).
    """
    values = exact_values(text, code_spans=False) + _BARE_NUMBER.findall(text)
    shape = text
    for value in sorted(set(values), key=len, reverse=True):
        shape = shape.replace(value, "\x00")
    words = re.sub(r"[^\w\x00]+", " ", shape.lower()).split()
    return " ".join("VALUE" if "\x00" in w else w for w in words), tuple(sorted(set(values)))


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
            out.live_resources += [
                v for v in exact_values(args[key]) if _HOST_PORT.fullmatch(v) or v.startswith("port ")
            ]
    for key in _PATH_ARGS:
        value = args.get(key)
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, str) and path:
                changed = _WRITE_TOOL.search(name) is not None
                (out.files_changed if changed else out.files_read).append(f"{path} ({name})")


def notable_lines(text: str) -> tuple[list[str], list[str]]:
    """Error lines and live-resource lines (servers, ports, pids) of a tool's output."""
    errors: list[str] = []
    resources: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if _ERROR.search(line) and not _NOISE_LINE.match(line):
            errors.append(line[:300])
        found = _URL.findall(line) + _HOST_PORT.findall(line) + _PID.findall(line)
        if found or re.search(r"\blistening on\b|\bstarted\b.*\b(server|on)\b", line, re.I):
            resources.append(line[:200])
    return errors, resources


def _from_tool_output(text: str, tool: str, out: Extraction) -> None:
    errors, resources = notable_lines(text)
    out.errors += [f"{line} ({tool})" for line in errors]
    out.live_resources += [f"{line} ({tool})" for line in resources]


def _from_prose(text: str, role: str, out: Extraction) -> None:
    for sentence in sentences(text):
        if role == "user" and _DIRECTIVE.search(sentence):
            out.directives.append(sentence)
        elif _DECISION.search(sentence):
            out.decisions.append(sentence)
        elif has_exact_value(sentence) and not _NOT_A_FACT.search(sentence):
            (out.user_facts if role == "user" else out.knowledge).append(sentence)
        if _OPEN.search(sentence):
            out.open_notes.append(sentence)
        out.live_resources += [
            v for v in exact_values(sentence) if _HOST_PORT.fullmatch(v) or v.startswith("port ")
        ]
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
    for name in (
        "directives",
        "decisions",
        "user_facts",
        "knowledge",
        "files_changed",
        "files_read",
        "commands",
        "errors",
        "live_resources",
        "open_notes",
        "values",
    ):
        setattr(out, name, _unique(getattr(out, name)))
    return out
