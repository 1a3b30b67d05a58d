"""The model-free core of consolidation: candidates, duplicates, contradictions, the size cap.

Pure functions over :class:`Item` (no I/O), so every rule is testable on its own. The async
orchestration (lease, verification against history and workspace, optional rewording by a
model, writing the plan) lives in :mod:`cairn.memory.consolidate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cairn.memory.checkpoint_format import with_left_out
from cairn.memory.dates import absolutize_dates
from cairn.memory.extract import exact_values
from cairn.memory.note_sources import FROM_LABEL, PASTED_LABEL, TOOL_OUTPUT_LABEL
from cairn.memory.records import Anchor, CheckpointRecord, Memory, Source, Status, Tier
from cairn.memory.statements import is_directive, is_fact, is_request, subjectless
from cairn.memory.value_changes import without_notes
from cairn.memory.values import (
    TABLE_ROW,
    key_values,
    keyed_values,
    rekeyed,
    reports_an_error,
    same_subject,
    statement_shape,
)

PROJECT_MAX_LINES = 200
PROJECT_MAX_BYTES = 10_000
# Lower rank = kept in project memory first.
KIND_RANK = {"directive": 0, "decision": 1, "preference": 1, "fact": 2, "note": 2, "file": 3, "command": 3}
# A test runner's count of what failed, not an error itself: "FAILED (errors=1)", "3 failed, 64 passed".
RUNNER_TALLY = re.compile(r"^(?:FAILED|OK)\s*(?:\(|$)|^=*\s*\d+ (?:failed|passed|errors?)\b", re.IGNORECASE)
# Statements that can contradict each other (commands, files and the user's rules cannot:
# two commands are two things done, and a newer rule replaces an older one only when it is
# the same rule with one value changed).
STATEMENT_KINDS = frozenset({"fact", "decision", "preference", "note"})


def is_runner_tally(error: str) -> bool:
    """Whether a checkpoint's error line (its "(tool output: ...)" label aside) is only a test
    runner's tally."""
    return RUNNER_TALLY.match(TOOL_OUTPUT_LABEL.sub("", error)) is not None


@dataclass
class Item:
    """A memory being consolidated: an existing row or a new candidate."""

    kind: str
    text: str
    source: Source
    provenance: str
    when: str
    session_ids: list[str] = field(default_factory=list)
    anchors: tuple[Anchor, ...] = ()
    untrusted: bool = False
    status: Status = "unverified"
    tier: Tier = "project"
    verified_at: str | None = None
    existing: Memory | None = None
    dropped: str | None = None  # why it is removed (duplicate / contradicted)
    recall_only: bool = False  # kept, but never in project memory (e.g. a demoted non-rule)


def from_memory(memory: Memory) -> Item:
    """An existing memory as a consolidation item."""
    return Item(
        kind=memory.kind,
        text=memory.text,
        source=memory.source,
        provenance=memory.provenance,
        when=memory.created_at,
        session_ids=list(memory.session_ids),
        anchors=memory.anchors,
        untrusted=memory.untrusted,
        status=memory.status,
        tier=memory.tier,
        verified_at=memory.verified_at,
        existing=memory,
    )


def _file_anchor(entry: str) -> Anchor | None:
    path = re.sub(r"\s*\([^)]*\)\s*$", "", entry).strip()
    return Anchor(path) if path and not path.startswith("/") and " " not in path else None


