"""Values an applied edit changed, and the statements they outdate.

The user says "the tablet API listens on port 8471"; later the agent applies an edit that turns
``port = 8471`` into ``port = 8479``. From then on the statement is history: a checkpoint or a
memory that still says 8471 must say what it became, or the next session is told the old port as
if it were current. The shape-based contradiction rules (values.rekeyed, consolidate_plan's
drop_contradictions) need the new value said in a sentence like the old one; an edit is direct
evidence whatever the wording.

A change is a line an edit replaced (``old_text``/``new_text`` of a write tool whose result says
it was applied) and a line that replaced it which is the same line but for one value (a trailing
comment aside): one exact value (see :func:`values.exact_values`) gone and one added, the
innermost one (a pin's version), or one ``key = value`` setting given another value. Only values
prose does not use for anything else count (``_distinctive``), so a rewritten function, a
reworded sentence or a bumped ``retries = 3`` changes nothing. A statement is outdated
when it names the old value as a whole word and not the new one. The note appended to it says
when and where it changed; the statement's other values stay shown.

The user's own words replace a value too, when no edit does (a script bumped the version):
"make it 0.9.0 instead of 0.8.3", "from 8471 to 8479", "3.1.18 -> 3.2.1", both sides exact
values, never in a question.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cairn.memory.extract import calls_of, edit_texts
from cairn.memory.records import StoredMessage
from cairn.memory.values import exact_values

# The head of the edit tool's result when the change took effect (server/agent/tools/edit.py,
# outcome_result; a test there keeps the two in step): a refused or failed edit changed nothing.
APPLIED_HEADS = ("Applied the change to ", "Staged the change to ")
# A bare number this short ("port 80") is too common in prose to tell one statement from another.
MIN_NUMBER_DIGITS = 4
MAX_BLOCK_LINES = 40  # lines of one replaced block paired (a rewrite beyond that is no value change)
_TRAILING_COMMENT = re.compile(r"\s+(?:#|//|;)(?:\s.*)?$")
_NOTE = re.compile(r" \[Cairn: \S.*? became \S.*? (?:in \S+|as the user said) on \d{4}-\d{2}-\d{2}\]")
# The user's own words replacing a value: "make it 0.9.0 instead of 0.8.3", "from 8471 to 8479",
# "8471 -> 8479". ``STATED_HINTS``: SQL LIKE patterns of the messages worth reading for them.
_STATED = (
    re.compile(r"(?P<new>[^\s`\"']+)[`\"']? instead of [`\"']?(?P<old>[^\s`\"']+)", re.IGNORECASE),
    re.compile(r"\bfrom [`\"']?(?P<old>[^\s`\"']+)[`\"']? to [`\"']?(?P<new>[^\s`\"']+)", re.IGNORECASE),
    re.compile(r"(?P<old>[^\s`\"']+)[`\"']? (?:->|→) [`\"']?(?P<new>[^\s`\"']+)"),
)
STATED_HINTS = ("%instead of%", "% from % to %", "%->%", "%→%")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A bare port or limit the user names; a sentence's full stop may follow, a version's dot not.
_NUMBER = re.compile(r"(?<![\w.])\d{4,}(?!\w|\.\w)")
_WHERE_FROM = re.compile(r" — from \S")  # a copied line's own note of where it was read


@dataclass(frozen=True)
class ValueChange:
    """``old`` became ``new`` in ``path`` (raw tokens, as written), by an edit at ``when``; with
    no path, the user said so (their words need no file to agree).

    ``old_line``/``new_line``: the edited line before and after (stripped; empty for the
    user's words), to check the file still agrees."""

    old: str
    new: str
    path: str
    when: str
    old_line: str = ""
    new_line: str = ""

    @property
    def where(self) -> str:
        """Where it changed, as the note says it: "in config/app.ini" or "as the user said"."""
        return f"in {self.path}" if self.path else "as the user said"

    def outdates(self, text: str) -> bool:
        """Whether ``text`` states the old value as current: it names it, not the new one, and
        carries no note of this change already."""
        return _word(self.old).search(text) is not None and _word(self.new).search(text) is None

    def note(self) -> str:
        return f" [Cairn: {self.old} became {self.new} {self.where} on {self.when[:10]}]"

    def annotate(self, text: str) -> str:
        """``text`` with this change's note, before a copied line's where-from note (which
        must stay last: note_sources.copied_from reads it)."""
        where = _WHERE_FROM.search(text)
        at = where.start() if where else len(text.rstrip())
        return text[:at] + self.note() + text[at:]


def without_notes(text: str) -> str:
    """``text`` as it was said, without the change notes Cairn appended (for telling copies of
    one statement apart)."""
    return _NOTE.sub("", text)


def changes_in_edit(path: str, old_text: str, new_text: str, when: str) -> list[ValueChange]:
    """The value changes of one edit: a replaced line and a line that replaces it that are the
    same line but for one value (see the module docstring)."""
    before, after = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    changes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        new_block = [line.strip() for line in after[j1:j2] if line.strip()][:MAX_BLOCK_LINES]
        for old_line in [line.strip() for line in before[i1:i2] if line.strip()][:MAX_BLOCK_LINES]:
            for new_line in new_block:
                pair = _in_place(old_line, new_line)
                if pair is not None:
                    changes.append(ValueChange(*pair, path, when, old_line, new_line))
                    break
    return changes


def _in_place(old_line: str, new_line: str) -> tuple[str, str] | None:
    """(old, new) when ``new_line`` is ``old_line`` with one distinctive value replaced (a
    trailing comment aside): one exact value gone and one added, or one setting's value."""
    pair = _one_value_replaced(old_line, new_line) or _one_setting_changed(old_line, new_line)
    if pair is None or not all(_distinctive(value) for value in pair):
        return None
    old, new = pair
    return pair if _skeleton(old_line, old) == _skeleton(new_line, new) else None


def _skeleton(line: str, value: str) -> str:
    """``line`` with ``value`` blanked and its trailing comment and spacing dropped: what stays
    the same when only the value changes."""
    return " ".join(_TRAILING_COMMENT.sub("", line).replace(value, "\0", 1).split())


def _one_value_replaced(old_line: str, new_line: str) -> tuple[str, str] | None:
    old_values, new_values = set(exact_values(old_line)), set(exact_values(new_line))
    gone, added = _innermost(old_values - new_values), _innermost(new_values - old_values)
    if len(gone) != 1 or len(added) != 1:
        return None
    return _tokens(next(iter(gone)), next(iter(added)))


# `key = value` / `key: value` in a config file or code: a number or a string that no exact value
# names (saturation_adu = 61440), with an optional quote and trailing comment.
_SETTING = re.compile(r"""^([\w.-]+)\s*[:=]\s*(["']?)([^"'#\s][^"'#]*?)\2\s*(?:[#;].*)?$""")


def _one_setting_changed(old_line: str, new_line: str) -> tuple[str, str] | None:
    """One setting given another value on a line (saturation_adu = 61440 -> 60800)."""
    old, new = _SETTING.match(old_line), _SETTING.match(new_line)
    if old is None or new is None or old.group(1) != new.group(1) or old.group(3) == new.group(3):
        return None
    return old.group(3).strip(), new.group(3).strip()


def applied_changes(
    rows: Iterable[StoredMessage], *, calls_from: Sequence[StoredMessage] = ()
) -> list[ValueChange]:
    """The value changes of the edits in ``rows`` whose result says they were applied, in order.
    ``calls_from``: earlier messages that may hold the calls the first results answer."""
    calls: dict[str, tuple[str, dict]] = {}
    for stored in calls_from:
        calls.update(calls_of(stored))
    changes: list[ValueChange] = []
    for stored in rows:
        calls.update(calls_of(stored))
        message = stored.message
        if message["role"] != "tool" or not (message.get("content") or "").startswith(APPLIED_HEADS):
            continue
        name, args = calls.get(str(message.get("tool_call_id")), ("", {}))
        for path, old_text, new_text in edit_texts(name, args):
            changes += changes_in_edit(path, old_text, new_text, stored.created_at)
    return changes


def stated_changes(text: str, when: str) -> list[ValueChange]:
    """The values the user's own words say replace others ("0.9.0 instead of 0.8.3"): both
    sides exact values of ``text`` (see `_distinctive`)."""
    values = set(exact_values(text)) | set(_NUMBER.findall(text))
    changes = []
    # A question ("should we go from 3.1.18 to 3.2.1?") changes nothing yet.
    said = " ".join(s for s in _SENTENCE_END.split(text) if not s.rstrip().endswith("?"))
    for pattern in _STATED:
        for match in pattern.finditer(said):
            old, new = (match.group(side).rstrip(".,;:!?)") for side in ("old", "new"))
            if old != new and {old, new} <= values and _distinctive(old) and _distinctive(new):
                changes.append(ValueChange(old, new, "", when))
    return changes


def changes_in(
    rows: Iterable[StoredMessage], *, calls_from: Sequence[StoredMessage] = ()
) -> list[ValueChange]:
    """The value changes ``rows`` make, in order: their applied edits' and the ones the user
    states (their own words only: a code action's prompt is Cairn's)."""
    rows = list(rows)
    stated = [
        change
        for stored in rows
        if stored.message["role"] == "user"
        for change in stated_changes(stored.own_words, stored.created_at)
    ]
    return sorted(stated + applied_changes(rows, calls_from=calls_from), key=lambda change: change.when)


def latest(changes: Sequence[ValueChange]) -> list[ValueChange]:
    """Each change followed to the value it ended as (8471 became 8479, then 8480: 8471 became
    8480), in order. A change undone later (8479 back to 8471) counts for neither: the value is
    what it was, and what was said meanwhile is left as said."""
    out = []
    undone: set[int] = set()
    for n, change in enumerate(changes):
        if n in undone:
            continue
        current: ValueChange | None = change
        for m in range(n + 1, len(changes)):
            later = changes[m]
            if current is None or later.path != current.path or later.old != current.new:
                continue
            if later.new == change.old:
                undone.add(m)
                current = None
            else:
                current = ValueChange(
                    change.old, later.new, later.path, later.when, change.old_line, later.new_line
                )
        if current is not None:
            out.append(current)
    return out


def _innermost(values: set[str]) -> set[str]:
    """The values that hold no other (a pin's version: psycopg[binary]==3.1.18 holds 3.1.18,
    which prose names on its own)."""
    return {v for v in values if not any(other != v and other in v for other in values)}


def _tokens(old: str, new: str) -> tuple[str, str]:
    """The changed part of two exact values as written ("port 8471" / "port 8479": 8471, 8479)."""
    old_words, new_words = old.split(" "), new.split(" ")
    if len(old_words) == len(new_words) > 1 and old_words[:-1] == new_words[:-1]:
        return old_words[-1], new_words[-1]
    return old, new


def _distinctive(value: str) -> bool:
    """A value prose does not use for something else: a number of 4 digits or more, a version
    with two dots (0.8.3, not 0.5), or one word with a digit or a separator in it (us-east-2,
    Etc/UTC, a path, a host: not "info" or "debug"); an exact value with spaces (a cron line)."""
    digits = sum(c.isdigit() for c in value)
    if re.fullmatch(r"[\d.]+", value):
        return digits >= MIN_NUMBER_DIGITS or value.count(".") >= 2
    if " " in value:
        return re.search(r"\d", value) is not None
    return len(value) >= MIN_NUMBER_DIGITS and re.search(r"[\d./:@_\[=-]", value) is not None


def _word(token: str) -> re.Pattern[str]:
    """``token`` as a whole word: 8471 is not in 84712 nor in 8.4712; a version is itself with
    a tag's ``v`` (v0.8.3 is 0.8.3)."""
    tag = "v?" if token[:1].isdigit() else ""
    return re.compile(rf"(?<![\w.-]){tag}{re.escape(token)}(?![\w-]|\.\w)")
