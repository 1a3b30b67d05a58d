"""Deterministic extraction of exact values and verbatim statements from a transcript.

The checkpoint writer never asks a model for ports, paths, commands or identifiers: they are
pulled out of the messages here and copied byte for byte (the model only writes narrative).

Trust follows the author (R17): directives and the active intent come only from the user's
own words (``StoredMessage.own_words``: a code action's prompt is Cairn's, not the user's);
decisions and facts from the user's words and assistant messages; tool output contributes
files, commands, errors, live resources and *discovered values* (config lines, version pins,
hosts seen in a file or a command's output), each labelled with where it was seen and never
read as an instruction.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from cairn.memory.note_sources import PASTED_LABEL
from cairn.memory.records import StoredMessage
from cairn.memory.shell_commands import label as command_label
from cairn.memory.shell_commands import only_looks
from cairn.memory.statements import (
    is_chatter,
    is_command,
    is_decision,
    is_directive,
    is_fact,
    is_open_note,
    is_question,
    is_reason,
    is_request,
    only_chatter,
    sentences,
    statements,
    subjectless,
)
from cairn.memory.values import (
    BACKTICK,
    HOST_PORT,
    HOSTNAME,
    IP,
    PIN,
    URL,
    exact_values,
    has_exact_value,
    skeleton,
    strong_values,
    unique,
)

__all__ = [
    "Extraction",
    "exact_values",
    "extract",
    "has_exact_value",
    "notable_lines",
    "paths_named",
    "sentences",
    "skeleton",
    "strong_values",
]

# The agent's memory tools (server/agent/tools/memory_tools.py) answer from memory: extracting
# their output again would store old lines as new ones, dated now (an old port "discovered"
# again the day it was replaced), and nest hits inside hits.
MEMORY_TOOLS = frozenset({"recall", "history", "remember"})
_PID = re.compile(r"\b(?:pid|PID|process)\s*[:=]?\s*(\d{2,7})\b")
_ERROR = re.compile(
    r"(Traceback|Error|Exception|FAILED|error:|^fatal:|^panic:|command not found|"
    r"No such file|Permission denied|exit (?:code|status) [1-9]|\bERROR\b|\bFATAL\b)"
)
_WRITE_TOOL = re.compile(
    r"edit|write|create|patch|apply|replace|delete|remove|rename|move|insert|append|save", re.IGNORECASE
)
_LIVE = re.compile(r"\blistening on\b|\bstarted\b.*\b(server|on)\b", re.I)
_NOISE_LINE = re.compile(r"^Traceback \(most recent call last\):$")
_COMMAND_ARGS = ("command", "cmd", "script", "shell")
_LOG_FILE = re.compile(r"(?:\.(?:log|out|err)(?:\.\d+)?$|(?:^|/)logs?/)", re.IGNORECASE)
_PATH_ARGS = ("path", "file", "filename", "file_path", "target", "paths", "files", "source", "destination")
_QUERY_ARGS = ("query", "pattern", "regex", "text", "glob")
# read_file numbers its lines as "    12\t..."; search tools print "path:12: ...".
_NUMBERED_LINE = re.compile(r"^\s*(\d+)\t(.*)$")
# A file's line that a search printed, "path:12: line" (the search tool, grep -n, rg -n); the path
# has a dot or a slash, so a time ("10:30:45") is not one.
_GREP_HIT = re.compile(r"^(?P<path>(?=[^:\s]*[./])[\w.@+/-]+):(?P<number>\d+):(?P<line>.*)$")
_COMMENT = re.compile(r"^\s*(?:#|//|--|;|/\*|\*|<!--|rem\b)", re.IGNORECASE)
# KEY=value, key: value, key = "value", NAME = Decimal("18.75") (one scalar or a call of a name
# with one literal, not code); a trailing comment ("# cm^3 per kg") is allowed and kept.
_CALL_OF_LITERAL = r"[A-Za-z_]\w*\((?:\"[^\"]*\"|'[^']*'|[\d.]+)\)"  # Decimal("18.75")
_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?[\"']?([A-Za-z_][\w.\-\[\]]*)[\"']?\s*(?:=|:)\s*"
    rf"(\"[^\"]*\"|'[^']*'|{_CALL_OF_LITERAL}|[^\s(){{}}\[\];]+)\s*,?\s*"
    r"(?:(?:#|//)(?:\s.*)?)?$"
)
_LITERAL_CALL = re.compile(rf"^{_CALL_OF_LITERAL}$")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
# A result summary printed as key=value pairs ("done: rows=87 shipments_new=42"): the numbers a
# run produced, which a user asks for later and no file holds.
_PAIR = re.compile(r"(?:^|\s)[A-Za-z_][\w.-]*=[\w/.+:-][^\s=,;()]*(?=[\s,;]|$)")
_KEYWORD_ARGUMENT = re.compile(r"\(\s*[^()]*\b\w+=")  # f(a, b=1): code, not a summary
_PROSE_FILE = re.compile(r"\.(?:md|markdown|rst|txt|adoc)$", re.IGNORECASE)
_TOOL_VERSION = re.compile(r"^[A-Za-z][\w .()/-]{0,40}\s+v?\d+\.\d+(?:\.\d+)*\S*$")
MAX_DISCOVERED_PER_OUTPUT = 20
MAX_DISCOVERED_LINE = 200


@dataclass
class Extraction:
    """What one range of a transcript contains, each item verbatim."""

    user_requests: list[str] = field(default_factory=list)  # the user's own words, per message
    tasks: list[str] = field(default_factory=list)  # one line per request (user's or a code action)
    directives: list[str] = field(default_factory=list)
    user_decisions: list[str] = field(default_factory=list)  # decisions in the user's own words
    decisions: list[str] = field(default_factory=list)
    user_facts: list[str] = field(default_factory=list)  # statements with values, by the user
    knowledge: list[str] = field(default_factory=list)  # the same, by the assistant
    files_changed: list[str] = field(default_factory=list)  # by tools that write
    files_read: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    live_resources: list[str] = field(default_factory=list)
    discovered: list[str] = field(default_factory=list)  # "line — from read_file x:3" (untrusted)
    open_notes: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def paths_named(message: dict) -> list[str]:
    """The paths ``message``'s tool calls name (files read, listed, searched in or changed), in
    call order, as written (a leading ``./`` dropped)."""
    named = (path.strip() for _, _, args in tool_calls(message) for path in _path_args(args))
    return [path.removeprefix("./") for path in named if path not in ("", ".")]


def tool_calls(message: dict) -> list[tuple[str, str, dict]]:
    """An assistant message's tool calls as (call id, tool name, arguments)."""
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        try:
            args = json.loads(function.get("arguments") or "{}")
        except (TypeError, ValueError):
            args = {}
        name = str(function.get("name") or "tool")
        calls.append((str(call.get("id")), name, args if isinstance(args, dict) else {}))
    return calls