def candidates_from_checkpoint(checkpoint: CheckpointRecord) -> list[Item]:
    """Facts worth keeping beyond the session, taken from a checkpoint's verbatim sections.

    The user's directives, decisions and statements with values become trusted candidates;
    values seen in files and command output become untrusted, recall-only ones that name
    where they were seen (R17). Each provenance says which checkpoint or messages of which
    session, and the date. Lines checkpoints wrote before the extraction learnt better
    (questions filed as directives, context-free lines) are re-checked here.
    """
    data, session = with_left_out(checkpoint.data), checkpoint.session_id
    where = (
        f"checkpoint {checkpoint.id} of session {session[:8]}"
        if checkpoint.id
        else f"messages {checkpoint.first_seq}-{checkpoint.last_seq} of session {session[:8]}"
    )
    where += f", {checkpoint.created_at[:10]}"
    base: dict[str, Any] = {"when": checkpoint.created_at, "session_ids": [session]}
    items = [
        Item(kind="directive", text=d, source="user", provenance=f"the user's words, {where}", **base)
        for d in data.get("directives", [])
        if is_directive(d)
    ]
    items += [
        Item(kind="decision", text=d, source="user", provenance=f"the user's words, {where}", **base)
        for d in data.get("user_decisions", [])
        if not subjectless(d)
    ]
    items += [
        Item(
            kind="decision",
            text=d,
            source="derived",
            provenance=f"stated in the conversation, {where}",
            **base,
        )
        for d in data.get("decisions", [])
        if not subjectless(d)
    ]
    items += [
        Item(kind="fact", text=k, source="user", provenance=f"the user's words, {where}", **base)
        for k in data.get("user_facts", [])
        if is_fact(k)
    ]
    items += [
        Item(kind="fact", text=k, source="derived", provenance=f"stated by the assistant, {where}", **base)
        for k in data.get("knowledge", [])
        if is_fact(k)
    ]
    # A command the user named is worth showing in every session; one the agent merely ran
    # ("pytest -q tests/test_x.py") is kept for recall only.
    said = "\n".join(
        item
        for key in ("directives", "user_facts", "user_decisions", "decisions")
        for item in data.get(key, [])
    )
    items += [
        Item(
            kind="command",
            text=f"`{c}`",
            source="derived",
            provenance=f"command run by the agent, {where}",
            recall_only=c not in said,
            **base,
        )
        for c in data.get("commands", [])
    ]
    for entry in data.get("files_changed", []):
        anchor = _file_anchor(entry)
        items.append(
            Item(
                kind="file",
                text=f"Changed {entry}",
                source="derived",
                provenance=f"tool call, {where}",
                anchors=(anchor,) if anchor else (),
                **base,
            )
        )
    untrusted: dict[str, Any] = {"source": "derived", "untrusted": True, "tier": "archive", "kind": "fact"}
    for line in data.get("live_resources", []):
        origin = TOOL_OUTPUT_LABEL.search(line)
        if origin:  # copied from tool output: kept only as untrusted, recall-only data
            items.append(
                Item(
                    text=TOOL_OUTPUT_LABEL.sub("", line),
                    provenance=f"{origin.group(1)}, {where}",
                    **untrusted,
                    **base,
                )
            )
    # An error is what broke: the one the user pasted is their report (trusted, theirs); one a
    # command printed is tool output (untrusted, recall-only): "row 57: unknown event code 'DX'"
    # is kept, a test runner's tally ("FAILED (errors=1)") says nothing to look up later.
    for line in data.get("errors", []):
        origin = TOOL_OUTPUT_LABEL.search(line)
        if line.endswith(PASTED_LABEL):
            error = line.removesuffix(PASTED_LABEL).strip()
            items.append(
                Item(
                    kind="fact",
                    text=error,
                    source="user",
                    provenance=f"an error the user pasted, {where}",
                    **base,
                )
            )
        elif origin and not is_runner_tally(text := line[: origin.start()]):
            items.append(
                Item(text=text, provenance=f"an error in {origin.group(1)}, {where}", **untrusted, **base)
            )
    for line in data.get("discovered", []):
        origin = FROM_LABEL.search(line)
        items.append(
            Item(
                text=line,
                provenance=f"tool output {origin.group(1) if origin else ''}, {where}",
                **untrusted,
                **base,
            )
        )
    return items


def normalized(text: str) -> str:
    """Text compared for duplicates: case, punctuation, spacing and Cairn's notes of changed
    values (value_changes.py) ignored."""
    return " ".join(re.sub(r"[^\w/.:=-]+", " ", without_notes(text).lower()).split()).strip(" .")


