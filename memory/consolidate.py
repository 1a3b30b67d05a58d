"""Consolidation ("dream"): turn recent checkpoints and notes into verified project memory.

Steps (each reported through ``progress``): orient, gather candidates from the checkpoints
written since the last run, verify every memory against the raw history and the live
workspace, merge duplicates, make relative dates absolute, drop contradicted facts (keeping
the newer, with provenance), keep project memory within its cap, optionally let a model
improve wording (never values), then write the plan in one transaction.

Single-flight across processes through a lease row. :func:`consolidate_if_due` runs it
whenever a session or checkpoint exists that no run has covered yet (a cheap index probe
otherwise), so a new session starts with what the previous ones established;
:func:`maybe_consolidate` is the older periodic trigger (at most once per interval).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cairn.memory.checkpoint_format import merge
from cairn.memory.checkpoints import calls_before
from cairn.memory.consolidate_plan import (
    STATEMENT_KINDS,
    Item,
    assign_tiers,
    candidates_from_checkpoint,
    dated,
    drop_contradictions,
    from_memory,
    line_bytes,
    merge_duplicates,
)
from cairn.memory.extract import exact_values, extract
from cairn.memory.note_sources import copied_from
from cairn.memory.ports import TextModel
from cairn.memory.records import CheckpointRecord, MemoryDelete, MemoryInsert, MemoryUpdate
from cairn.memory.statements import is_directive
from cairn.memory.store import MemoryStore
from cairn.memory.value_changes import APPLIED_HEADS, STATED_HINTS, ValueChange, changes_in, latest
from cairn.memory.values import keyed_values
from cairn.memory.workspace_check import file_holds, missing_paths, path_exists, symbol_in_file

log = logging.getLogger(__name__)

LAST_RUN_KEY = "consolidation.last_run"
CURSOR_KEY = "consolidation.checkpoints_through"  # created_at of the newest gathered checkpoint
SESSIONS_KEY = "consolidation.sessions_through"  # updated_at of the newest gathered session
LEASE_NAME = "consolidation"
DEFAULT_INTERVAL = timedelta(days=7)
MAX_SESSIONS_PER_RUN = 200
Progress = Callable[[str, float], None]


class ConsolidationBusy(RuntimeError):
    """Another process is consolidating this workspace's memory right now."""


@dataclass
class ConsolidationReport:
    """What a consolidation changed."""

    started_at: str
    candidates: int = 0
    added: int = 0
    merged: int = 0
    dated: int = 0
    verified: int = 0
    unverified: int = 0
    stale: int = 0
    archived: int = 0
    reworded: int = 0
    dropped: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    project_lines: int = 0
    project_bytes: int = 0

    def summary(self) -> str:
        """A short markdown report for the user."""
        lines = [
            f"# Memory consolidated ({self.started_at[:16].replace('T', ' ')} UTC)",
            f"- {self.candidates} candidate facts gathered, {self.added} added, "
            f"{self.merged} duplicates merged, {len(self.dropped)} contradicted facts dropped",
            f"- {self.verified} verified, {self.unverified} unconfirmed (tagged unverified), "
            f"{self.stale} stale, {self.archived} recall-only (untrusted, stale or over the "
            "project-memory cap)",
            f"- {self.dated} relative dates made absolute, {self.reworded} reworded by the model",
            f"- project memory: {self.project_lines} lines, {self.project_bytes} bytes",
        ]
        lines += [f"- {note}" for note in self.dropped + self.changes]
        return "\n".join(lines) + "\n"


async def _verify(store: MemoryStore, root: Path, item: Item, now: str) -> None:
    """Set the item's status from the raw history and the live workspace."""
    for anchor in item.anchors:
        if not await path_exists(root, anchor.path) or (
            anchor.symbol and await symbol_in_file(root, anchor.path, anchor.symbol) is False
        ):
            item.status = "stale"
            return
    if await _no_longer_in_file(root, item):
        item.status = "stale"
        return
    if item.source == "user":
        confirmed = True
    else:
        values = exact_values(item.text)
        confirmed = await store.history_contains(item.text) or (
            bool(values) and all([await store.history_contains(v) for v in values])
        )
    # Only what looks like a path of this workspace can make a memory unverified: a
    # hostname or a dotted name is not a file that went missing.
    if await missing_paths(root, exact_values(item.text)):
        confirmed = False
    item.status = "verified" if confirmed else "unverified"
    if confirmed:
        item.verified_at = now


