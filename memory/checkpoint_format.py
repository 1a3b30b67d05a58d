"""The structured checkpoint: one section table, and the merge, cap and markdown derived from it.

A checkpoint's data is a JSON object: one entry per :class:`Field` (verbatim items produced by
:mod:`cairn.memory.extract`) and a ``narrative`` map written by the model. Each new checkpoint
merges the previous one with the new range, so the latest checkpoint always covers the whole
session. :data:`SECTIONS` is the only place a section or a field is declared: its merge rule,
its claim on the token cap, where its items come from and how they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from cairn.memory.extract import Extraction, strong_values
from cairn.memory.note_sources import LEFT_OUT, copied_from
from cairn.memory.ports import TokenCounter, approx_tokens
from cairn.memory.statements import subjectless
from cairn.memory.value_changes import ValueChange, latest
from cairn.memory.values import TABLE_ROW, key_values, rekeyed, same_subject

# latest:    the newest extracted item replaces the text (the active intent)
# standing:  kept for the whole session, never trimmed; a newer item about the same subject
#            replaces an older one (the user changed their mind), which goes to ``superseded``
# append:    de-duplicated, a repeated item moves to the end (recency decides trimming)
# supersede: like append, but a newer item about the same subject replaces the older, which
#            is kept in ``superseded`` as history, never as current
MergeRule = Literal["latest", "standing", "append", "supersede"]


@dataclass(frozen=True)
class Field:
    """One list (or text) of the checkpoint data."""

    key: str
    merge: MergeRule
    weight: float | None  # claim on the token cap when trimming; None: never trimmed
    extractor: str | None = None  # the Extraction attribute it is filled from
    cap: int = 200  # most items kept by a merge (oldest dropped first)
    label: str = "{}"  # how one item is shown
    ranked: bool = False  # trimming drops items without an identifying value first
    inline: bool = False  # shown as one "Exact values:" line, only those not shown already
    section: str = ""  # set from the table below


@dataclass(frozen=True)
class Section:
    """One heading of the rendered checkpoint and the fields shown under it."""

    key: str
    title: str
    narrative: bool = False  # the model writes prose for this section
    fields: tuple[Field, ...] = ()


_SECTIONS: tuple[Section, ...] = (
    Section(
        "active_intent",
        "Active intent (the user's words)",
        fields=(Field("active_intent", "latest", None, "user_requests"),),
    ),
    Section("next_action", "Next action", narrative=True),
    Section(
        "directives",
        "Directives (the user's words)",
        fields=(Field("directives", "standing", None, "directives"),),
    ),
    Section(
        "task_tree", "Task tree", narrative=True, fields=(Field("task_tree", "append", 1.0, "tasks", 60),)
    ),
    Section("current_work", "Current work", narrative=True),
    Section(
        "files",
        "Files and code touched",
        fields=(
            Field("files_changed", "append", 2.0, "files_changed", 120),
            Field("files_read", "append", 0.5, "files_read", 80),
            Field("commands", "append", 1.5, "commands", 80, label="`{}`"),
        ),
    ),
    Section(
        "knowledge",
        "Discovered knowledge",
        fields=(
            Field("user_facts", "supersede", 4.0, "user_facts", label="(user) {}", ranked=True),
            Field("knowledge", "supersede", 3.0, "knowledge", ranked=True),
            Field("discovered", "supersede", 2.0, "discovered", 200, label="(untrusted data) {}"),
            Field("superseded", "append", 0.3, None, 40, label="(superseded, no longer current) {}"),
            Field("values", "append", 1.0, "values", 200, ranked=True, inline=True),
        ),
    ),
    Section("errors", "Errors and fixes", fields=(Field("errors", "append", 1.0, "errors", 60),)),
    Section(
        "live_resources",
        "Live resources",
        fields=(Field("live_resources", "supersede", 1.5, "live_resources", 60),),
    ),
    Section(
        "decisions",
        "Design decisions",
        fields=(
            Field("user_decisions", "supersede", 4.0, "user_decisions", label="(user) {}", ranked=True),
            Field("decisions", "supersede", 3.0, "decisions", ranked=True),
        ),
    ),
    Section(
        "open_notes",
        "Open notes",
        narrative=True,
        fields=(Field("open_notes", "append", 0.5, "open_notes", 40),),
    ),
)
SECTIONS: tuple[Section, ...] = tuple(
    replace(s, fields=tuple(replace(f, section=s.key) for f in s.fields)) for s in _SECTIONS
)
FIELDS: tuple[Field, ...] = tuple(f for s in SECTIONS for f in s.fields)
_BY_KEY = {f.key: f for f in FIELDS}
LIST_KEYS = tuple(f.key for f in FIELDS if f.merge != "latest")
NARRATIVE_KEYS = tuple(s.key for s in SECTIONS if s.narrative)
MAX_ITEM_CHARS = 600
MAX_NARRATIVE_CHARS = 1200


def empty_checkpoint() -> dict[str, Any]:
    """A checkpoint with no content."""
    return {**{f.key: "" if f.merge == "latest" else [] for f in FIELDS}, "narrative": {}}


def _append(old: list[str], new: list[str]) -> list[str]:
    # A repeated item moves to the end: recency decides what is trimmed first.
    fresh = set(new)
    return [item for item in old if item not in fresh] + new


def _replaces(older: str, item: str, earlier_in_range: set[str]) -> bool:
    """Whether ``item`` gives the subject of ``older`` a new value.

    Lines copied from two places never do. Two lines copied from one file must also be at the
    same line: an INI file's sections, a YAML list's items, set one key in many places (a
    value that moved and changed is left to consolidation, which checks the file itself). Two
    lines of one command's output replace each other only when the command ran again."""
    a, b = copied_from(older), copied_from(item)
    if a is None or b is None:
        return same_subject(older, item)
    if a[1] != b[1]:  # two files (a default and the docs' example) each hold their own value
        return False
    if not same_subject(a[0], b[0]):  # whichever tool showed the file
        return False
    if a[1].startswith("command "):
        return older not in earlier_in_range
    return a[2] != "" and a[2] == b[2]