def dated(items: list[Item]) -> int:
    """Make relative dates absolute (seen from each item's own date); returns how many."""
    changed = 0
    for item in items:
        if item.source == "user" and item.kind == "directive":
            continue  # the user's words stay verbatim
        reference = datetime.fromisoformat(item.when)
        new = absolutize_dates(item.text, reference)
        if new != item.text:
            item.text, changed = new, changed + 1
    return changed


def merge_duplicates(items: list[Item]) -> list[str]:
    """Merge items with the same normalized text into the oldest stored one (or the first).

    Session ids are united so the provenance keeps every session that stated the fact.
    """
    notes: list[str] = []
    keeper: dict[str, Item] = {}
    for item in sorted(items, key=lambda i: (i.existing is None, i.existing.id if i.existing else 0)):
        if item.dropped:
            continue
        key = f"{item.kind}:{normalized(item.text)}"
        kept = keeper.setdefault(key, item)
        if kept is item:
            continue
        kept.session_ids = list(dict.fromkeys(kept.session_ids + item.session_ids))
        item.dropped = "duplicate"
        if item.existing:
            notes.append(
                f"merged #{item.existing.id} into "
                f"{f'#{kept.existing.id}' if kept.existing else 'a new memory'}"
            )
    return notes


_STOPWORDS = frozenset(
    "a an the is are was were be been to of in on at for and or now note that this it its "
    "we our you your i my by with from as so still currently actually".split()
)


def _content_words(shape: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z][a-z0-9_]*", shape) if w not in _STOPWORDS and w != "value")


def _slots(text: str, values: tuple[str, ...]) -> set[str]:
    # The two words before each value name what the value is ("on port", "timeout is").
    slots = set()
    for value in values:
        at = text.find(value)
        if at > 0:
            words = re.findall(r"[a-z][a-z0-9_]*", text[:at].lower())[-2:]
            if words:
                slots.add(" ".join(words))
    return slots


def _changed_value(older: tuple[str, ...], newer: tuple[str, ...]) -> bool:
    # Exactly one value replaced by another: "port 8080" -> "port 9090". Statements differing
    # in several values ("grep RETRY_LIMIT config/app.yml" / "grep TIMEOUT_S src/app.py")
    # are about different things.
    gone, new = set(older) - set(newer), set(newer) - set(older)
    return len(gone) == 1 and len(new) == 1


def drop_contradictions(items: list[Item]) -> list[str]:
    """Drop the older of two statements about the same subject with different values.

    Same subject: both are statements of one kind (facts, decisions, ...: never commands or
    files), the content words of one (values blanked) are a subset of the other's, a value
    sits in the same slot (the two words before it), and exactly one value changed. A
    directive is replaced only by the same rule with one value changed. The newer is kept
    and its provenance records what it superseded, with the date.
    """
    notes: list[str] = []
    by_slot: dict[str, list[tuple[Item, frozenset[str], tuple[str, ...]]]] = {}
    directives: list[Item] = []

    def supersede(older: Item, item: Item) -> None:
        older.dropped = "contradicted"
        item.provenance = f'{item.provenance}; supersedes "{older.text}" ({older.when[:10]})'
        label = f"#{older.existing.id}" if older.existing else "a candidate"
        notes.append(f'dropped {label} "{older.text}": contradicted by "{item.text}" ({item.when[:10]})')

    keyed: dict[str, list[Item]] = {}  # a single-valued key -> the statements setting only it
    for item in sorted((i for i in items if not i.dropped), key=lambda i: i.when):
        if item.kind in STATEMENT_KINDS and not item.untrusted:
            # A key holds one value at a time (a package's pin, a named host's port), however
            # differently two sentences put it: see values.rekeyed.
            sets = keyed_values(item.text)
            for key in sets:
                for older in keyed.get(key, []):
                    if not older.dropped and rekeyed(older.text, item.text):
                        supersede(older, item)
            if len(sets) == 1:
                keyed.setdefault(next(iter(sets)), []).append(item)
        if item.kind == "directive":
            for older in directives:
                if not older.dropped and older.text != item.text and same_subject(older.text, item.text):
                    supersede(older, item)
            directives.append(item)
            continue
        if item.kind not in STATEMENT_KINDS or item.untrusted:
            continue
        shape, values = statement_shape(item.text)
        words = _content_words(shape)
        if not values or len(words) < 2:
            continue
        rivals = {id(r[0]): r for slot in _slots(item.text, values) for r in by_slot.get(slot, [])}
        for older, older_words, older_values in rivals.values():
            if older.dropped or older.kind != item.kind or not _changed_value(older_values, values):
                continue
            if older_words <= words or words <= older_words:
                supersede(older, item)
        for slot in _slots(item.text, values):
            by_slot.setdefault(slot, []).append((item, words, values))
    return notes