def _resources(text: str) -> list[str]:
    return [v for v in exact_values(text) if HOST_PORT.fullmatch(v) or v.startswith("port ")]


def calls_of(stored: StoredMessage) -> dict[str, tuple[str, dict]]:
    """An assistant message's tool calls by call id, as (tool name, arguments): what a later
    tool output answers (none for other roles)."""
    if stored.message["role"] != "assistant":
        return {}
    return {call_id: (name, args) for call_id, name, args in tool_calls(stored.message)}


def _from_tool_call(name: str, args: dict, out: Extraction) -> None:
    for key in _COMMAND_ARGS:
        if isinstance(args.get(key), str):
            if not only_looks(args[key]):  # what a look found is in its output, read below
                out.commands.append(args[key])
            out.live_resources += _resources(args[key])
    changed = _WRITE_TOOL.search(name) is not None
    how = name
    if changed:  # what the edit defines is what a later session asks for ("which function fixed it?")
        added = added_definitions(_text_arg(args, _OLD_TEXT_ARGS), _text_arg(args, _NEW_TEXT_ARGS))
        if added:
            how = f"{name}: adds {', '.join(added)}"
    for path in _path_args(args):
        (out.files_changed if changed else out.files_read).append(f"{path} ({how})")


def edit_texts(name: str, args: dict) -> list[tuple[str, str, str]]:
    """(path, old text, new text) of a call to a tool that writes, when it replaces text in a
    file (a new file replaces nothing)."""
    old, new = _text_arg(args, _OLD_TEXT_ARGS), _text_arg(args, _NEW_TEXT_ARGS)
    paths = _path_args(args)
    if _WRITE_TOOL.search(name) is None or not old or not paths:
        return []
    return [(paths[0], old, new)]


