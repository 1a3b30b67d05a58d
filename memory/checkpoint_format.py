"""The structured checkpoint: merging ranges, fitting a token cap, rendering markdown.

A checkpoint's data is a JSON object with verbatim lists produced by
:mod:`cairn.memory.extract` and a ``narrative`` map written by the model. Each new checkpoint
merges the previous one with the new range, so the latest checkpoint always covers the whole
session. When it outgrows its cap, the oldest items of the most over-represented sections are
dropped first; the active intent and the user's directives are never dropped.
"""

from __future__ import annotations

import re
from typing import Any

from cairn.memory.extract import Extraction, skeleton, strong_values
from cairn.memory.ports import TokenCounter, approx_tokens

# (key, heading) in the order MiMo-style checkpoints present them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("active_intent", "Active intent (the user's words)"),
    ("next_action", "Next action"),
    ("directives", "Directives (the user's words)"),
    ("task_tree", "Task tree"),
    ("current_work", "Current work"),
    ("files_changed", "Files and code touched"),
    ("knowledge", "Discovered knowledge"),
    ("errors", "Errors and fixes"),
    ("live_resources", "Live resources"),
    ("decisions", "Design decisions"),
    ("open_notes", "Open notes"),
)
LIST_KEYS = (
    "task_tree",
    "directives",
    "files_changed",
    "files_read",
    "commands",
    "user_facts",
    "knowledge",
    "errors",
    "live_resources",
    "decisions",
    "open_notes",
    "values",
)
NARRATIVE_KEYS = ("next_action", "task_tree", "current_work", "open_notes")
# Relative claim of each trimmable list on the token cap (directives are never trimmed).
WEIGHTS = {
    "user_facts": 4.0,
    "knowledge": 3.0,
    "decisions": 3.0,
    "live_resources": 1.5,
    "files_changed": 2.0,
    "files_read": 0.5,
    "commands": 1.5,
    "errors": 1.0,
    "task_tree": 1.0,
    "values": 1.0,
    "open_notes": 0.5,
}
MAX_ITEM_CHARS = 600
MAX_NARRATIVE_CHARS = 1200


def empty_checkpoint() -> dict[str, Any]:
    """A checkpoint with no content."""
    return {"active_intent": "", **{k: [] for k in LIST_KEYS}, "narrative": {}}


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


# Lists where a newer statement of the same shape supersedes an older one ("the suite takes
# 41 s" then "48 s"); this also keeps templated chatter from crowding out real facts.
SUPERSEDING = ("user_facts", "knowledge", "live_resources", "commands")


def _merge_list(old: list[str], new: list[str], *, supersede: bool = False) -> list[str]:
    # A repeated item moves to the end: recency decides what is trimmed first.
    merged = [item[:MAX_ITEM_CHARS] for item in old if item not in set(new)] + [
        item[:MAX_ITEM_CHARS] for item in new
    ]
    if not supersede:
        return merged
    newest: dict[str, int] = {}
    for index, item in enumerate(merged):
        shape, values = skeleton(item)
        if values:
            newest[shape] = index
    return [
        item
        for index, item in enumerate(merged)
        if newest.get(skeleton(item)[0], index) == index or not skeleton(item)[1]
    ]


def merge(previous: dict[str, Any] | None, found: Extraction, narrative: dict[str, str]) -> dict[str, Any]:
    """The previous checkpoint extended with a new range's extraction and narrative."""
    data = empty_checkpoint()
    if previous:
        data.update({k: previous.get(k, data[k]) for k in data})
    if found.user_requests:
        data["active_intent"] = found.user_requests[-1]
    data["task_tree"] = _merge_list(data["task_tree"], [_first_line(r) for r in found.user_requests])
    for key in LIST_KEYS:
        if key != "task_tree":
            data[key] = _merge_list(data[key], getattr(found, key), supersede=key in SUPERSEDING)
    data["narrative"] = {
        k: v.strip()[:MAX_NARRATIVE_CHARS] for k, v in narrative.items() if v.strip()
    } or data["narrative"]
    return data


def parse_narrative(reply: str) -> dict[str, str]:
    """Split the model's reply into the four narrative sections (unknown text is dropped)."""
    wanted = {heading.lower(): key for key, heading in SECTIONS if key in NARRATIVE_KEYS}
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
    for key, heading in SECTIONS:
        body: list[str] = []
        if key == "active_intent":
            if data.get("active_intent"):
                body.append("> " + data["active_intent"].replace("\n", "\n> "))
        else:
            if narrative.get(key):
                body.append(narrative[key])
            items = list(data.get(key, []))
            if key == "knowledge":
                items = [f"(user) {f}" for f in data.get("user_facts", [])] + items
            if key == "files_changed":
                items += data.get("files_read", []) + [f"`{c}`" for c in data.get("commands", [])]
            body += [f"- {item}" for item in items]
        if key == "knowledge":
            shown = "\n".join(parts + body)
            extra = [v for v in data.get("values", []) if v not in shown]
            if extra:
                body.append("Exact values: " + ", ".join(f"`{v}`" for v in extra))
        if body:
            parts.append(f"## {heading}\n" + "\n".join(body))
    return "\n\n".join(parts) + "\n"


# Statements in these lists go oldest-first among those carrying no identifying value, before
# any statement that does (a version, an address, a name outlives "18 callers use that codec").
RANKED = ("user_facts", "knowledge", "decisions")


def _drop_index(key: str, items: list[str]) -> int:
    if key in RANKED:
        for index, item in enumerate(items):
            if not strong_values(item):
                return index
    return 0


def fit(data: dict[str, Any], max_tokens: int, count_tokens: TokenCounter = approx_tokens) -> dict[str, Any]:
    """Drop items of over-represented sections until the render fits ``max_tokens``: the oldest
    first, except that statements without an identifying value go before those with one."""
    data = {**data, **{k: list(data.get(k, [])) for k in LIST_KEYS}}
    cost = {k: [count_tokens(item) + 2 for item in data[k]] for k in WEIGHTS}
    total = count_tokens(render(data))
    while total > max_tokens:
        candidates = [k for k in WEIGHTS if data[k]]
        if not candidates:
            break
        key = max(candidates, key=lambda k: sum(cost[k]) / WEIGHTS[k])
        index = _drop_index(key, data[key])
        data[key].pop(index)
        total -= cost[key].pop(index)
        if total <= max_tokens:  # estimates drift (shared headings, values): re-measure
            total = count_tokens(render(data))
    return data