async def _no_longer_in_file(root: Path, item: Item) -> bool:
    """Whether the workspace file a memory reports on says otherwise by now: a line copied
    from it that it no longer holds, or the agent's statement naming it with a setting (a pin,
    a port, a cron schedule) it no longer holds ("Schedule changed in `cronjob.yaml`: `50 5 *
    * *`" once the file says 40 6). The user's words are theirs and are not judged by a file."""
    copied = copied_from(item.text)
    if copied is not None:
        line, place, _ = copied
        return await file_holds(root, place, [line]) is False
    if item.source != "derived" or item.kind not in STATEMENT_KINDS:
        return False
    settings = list(keyed_values(item.text).values())
    if not settings:
        return False
    # Only the values naming a file of this workspace get a verdict (None: not one).
    verdicts = [await file_holds(root, value, settings) for value in exact_values(item.text)]
    known = [v for v in verdicts if v is not None]
    return bool(known) and not any(known)


async def _follow_edits(store: MemoryStore, root: Path, items: list[Item]) -> list[str]:
    """Statements naming a value an applied edit changed, and not the new one, get the change's
    note (value_changes.py): the user's words are kept, and say what the value became. Only
    changes the edited file still shows count (a refused edit or one undone since changed
    nothing). A line copied from a command's output gets the note too (before its where-from
    note); one copied from a file is also judged by the file itself (`_no_longer_in_file`).
    A memory's own date is no guide: it is when a consolidation stored it, often after the edit
    of a statement made before it (session-b's devpi port)."""
    messages = await store.change_messages(APPLIED_HEADS, STATED_HINTS)
    found = await asyncio.to_thread(lambda: latest(changes_in(messages)))
    shown = [change for change in found if not change.path or await _file_shows(root, change)]
    # Every statement against every change: a large memory's worth of matching, off the loop.
    return await asyncio.to_thread(_note_changes, items, shown)


def _note_changes(items: list[Item], changes: list[ValueChange]) -> list[str]:
    notes: list[str] = []
    for change in changes:
        for item in items:
            if item.dropped:
                continue
            if change.outdates(item.text):
                item.text = change.annotate(item.text)
                label = f"#{item.existing.id}" if item.existing else "a new memory"
                notes.append(f"{label}: {change.old} became {change.new} {change.where} ({change.when[:10]})")
    return notes


async def _file_shows(root: Path, change: ValueChange) -> bool:
    """Whether the edited file holds the change's new line and not its old one."""
    if not change.old_line or not change.new_line:
        return False
    if await file_holds(root, change.path, [change.old_line]) is not False:
        return False
    return await file_holds(root, change.path, [change.new_line]) is True


async def _uncovered_tails(
    store: MemoryStore, since: str | None
) -> tuple[list[CheckpointRecord], str | None]:
    """Messages no checkpoint covers yet (a session's last steps before it ended), extracted
    the same deterministic way, so a session's final facts reach long-term memory too."""
    tails: list[CheckpointRecord] = []
    newest = since
    for session in await store.sessions(limit=MAX_SESSIONS_PER_RUN):
        if since is not None and session.updated_at <= since:
            continue
        newest = max(newest or session.updated_at, session.updated_at)
        latest = await store.latest_checkpoint(session.id)
        rows = await store.message_rows(session.id, after_seq=latest.last_seq if latest else 0)
        if rows:
            calls = await calls_before(store, session.id, rows)
            data = merge(None, extract(rows, calls_from=calls), {}, changes_in(rows, calls_from=calls))
            tails.append(
                CheckpointRecord(0, session.id, rows[0].seq, rows[-1].seq, None, data, 0, rows[-1].created_at)
            )
    return tails, newest


async def _reword(model: TextModel, items: list[Item]) -> int:
    """Let the model shorten long derived texts; keep a rewrite only if every value survives."""
    targets = [i for i in items if not i.dropped and i.source != "user" and len(i.text) > 160]
    if not targets:
        return 0
    numbered = "\n".join(f"{n}. {i.text}" for n, i in enumerate(targets, start=1))
    prompt = [
        {
            "role": "system",
            "content": "Rewrite each numbered note as one short sentence. Keep "
            "every path, number, command and identifier exactly. Answer with the same numbering.",
        },
        {"role": "user", "content": numbered},
    ]
    try:
        reply = await model.complete(prompt, max_tokens=60 * len(targets))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("rewording skipped: %s", exc)
        return 0
    rewritten = dict(re.findall(r"^\s*(\d+)\.\s*(.+?)\s*$", reply, re.MULTILINE))
    changed = 0
    for n, item in enumerate(targets, start=1):
        new = rewritten.get(str(n), "")
        if new and len(new) < len(item.text) and all(v in new for v in exact_values(item.text)):
            item.text, changed = new, changed + 1
    return changed