def recall_only(item: Item) -> bool:
    """Whether an item stays out of project memory (found by recall only): untrusted, stale or
    demoted ones, table rows, and the assistant's statements that name no value a person would
    look up ("Worth knowing: V is now at exactly 21.3", "No `61440` left in the tree.")."""
    if item.untrusted or item.recall_only or item.status == "stale" or TABLE_ROW.match(item.text):
        return True
    return item.source == "derived" and item.kind == "fact" and not key_values(item.text)


def value_rank(kind: str, source: str, text: str) -> int:
    """How much a memory is worth showing in every session (lower first): the user's rules,
    then statements naming a value or reporting an error (the user's before the agent's notes
    before derived ones),
    then the agent's decisions and notes that name none, the user's requests and other words,
    then the rest; lines whose subject is elsewhere last. A request ("Draft the CHANGELOG entry
    for 2.15.0") was that day's task: what the work established outranks it. A value a later
    session looks up ("`REMOTE_AREA_ZIP3` in `zones.py`") outranks prose about how the work
    went ("We decided to keep the parser small")."""
    if subjectless(text):
        return 9
    if kind == "directive":
        return 0
    valued = bool(key_values(text)) or reports_an_error(text)
    if source == "user":
        return 1 if (valued or kind == "decision") and not is_request(text) else 5
    if kind == "decision" or source == "agent":
        return 2 if valued else 4
    if valued:
        return 3 if kind in STATEMENT_KINDS else 6
    return 7


def line_bytes(item: Item) -> int:
    """Size of the item's line in the rendered project memory (see render.memory_line)."""
    return (
        len(f"- [#0000 {item.kind}, {item.status}] {item.text} — {item.source}, session 00000000".encode())
        + 1
    )


def assign_tiers(
    items: list[Item], *, max_lines: int = PROJECT_MAX_LINES, max_bytes: int = PROJECT_MAX_BYTES
) -> None:
    """Keep the most valuable items in project memory within the cap; archive the rest."""
    alive = [i for i in items if not i.dropped]
    for item in alive:
        item.tier = "archive" if recall_only(item) else "project"
    # The most valuable first (see value_rank), then best kind, verified before unverified,
    # and newer first within that (stable sorts). What does not fit is archived (recall-only),
    # never deleted.
    ranked = sorted((i for i in alive if i.tier == "project"), key=lambda i: i.when, reverse=True)
    ranked.sort(
        key=lambda i: (value_rank(i.kind, i.source, i.text), KIND_RANK.get(i.kind, 3), i.status != "verified")
    )
    lines = size = 0
    users_words: list[str] = []  # the user's lines kept so far
    for item in ranked:
        cost = line_bytes(item)
        if lines + 1 > max_lines or size + cost > max_bytes or restates_the_user(item, users_words):
            item.tier = "archive"
            continue
        lines, size = lines + 1, size + cost
        if item.source == "user":
            users_words.append(item.text)


def restates_the_user(item: Item, users_words: list[str]) -> bool:
    """Whether ``item``, a line lifted from the assistant's prose, names only values that the
    user's lines kept in project memory already give: "Start with `bash scripts/release.sh
    --dry-run --staging`" beside the user's "The dry run should be `bash scripts/release.sh
    --dry-run --staging`". It stays recallable; the room goes to a value no other line holds.
    A note the agent chose to save (``remember``) is kept: it is few, and often the shorter
    way of saying the user's rule."""
    if item.source != "derived":
        return False
    values = exact_values(item.text)  # every code span and value, not only the key ones
    return bool(values) and all(any(value in words for words in users_words) for value in values)
