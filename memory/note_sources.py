"""Where each kind of session note comes from, and whether its text can be trusted (R17).

Checkpoint sections are filled by :mod:`cairn.memory.extract` (verbatim lines) and by the model's
narrative. Only the sections built from the user's own messages are the user's words; the
model's narrative may repeat file or tool text (a poisoned README ends up there), and values,
files, commands, errors and resources come from tool output. A section not listed here is
treated as untrusted, so a section added later is safe by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.memory.records import RecallKind


@dataclass(frozen=True)
class NoteProvenance:
    """Where a note's text came from, in words, and whether it may hold untrusted text."""

    words: str
    untrusted: bool


USER_WORDS = NoteProvenance("the user's own words, kept verbatim by a checkpoint", False)
CONVERSATION = NoteProvenance("a statement from the conversation, kept verbatim by a checkpoint", False)
TITLE = NoteProvenance("the session's title", False)
TOOL_TEXT = NoteProvenance("taken from files or tool output by a checkpoint", True)
SUMMARY = NoteProvenance("the model's summary of the session (may repeat file or tool text)", True)

# How a checkpoint line copied from elsewhere names its source (written by extract, read back by
# consolidation and recall): "line (tool output: run_command)", "line — from read_file x:3",
# "line (pasted by the user)".
TOOL_OUTPUT_LABEL = re.compile(r"\s*\((tool output: [^)]+)\)\s*$")
FROM_LABEL = re.compile(r" — (from .+)$")
PASTED_LABEL = "(pasted by the user)"
_ANY_LABEL = re.compile(rf"{TOOL_OUTPUT_LABEL.pattern}|{FROM_LABEL.pattern}|\s*{re.escape(PASTED_LABEL)}\s*$")


# "line — from read_file config/app.ini:12", "line — from propose_edit x.ini:3", "line — from
# command `cat x`": the line, its place (the file whichever tool showed it, or the command) and
# the line number when the tool gave one.
_COPIED = re.compile(r"^(.*) — from (?:\w+ (?=[^`\s]+(?::\d+)?$))?(.+?)(?::(\d+))?$")


def copied_from(item: str) -> tuple[str, str, str] | None:
    """A line copied from a file or a command's output as (line, place, line number or '')."""
    match = _COPIED.match(item)
    return (match.group(1), match.group(2), match.group(3) or "") if match else None


def label_start(line: str) -> int:
    """Where ``line``'s source label begins (its length when it has none)."""
    label = _ANY_LABEL.search(line)
    return label.start() if label else len(line)


SECTION_PROVENANCE: dict[str, NoteProvenance] = {
    "active_intent": USER_WORDS,
    "directives": USER_WORDS,
    "user_facts": USER_WORDS,
    "user_decisions": USER_WORDS,
    "task_tree": USER_WORDS,
    "decisions": CONVERSATION,
    "knowledge": CONVERSATION,
    "title": TITLE,
}


# The checkpoint key holding what a range added beyond the checkpoint's cap: never shown in a
# context, but indexed like the rest ("left_out.discovered") and read by consolidation.
LEFT_OUT = "left_out"


def checkpoint_field(section: str) -> str:
    """The field a checkpoint line belongs to, whether the checkpoint showed it or left it out."""
    return section.removeprefix(f"{LEFT_OUT}.")


def note_provenance(section: str) -> NoteProvenance:
    """The provenance of a note from ``section`` (a checkpoint key, ``narrative.*`` or ``title``)."""
    if section.startswith("narrative"):
        return SUMMARY
    return SECTION_PROVENANCE.get(section, TOOL_TEXT)


def note_kind(section: str) -> RecallKind:
    """``session`` for the session's own notes (title, the model's narrative), else ``checkpoint``."""
    return "session" if section == "title" or section.startswith("narrative") else "checkpoint"