def _path_args(args: dict) -> list[str]:
    """The non-empty paths a tool call's arguments name (one or a list per path argument)."""
    found = []
    for key in _PATH_ARGS:
        value = args.get(key)
        found += [p for p in (value if isinstance(value, list) else [value]) if isinstance(p, str) and p]
    return found


_OLD_TEXT_ARGS = ("old_text", "old_string", "old")
_NEW_TEXT_ARGS = ("new_text", "new_string", "content", "new")
# A definition at the start of a line (Python, JS/TS, Go, Rust, shell), its name the last group.
_DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:pub\s+)?(?:async\s+)?(?:def|class|function|func|fn|struct|interface)\s+([A-Za-z_]\w*)",
    re.MULTILINE,
)
MAX_ADDED_SHOWN = 4


def _text_arg(args: dict, keys: tuple[str, ...]) -> str:
    return next((args[k] for k in keys if isinstance(args.get(k), str)), "")


def added_definitions(old: str, new: str) -> list[str]:
    """The names ``new`` defines that ``old`` did not, in order (at most ``MAX_ADDED_SHOWN``)."""
    before = set(_DEFINITION.findall(old))
    return list(dict.fromkeys(n for n in _DEFINITION.findall(new) if n not in before))[:MAX_ADDED_SHOWN]


def notable_lines(text: str) -> tuple[list[str], list[str]]:
    """Error lines and live-resource lines (servers, ports, pids) of a tool's output."""
    errors, resources = _notable_lines(text)
    return list(errors), list(resources)