def _demote_non_rules(items: list[Item]) -> list[str]:
    """Directives stored before extraction told rules from questions and chatter become
    recall-only notes: they are no standing instruction, but nothing is deleted."""
    notes = []
    for item in items:
        if item.kind == "directive" and not is_directive(item.text):
            item.kind, item.recall_only = "note", True
            notes.append(f'"{item.text}" is no standing instruction: kept as a recall-only note')
    return notes


def _plan(items: list[Item]) -> list[MemoryInsert | MemoryUpdate | MemoryDelete]:
    steps: list[MemoryInsert | MemoryUpdate | MemoryDelete] = []
    for item in items:
        old = item.existing
        if old is None:
            if not item.dropped:
                steps.append(
                    MemoryInsert(
                        kind=item.kind,
                        text=item.text,
                        source=item.source,
                        provenance=item.provenance,
                        session_ids=tuple(item.session_ids),
                        anchors=item.anchors,
                        untrusted=item.untrusted,
                        status=item.status,
                        tier=item.tier,
                        verified_at=item.verified_at,
                    )
                )
            continue
        if item.dropped:
            steps.append(MemoryDelete(old.id, old.updated_at))
            continue
        changes = {
            k: v
            for k, v in {
                "kind": item.kind,
                "text": item.text,
                "status": item.status,
                "tier": item.tier,
                "provenance": item.provenance,
                "verified_at": item.verified_at,
                "session_ids": item.session_ids,
            }.items()
            if v != (list(old.session_ids) if k == "session_ids" else getattr(old, k))
        }
        if changes:
            steps.append(MemoryUpdate(old.id, old.updated_at, changes))
    return steps


async def consolidate(
    store: MemoryStore,
    *,
    workspace_root: Path,
    model: TextModel | None,
    now: datetime,
    progress: Progress | None = None,
) -> ConsolidationReport:
    """Consolidate the workspace's memory; raises :class:`ConsolidationBusy` if another
    process is doing it. ``model=None`` runs the deterministic mode (no rewording)."""
    async with store.lease(LEASE_NAME, ttl=300) as held:
        if not held:
            raise ConsolidationBusy("another Cairn window is consolidating this memory")
        return await _consolidate_locked(store, Path(workspace_root), model, now, progress)


