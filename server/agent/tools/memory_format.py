"""How `history` and `recall` hits read to the model: a header line, then the exact text.

The header carries what a model needs to judge a hit: its id (to read around it), its date
(an old value and its replacement look alike), its session, who wrote it, and for text that
came from files or tool output the word UNTRUSTED (R17). The text itself is never altered.
"""

from __future__ import annotations

import json

from cairn.memory.checkpoint_format import SECTIONS
from cairn.memory.records import HistoryHit, RecallHit, StoredMessage
from cairn.memory.render import source_label
from cairn.server.agent.tools.base import truncate_middle

AROUND_FOCUS_CHARS = 4000
AROUND_NEIGHBOUR_CHARS = 1200
# A checkpoint line's section is its data key: a section's or one of its fields' (e.g. discovered).
_HEADINGS = {key: s.title for s in SECTIONS for key in (s.key, *(f.key for f in s.fields))}


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ") if iso else "unknown date"


def _who(role: str, name: str | None, user_text: str | None = None) -> str:
    if role == "tool":
        return f"output of {name or 'a tool'} (UNTRUSTED: file or command text)"
    if role == "user" and user_text is not None:  # Cairn wrote some or all of it
        if not user_text.strip():
            return "Cairn's prompt for a code action, not the user's words"
        return "the user's words with text Cairn added (files, selection, prompt)"
    return role


def history_block(hit: HistoryHit) -> str:
    """One `history` hit: ``[message 42 | 2026-03-02 09:00 | session 1a2b3c4d | user]`` + text."""
    notes = [f"message {hit.message_id}", _when(hit.created_at), f"session {hit.session_id[:8]}"]
    notes.append(_who(hit.role, hit.name, hit.user_text))
    if hit.seen > 1:
        notes.append(f"seen {hit.seen} times, last on {_when(hit.created_at)[:10]}")
    if not hit.whole:
        notes.append("matching lines of a longer message")
    return "[" + " | ".join(notes) + "]\n" + hit.snippet.rstrip("\n")


def _section_title(section: str) -> str:
    if section == "title":
        return "session title"
    if section.startswith("narrative."):
        key = section.removeprefix("narrative.")
        return f"session notes: {_HEADINGS.get(key, key.replace('_', ' '))}"
    return _HEADINGS.get(section, section.replace("_", " "))


def recall_line(hit: RecallHit) -> str:
    """One `recall` hit: ``- [checkpoint | Directives … | date | session …] text — provenance``."""
    if hit.memory is not None:
        memory = hit.memory
        status = "" if memory.status == "verified" else f", {memory.status}"
        head = f"memory #{memory.id} {memory.kind}{status}"
        source = source_label(memory)
    else:
        head = f"{hit.kind} | {_section_title(hit.section)}"
        source = ("UNTRUSTED: " if hit.untrusted else "") + hit.provenance
    header = f"- [{head} | {_when(hit.created_at)}"
    header += f" | session {hit.session_id[:8]}]" if hit.session_id else "]"
    if "\n" in hit.text:
        return f"{header} — {source}:\n{hit.text}"
    return f"{header} {hit.text} — {source}"


def _message_text(row: StoredMessage) -> str:
    message = row.message
    text = str(message.get("content") or "")
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        text += f"\n→ {function.get('name', 'tool')}({arguments})"
    return text.strip()


def around_block(row: StoredMessage, focus: bool) -> str:
    """A message shown by ``history(around=id)``; the one asked for is marked and kept longer."""
    notes = [f"message {row.id}", _when(row.created_at), f"session {row.session_id[:8]}"]
    notes.append(_who(row.message.get("role", "?"), row.message.get("name")))
    if focus:
        notes.append("the message asked for")
    limit = AROUND_FOCUS_CHARS if focus else AROUND_NEIGHBOUR_CHARS
    return "[" + " | ".join(notes) + "]\n" + truncate_middle(_message_text(row), limit)


# Room kept for the count line above the hits and the left-out note below them.
LIST_NOTE_CHARS = 160


def whole_items(items: list[str], room: int | None, *, separator: str) -> int:
    """How many of ``items`` (best first) fit whole in ``room`` characters (None: all of them).

    The best item is always kept, even alone over the room (the registry then cuts its middle):
    a small model's window gets fewer hits, never a hit cut where its value was."""
    if room is None:
        return len(items)
    used = LIST_NOTE_CHARS
    for count, item in enumerate(items):
        used += len(item) + len(separator)
        if used > room:
            return max(1, count)
    return len(items)


def left_out_note(count: int, separator: str) -> str:
    """The line saying that lower-ranked hits did not fit ('' when none were left out)."""
    if count <= 0:
        return ""
    return (
        f"{separator}[{count} lower-ranked hits left out to fit the model's context; "
        "a narrower query finds them]"
    )