@functools.lru_cache(maxsize=32)
def _notable_lines(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Memoised: a tool output is scanned for the context (shortened form) and again by the
    # checkpoint writer's extraction, a few steps apart.
    errors: list[str] = []
    resources: list[str] = []
    for raw in text.splitlines():
        numbered = _NUMBERED_LINE.match(raw)  # read_file's "    12\t" is not part of the line
        line = (numbered.group(2) if numbered else raw).strip()
        if not line:
            continue
        if _ERROR.search(line) and not _NOISE_LINE.match(line):
            errors.append(line[:300])
        if URL.search(line) or HOST_PORT.search(line) or _PID.search(line) or _LIVE.search(line):
            resources.append(line[:200])
    return tuple(errors), tuple(resources)


def source_of(name: str, args: dict) -> str:
    """Where a tool's output came from, in a few words ("read_file config/.env")."""
    for key in _COMMAND_ARGS:
        if isinstance(args.get(key), str) and args[key].strip():
            return f"command `{command_label(args[key])}`"
    for key in _PATH_ARGS + _QUERY_ARGS:
        if isinstance(args.get(key), str) and args[key].strip():
            return f"{name} {args[key].strip()[:120]}"
    return name


def _is_code_path(source: str) -> bool:
    # Source files: only constants and literal hosts/URLs count (a local variable is noise).
    return (
        re.search(
            r"\.(?:py|pyi|js|jsx|mjs|cjs|ts|tsx|go|rs|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|lua|vue)$",
            source,
        )
        is not None
    )


def discovered_value_line(line: str, *, in_code: bool, in_prose: bool = False) -> bool:
    """Whether a line of a file or of command output states an exact value worth keeping:
    a config assignment, a version pin, a tool version, a URL, host or address, a summary of
    key=value pairs. In a document (``in_prose``) a ``Key: value`` line is a header unless its
    value holds a digit or a strong value (``From: backend`` is not worth keeping)."""
    text = line.strip()
    if not text or len(text) > MAX_DISCOVERED_LINE or _COMMENT.match(text):
        return False
    assignment = _ASSIGNMENT.match(text)
    if assignment:
        key, value = assignment.group(1), assignment.group(2)
        if in_code:
            return _CONSTANT.match(key) is not None and bool(
                re.match(r"[\"'\d]", value) or _LITERAL_CALL.match(value) or strong_values(value)
            )
        if in_prose and not (re.search(r"\d", value) or strong_values(value) or "-" in value):
            return False
        return bool(re.search(r"[\w/.:-]", value))
    if in_code:
        return False
    if len(_PAIR.findall(text)) >= 2 and not _KEYWORD_ARGUMENT.search(text):
        return True
    if PIN.fullmatch(text) or _TOOL_VERSION.match(text):
        return True
    return bool(URL.search(text) or HOST_PORT.search(text) or HOSTNAME.search(text) or IP.search(text))


def _discovered(text: str, source: str, tool: str) -> list[str]:
    found: list[str] = []
    in_code = _is_code_path(source)
    in_prose = _PROSE_FILE.search(source) is not None
    numbered = not source.startswith("command ")
    for raw in text.splitlines():
        match = _NUMBERED_LINE.match(raw) if numbered else None
        hit = None if match else _GREP_HIT.match(raw)
        if match:
            line, where = match.group(2), f"{source}:{match.group(1)}"
        elif hit:  # a file's line that a search printed: the file is its place, as for read_file
            line, where = hit.group("line"), f"{tool} {hit.group('path')}:{hit.group('number')}"
        else:
            line, where = raw, source
        if raw.startswith(("--- ", "exit code ")) or not discovered_value_line(
            line, in_code=in_code, in_prose=in_prose
        ):
            continue
        found.append(f"{line.strip()} — from {where}")
        if len(found) >= MAX_DISCOVERED_PER_OUTPUT:
            break
    return found


_DIFF_LINE = re.compile(r"^(?:[+-](?![+-]{2})|@@ )")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _added_lines(diff: str) -> str | None:
    """An edit's echoed unified diff as the lines it wrote, numbered as in the new file (what
    was removed, and the unchanged lines around, are no new value); None when it has no hunk."""
    numbered: list[str] = []
    line_no = None
    for raw in diff.splitlines():
        hunk = _HUNK.match(raw)
        if hunk:
            line_no = int(hunk.group(1))
        elif line_no is None or raw.startswith(("+++", "---")):
            continue
        elif raw.startswith("+"):
            numbered.append(f"{line_no:6}\t{raw[1:]}")
            line_no += 1
        elif not raw.startswith("-"):
            line_no += 1
    return "\n".join(numbered) if line_no is not None else None


def _reports_errors(name: str, args: dict) -> bool:
    """Whether error lines in a tool's output are errors that happened: a command's output or
    a log file's text report them; code, docs and search hits only mention them ("except
    HTTPError", a runbook explaining FAILED lines)."""
    if any(isinstance(args.get(key), str) and args[key].strip() for key in _COMMAND_ARGS):
        return True
    paths = [args[key] for key in _PATH_ARGS if isinstance(args.get(key), str)]
    if paths:
        return all(_LOG_FILE.search(path) for path in paths)
    return not any(isinstance(args.get(key), str) for key in _QUERY_ARGS)


def _from_tool_output(text: str, name: str, args: dict, out: Extraction) -> None:
    errors, resources = notable_lines(text)
    if not _reports_errors(name, args):
        errors = []
    elif _WRITE_TOOL.search(name):  # an edit echoes its diff: "FAILED" in changed text is no error
        errors = [line for line in errors if not _DIFF_LINE.match(line)]
    added = _added_lines(text) if _WRITE_TOOL.search(name) else None
    discovered = _discovered(text if added is None else added, source_of(name, args), name)
    out.errors += [f"{line} (tool output: {name})" for line in errors]
    # A config line with an address is one discovered value, not also a live resource.
    seen = {d.rsplit(" — from ", 1)[0] for d in discovered}
    out.live_resources += [f"{line} (tool output: {name})" for line in resources if line not in seen]
    out.discovered += discovered


_FENCED = re.compile(r"^```.*?^```[^\n]*$", re.MULTILINE | re.DOTALL)


REASON_REACH = 2  # sentences after a decision where its reason may still come


def _from_prose(text: str, role: str, out: Extraction, *, answering: bool = False) -> bool:
    """``answering``: the user's message replies to a question the agent asked. Returns
    whether the text asks something."""
    asks = False
    # A decision's reason often follows it ("I'd keep `Forbid`. ... that means Replace would kill
    # a run mid-upsert."): a reason within the next REASON_REACH sentences joins the decision.
    decided: list[str] | None = None  # the list holding the last decision, while in reach
    reach = 0
    # Code blocks are not statements ("# always call flush()" in pasted code is no rule).
    for sentence in statements(_FENCED.sub("\n", text)):
        reach -= 1
        if decided is not None and reach >= 0 and is_reason(sentence):
            decided[-1] = f"{decided[-1]} {sentence}"
            decided = None
            continue
        if is_question(sentence) or is_chatter(sentence):
            if is_question(sentence):
                out.open_notes.append(sentence)
                asks = True
            continue
        if role == "user" and is_directive(sentence):
            out.directives.append(sentence)
        elif is_decision(sentence):
            decided = out.user_decisions if role == "user" else out.decisions
            decided.append(sentence)
            reach = REASON_REACH
        elif is_fact(sentence):
            (out.user_facts if role == "user" else out.knowledge).append(sentence)
        elif answering and _an_answer(sentence):
            out.user_decisions.append(sentence)
        else:  # a bare address is kept only when no statement above carries it with its subject
            out.live_resources += _resources(sentence)
        if is_open_note(sentence):
            out.open_notes.append(sentence)
        out.commands += [code for code in BACKTICK.findall(sentence) if is_command(code)]
        out.values += exact_values(sentence)
    return asks


def _an_answer(sentence: str) -> bool:
    """Whether a sentence of the user's reply to the agent's question is their choice ("Separate
    line, and no fuel on top of it: sales quoted it as all-in.", "Guam is out of scope."), not a
    new request or a line that means nothing on its own."""
    return (
        len(sentence.split()) >= 5
        and not is_request(sentence)
        and not subjectless(sentence)
        and not is_open_note(sentence)
        and not _NO_ANSWER.search(sentence)
    )


# Unsure ("I don't know, ask ops"), only pointing at an option the question listed ("The
# first one, please."), or opening another subject ("Unrelated: the scanner flagged psycopg"):
# no choice a later session could read on its own.
_NO_ANSWER = re.compile(
    r"\b(?:don'?t know|do not know|no idea|let me think|maybe|perhaps|not yet)\b|"
    r"^(?:\w+,\s+)?(?:the\s+|use\s+the\s+)?(?:first|second|third|last|other|former|latter)\b|"
    r"^(?:\w+,\s+)?option\b|"
    r"^(?:unrelated|by the way|btw|another thing|separately|side note|also)\b",  # a new subject
    re.IGNORECASE,
)


def _pasted_errors(text: str) -> list[str]:
    """Error lines the user pasted in a code block ("ValueError: could not convert ..."): the
    block is no statement, but the error is what the session is about."""
    errors, _ = notable_lines("\n".join(block.strip("`") for block in _FENCED.findall(text)))
    return [f"{line} {PASTED_LABEL}" for line in errors]


def extract(messages: Iterable[StoredMessage], *, calls_from: Iterable[StoredMessage] = ()) -> Extraction:
    """Extract verbatim items from messages, in transcript order, de-duplicated.

    ``calls_from``: messages just before the range, read for their tool calls only, so an
    output that opens the range is read with the call that asked for it (its file, its
    command) instead of as an unknown tool's text."""
    out = Extraction()
    calls = {call_id: call for stored in calls_from for call_id, call in calls_of(stored).items()}
    asked = False  # the agent's last words asked the user something
    for stored in messages:
        message = stored.message
        role, content = message["role"], message.get("content") or ""
        if role == "user":
            words = stored.own_words.strip()
            if words:
                if not only_chatter(words):  # "Thanks!" is not what the user wants done
                    out.user_requests.append(words)
                    out.tasks.append(_first_line(words))
                _from_prose(words, "user", out, answering=asked)
                out.errors += _pasted_errors(words)
            elif content.strip():  # Cairn's own prompt (a code action): a task, never the user's words
                out.tasks.append(f"(code action) {_first_line(content)}")
            asked = False
        elif role == "assistant":
            asks = _from_prose(content, "assistant", out)
            if content.strip():
                asked = asks
            for call_id, name, args in tool_calls(message):
                calls[call_id] = (name, args)
                _from_tool_call(name, args, out)
        elif role == "tool":
            name, args = calls.get(str(message.get("tool_call_id")), (message.get("name") or "tool", {}))
            if name not in MEMORY_TOOLS:
                _from_tool_output(content, name, args, out)
    for item in fields(out):
        if item.name != "user_requests":
            setattr(out, item.name, unique(getattr(out, item.name)))
    return out