async def _consolidate_locked(
    store: MemoryStore, root: Path, model: TextModel | None, now: datetime, progress: Progress | None
) -> ConsolidationReport:
    def step(message: str, fraction: float) -> None:
        if progress:
            progress(message, fraction)

    now_iso = now.astimezone(UTC).isoformat(timespec="microseconds")
    report = ConsolidationReport(started_at=now_iso)
    step("orienting", 0.0)
    gathered = await store.checkpoints(since=await store.get_meta(CURSOR_KEY))
    existing = [from_memory(m) for m in await store.list_memories()]
    report.changes += _demote_non_rules(existing)
    step("gathering candidate facts", 0.1)
    # Every checkpoint, not only the newest per session: a long session's later checkpoints
    # may have trimmed older items to fit their cap. Repeats are merged below.
    candidates = [c for cp in gathered for c in candidates_from_checkpoint(cp)]
    tails, sessions_through = await _uncovered_tails(store, await store.get_meta(SESSIONS_KEY))
    candidates += [c for tail in tails for c in candidates_from_checkpoint(tail)]
    report.candidates = len(candidates)
    items = existing + candidates
    step("merging duplicates", 0.2)
    merge_notes = merge_duplicates(items)
    report.merged = sum(1 for i in items if i.dropped == "duplicate" and i.existing)
    report.changes += merge_notes
    report.dated = dated([i for i in items if not i.dropped])
    step("verifying against history and workspace", 0.3)
    # Re-check what is new, changed since the last run, or shown on every call (project
    # tier); archived memories untouched since then keep their status (the file watcher
    # marks them stale when their anchors go away), so a large archive stays cheap.
    last_run = await store.get_meta(LAST_RUN_KEY)
    alive = [
        i
        for i in items
        if not i.dropped
        and (
            i.existing is None or i.tier == "project" or last_run is None or i.existing.updated_at > last_run
        )
    ]
    unreadable = 0
    for n, item in enumerate(alive, start=1):
        try:
            await _verify(store, root, item, now_iso)
        except OSError as exc:
            # One workspace file that cannot be read must not stop the whole run (the rest of
            # what the sessions learned would never reach memory): this memory stays unconfirmed.
            log.warning("could not check memory %r against the workspace: %s", item.text[:80], exc)
            item.status = "unverified"
            unreadable += 1
        if n % 50 == 0:
            step("verifying against history and workspace", 0.3 + 0.4 * n / len(alive))
    if unreadable:
        report.changes.append(f"{unreadable} memories could not be checked (a workspace file was unreadable)")
    report.changes += await _follow_edits(store, root, items)
    step("dropping contradicted facts", 0.7)
    report.dropped = drop_contradictions(items)
    if model is not None:
        step("improving wording", 0.8)
        report.reworded = await _reword(model, items)
    step("capping project memory", 0.85)
    assign_tiers(items)
    alive = [i for i in items if not i.dropped]
    report.added = sum(1 for i in alive if i.existing is None)
    report.verified = sum(1 for i in alive if i.status == "verified")
    report.unverified = sum(1 for i in alive if i.status == "unverified")
    report.stale = sum(1 for i in alive if i.status == "stale")
    report.archived = sum(1 for i in alive if i.tier == "archive")
    project = [i for i in alive if i.tier == "project"]
    report.project_lines = len(project)
    report.project_bytes = sum(line_bytes(i) for i in project)
    step("writing", 0.9)
    counts = await store.apply_memory_plan(_plan(items))
    if counts["skipped"]:
        report.changes.append(f"{counts['skipped']} memories changed meanwhile and were left as is")
    if gathered:
        await store.set_meta(CURSOR_KEY, gathered[-1].created_at)
    if sessions_through:
        await store.set_meta(SESSIONS_KEY, sessions_through)
    await store.set_meta(LAST_RUN_KEY, now_iso)
    step("done", 1.0)
    return report


async def _run_if(
    store: MemoryStore,
    due: Callable[[], Awaitable[bool]],
    root: Path,
    model: TextModel | None,
    now: datetime,
    progress: Progress | None,
) -> ConsolidationReport | None:
    """Consolidate if ``due()``, re-checked under the lease (another process may have just
    finished); None when not due or when another process is consolidating."""
    if not await due():
        return None
    async with store.lease(LEASE_NAME, ttl=300) as held:
        if not held or not await due():
            return None
        return await _consolidate_locked(store, Path(root), model, now, progress)


async def consolidate_if_due(
    store: MemoryStore,
    *,
    workspace_root: Path,
    model: TextModel | None,
    now: datetime,
    current_session_id: str | None = None,
    progress: Progress | None = None,
) -> ConsolidationReport | None:
    """Consolidate when a session or a checkpoint exists that no consolidation has covered.

    ``current_session_id`` (the session about to make its first model call) does not make a
    run due by itself: it has barely started. When nothing is uncovered this is two index
    probes and returns None; None too when another process is consolidating. Call it before
    a new session's first model request (bounded in time by the caller), when the server
    closes (with a grace period) and when the editor is idle.
    """

    async def due() -> bool:
        return await store.has_unconsolidated(
            sessions_since=await store.get_meta(SESSIONS_KEY),
            checkpoints_since=await store.get_meta(CURSOR_KEY),
            exclude_session=current_session_id,
        )

    return await _run_if(store, due, workspace_root, model, now, progress)


async def maybe_consolidate(
    store: MemoryStore,
    *,
    workspace_root: Path,
    model: TextModel | None,
    now: datetime,
    session_id: str | None = None,
    interval: timedelta = DEFAULT_INTERVAL,
    progress: Progress | None = None,
) -> ConsolidationReport | None:
    """Consolidate if the last run is ``interval`` old (or there was none); else None.

    The periodic trigger; :func:`consolidate_if_due` is the one that keeps a new session
    warm. With ``session_id``, only on that session's first message. Returns None too when
    another process is already consolidating.
    """
    if session_id is not None and await store.message_count(session_id) > 1:
        return None

    async def due() -> bool:
        last = await store.get_meta(LAST_RUN_KEY)
        return last is None or now - datetime.fromisoformat(last) >= interval

    return await _run_if(store, due, workspace_root, model, now, progress)