def _supersede(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    """Merged items, and the older ones a newer item about the same subject replaced."""
    merged = list(old)
    replaced: list[str] = []
    earlier_in_range: set[str] = set()
    for item in new:
        if item in merged:
            merged.remove(item)
        else:
            where = copied_from(item)
            for older in list(merged):
                was = copied_from(older)
                if where and was and was[:2] == where[:2]:
                    merged.remove(older)  # the same line of the same file, shown again
                elif _replaces(older, item, earlier_in_range):
                    merged.remove(older)
                    replaced.append(older)
        merged.append(item)
        earlier_in_range.add(item)
    return merged, replaced


def _without_replaced(data: dict[str, Any], replaced: list[str]) -> list[str]:
    """The exact values, less those only a replaced statement still holds: a replaced value
    must never be shown without its replacement (the old port, left bare in a value list)."""
    current = "\n".join(
        item for f in FIELDS if f.merge in ("supersede", "standing") for item in data.get(f.key, [])
    )
    return [v for v in data["values"] if v in current or not any(v in old for old in replaced)]


def _capped(spec: Field, items: list[str]) -> list[str]:
    """At most ``spec.cap`` items: a ranked list drops its least valuable first (as ``fit``
    does), so an early port outlives the session's later loose numbers; others the oldest."""
    if not spec.ranked:
        return items[-spec.cap :]
    while len(items) > spec.cap:
        items.pop(_drop_index(spec, items))
    return items


# Statements (not lines copied from tools): a value the user decided may be changed by a fact
# they state later, or the agent reports ("Pin X==1" as a decision, "we can go to X==2" a fact).
_STATEMENT_KEYS = ("user_facts", "knowledge", "user_decisions", "decisions")


def _rekeyed_elsewhere(data: dict[str, Any], found: Extraction) -> list[str]:
    """Removes from ``data``'s statements those whose one single-valued key (a pin, a named
    host's port, a cron schedule: see ``values.rekeyed``) a newer statement filed in another
    section sets anew; returns them."""
    replaced = []
    for key in _STATEMENT_KEYS:
        mine = set(getattr(found, key))
        newer = [item for other in _STATEMENT_KEYS if other != key for item in getattr(found, other)]
        for older in list(data[key]):
            if older not in mine and any(rekeyed(older, item) for item in newer):
                data[key].remove(older)
                replaced.append(older)
    return replaced


def _follow_changes(data: dict[str, Any], changes: Sequence[ValueChange]) -> None:
    """Each list item that states a value an applied edit has since replaced gets the change's
    note, and the exact-values line shows the new value instead (the old one, bare, would read
    as current). The range's own items too: a checkpoint covers its range up to its end, and a
    range that states a value and then edits it ends with the new one."""
    for change in latest(changes):
        for spec in FIELDS:
            if spec.key in ("superseded", "values") or not isinstance(data[spec.key], list):
                continue
            data[spec.key] = [
                change.annotate(item) if change.outdates(item) else item for item in data[spec.key]
            ]
        data["values"] = list(
            dict.fromkeys(
                v.replace(change.old, change.new) if change.outdates(v) else v for v in data["values"]
            )
        )


def merge(
    previous: dict[str, Any] | None,
    found: Extraction,
    narrative: dict[str, str],
    changes: Sequence[ValueChange] = (),
) -> dict[str, Any]:
    """The previous checkpoint extended with a new range's extraction and narrative; ``changes``:
    the values the range's applied edits changed (see :mod:`cairn.memory.value_changes`)."""
    data = empty_checkpoint()
    if previous:
        data.update({k: previous[k] for k in data if k in previous})
    superseded: list[str] = []
    for spec in FIELDS:
        if spec.extractor is None:
            continue
        new = [item[:MAX_ITEM_CHARS] for item in getattr(found, spec.extractor)]
        if spec.merge == "latest":
            data[spec.key] = new[-1] if new else data[spec.key]
            continue
        if spec.merge == "append":
            merged = _append(list(data[spec.key]), new)
        else:
            merged, replaced = _supersede(list(data[spec.key]), new)
            superseded += replaced
        data[spec.key] = merged if spec.weight is None else _capped(spec, merged)
    superseded += _rekeyed_elsewhere(data, found)
    data["superseded"] = _append(list(data["superseded"]), superseded)[-_BY_KEY["superseded"].cap :]
    if superseded:  # a replaced statement lives on only as history (a task restating it too)
        gone = set(superseded)
        for spec in FIELDS:
            if spec.merge == "append" and spec.key != "superseded" and spec.key != "values":
                data[spec.key] = [item for item in data[spec.key] if item not in gone]
    data["values"] = _without_replaced(data, superseded)
    _follow_changes(data, changes)
    data["narrative"] = {
        k: v.strip()[:MAX_NARRATIVE_CHARS] for k, v in narrative.items() if v.strip()
    } or data["narrative"]
    return data


def parse_narrative(reply: str) -> dict[str, str]:
    """Split the model's reply into the narrative sections (unknown text is dropped)."""
    wanted = {s.title.lower(): s.key for s in SECTIONS if s.narrative}
    sections: dict[str, str] = {}
    current: str | None = None
    for line in reply.splitlines():
        heading = re.match(r"^\s*#{1,6}\s*(.+?)\s*:?\s*$", line)
        if heading:
            current = wanted.get(heading.group(1).lower())
            continue
        if current:
            sections[current] = (sections.get(current, "") + "\n" + line).strip()
    return sections


def render(data: dict[str, Any]) -> str:
    """The checkpoint as markdown (what the model sees in the context)."""
    narrative = data.get("narrative", {})
    parts: list[str] = ["# Session checkpoint"]
    for section in SECTIONS:
        body: list[str] = []
        if section.narrative and narrative.get(section.key):
            body.append(narrative[section.key])
        for spec in section.fields:
            value = data.get(spec.key)
            if spec.merge == "latest":
                if value:
                    body.append("> " + str(value).replace("\n", "\n> "))
            elif spec.inline:
                shown = "\n".join(parts + body)
                extra = [v for v in value or [] if v not in shown]
                if extra:
                    body.append("Exact values: " + ", ".join(f"`{v}`" for v in extra))
            else:
                body += [f"- {spec.label.format(item)}" for item in value or []]
        if body:
            parts.append(f"## {section.title}\n" + "\n".join(body))
    return "\n\n".join(parts) + "\n"


def _identifying(item: str) -> bool:
    return bool(strong_values(item) or key_values(item))  # a path counts, "18 callers" does not


def _drop_index(spec: Field, items: list[str]) -> int:
    # Lines whose subject is elsewhere go first, then (ranked lists) table rows, statements
    # carrying no identifying value, then those naming no value a person would look up: a
    # port, a host, a path, a pin outlives "18 callers use that codec" and "calibration_27
    # moved" however early in the session it was said.
    for index, item in enumerate(items):
        if subjectless(item) or (spec.ranked and TABLE_ROW.match(item)):
            return index
    if spec.ranked:
        for keeps in (_identifying, key_values):
            for index, item in enumerate(items):
                if not keeps(item):
                    return index
    return 0


# What fit_keeping_new keeps beyond the cap: the lines that state something. Not the bare values
# listed from them (the inline "Exact values", each also in its line) nor the files merely read
# (history has every read): as recall hits, "v*" and "pixel_scale" crowded out real answers.
KEPT_WHEN_LEFT_OUT = tuple(
    f.key for f in FIELDS if f.merge != "latest" and not f.inline and f.key != "files_read"
)


def fit_keeping_new(
    previous: dict[str, Any] | None,
    merged: dict[str, Any],
    max_tokens: int,
    count_tokens: TokenCounter = approx_tokens,
) -> dict[str, Any]:
    """``merged`` (``previous`` extended with a new range) fit to ``max_tokens``, with the items
    the range added that the fit dropped kept under ``LEFT_OUT``. They are never shown, but
    recall finds them and consolidation reads them: a range that says more than a checkpoint
    can show (a long command output) loses nothing before memory has it. What an earlier
    checkpoint already held is not repeated, so each item is stored about once."""
    data = fit(merged, max_tokens, count_tokens)
    before = previous or {}
    left_out: dict[str, list[str]] = {}
    for key in KEPT_WHEN_LEFT_OUT:
        known = set(data[key]) | set(before.get(key, []))
        new = [item for item in merged[key] if item not in known]
        if new:
            left_out[key] = new
    if left_out:
        data[LEFT_OUT] = left_out
    return data


def with_left_out(data: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's lists with what its cap left out appended (what consolidation reads)."""
    extra = data.get(LEFT_OUT) or {}
    return {**data, **{key: list(data.get(key, [])) + list(extra.get(key, [])) for key in LIST_KEYS}}


def fit(
    data: dict[str, Any],
    max_tokens: int,
    count_tokens: TokenCounter = approx_tokens,
    weights: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Drop items of over-represented fields until the render fits ``max_tokens``: the oldest
    first, except that lines without a subject or an identifying value go before others.
    Fields the table marks as never trimmed (the active intent, directives) are kept whole.
    ``weights`` overrides the table's weights of some fields (a reader with other priorities:
    the next day's digest, see context_sections.DIGEST_WEIGHTS)."""
    data = {**data, **{k: list(data.get(k, [])) for k in LIST_KEYS}}
    trimmable = [f for f in FIELDS if f.weight is not None]
    weight = {f.key: (weights or {}).get(f.key, f.weight or 1.0) for f in trimmable}
    cost = {f.key: [count_tokens(item) + 2 for item in data[f.key]] for f in trimmable}
    total = count_tokens(render(data))
    while total > max_tokens:
        candidates = [f for f in trimmable if data[f.key]]
        if not candidates:
            break
        spec = max(candidates, key=lambda f: sum(cost[f.key]) / weight[f.key])
        index = _drop_index(spec, data[spec.key])
        data[spec.key].pop(index)
        total -= cost[spec.key].pop(index)
        if total <= max_tokens:  # estimates drift (shared headings, values): re-measure
            total = count_tokens(render(data))
    return data
