"""Memory follows the code's changed values: an applied edit updates what a new session is told.

The user states facts with exact values early in a session ("the tablet API listens on port 8471
there"); later the agent applies an edit (``propose_edit``) that replaces exactly that value in a
workspace file ("port = 8471" -> "port = 8479"), and the file on disk holds the new text. The next
session's first request must not present the old value as current: any line naming it also names
the new one (say, as a note that it changed), or the old value is gone; the memory's other values
stay, and the new value is shown.

An edit the user refused, an edit later reverted, or an edit to an unrelated value leaves the
memory as the user said it; so does a statement the user makes after the edit.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.consolidate import consolidate
from cairn.memory.context import assemble
from cairn.memory.testing import FakeTextModel

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)

APP_INI = """\
[tablet_api]
host = 0.0.0.0
port = 8471
workers = 2
retries = 3

[logging]
level = info
"""

BUS_PY = '''\
"""The hearthd message bus client."""

import os

BROKER = "mqtt://pi-07.lan:1883"
TOKEN_ENV = "HEARTHD_BUS_TOKEN"


def token() -> str:
    return os.environ[TOKEN_ENV]
'''

BACKUP_PY = '''\
"""Nightly backups of the hearthd database."""

from pathlib import Path

DEFAULT_DEST = "/srv/hearthd/backups/nightly"
KEEP_DAYS = 14


def destination(override: str | None = None) -> Path:
    return Path(override or DEFAULT_DEST)
'''


# -- building a session ----------------------------------------------------------------------


def _write(workspace: Path, rel: str, text: str) -> None:
    path = workspace / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _diff(rel: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
    )
    return "".join(lines)


async def _say(store, session: str, role: str, content: str) -> None:
    await store.append_message(session, {"role": role, "content": content})


async def _edit(
    store,
    session: str,
    call_id: str,
    rel: str,
    before: str,
    old_text: str,
    new_text: str,
    *,
    applied: bool = True,
    preface: str = "I'll make that change.",
) -> str:
    """The agent's ``propose_edit`` call and its result, as the agent loop stores them; returns the
    file's text afterwards (unchanged when the user rejected the change)."""
    assert before.count(old_text) == 1
    after = before.replace(old_text, new_text)
    arguments = {"path": rel, "old_text": old_text, "new_text": new_text}
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": "propose_edit", "arguments": json.dumps(arguments)},
    }
    await store.append_message(session, {"role": "assistant", "content": preface, "tool_calls": [call]})
    if applied:
        content = f"Applied the change to {rel} in the editor.\n{_diff(rel, before, after)}"
    else:
        content = f"The user rejected the change to {rel}."
    await store.append_message(
        session, {"role": "tool", "tool_call_id": call_id, "name": "propose_edit", "content": content}
    )
    return after if applied else before


async def _read(store, session: str, call_id: str, rel: str, text: str) -> None:
    """The agent reads a file first (numbered lines, as read_file shows them)."""
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": "read_file", "arguments": json.dumps({"path": rel})},
    }
    await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
    numbered = "".join(f"{n:6d}\t{line}\n" for n, line in enumerate(text.splitlines(), start=1))
    await store.append_message(
        session, {"role": "tool", "tool_call_id": call_id, "name": "read_file", "content": numbered}
    )


async def _next_sessions_first_request(store, workspace: Path, session: str) -> str:
    """The session ends (checkpoint), memory is consolidated, and a new session starts."""
    await CheckpointWriter(store, None).write_now(session)
    await consolidate(store, workspace_root=workspace, model=FakeTextModel(), now=NOW)
    fresh = await store.new_session()
    context = await assemble(
        store, fresh, system_prompt="You are Cairn.", request="Where were we?", budget_tokens=8_000
    )
    return "\n".join(str(m.get("content")) for m in context)


def _lines_with(text: str, value: str) -> list[str]:
    return [line for line in text.splitlines() if value in line]


def _assert_old_value_not_current(context: str, old: str, new: str) -> None:
    stale = [line for line in _lines_with(context, old) if new not in line]
    assert not stale, f"{old!r} still shown as current (without {new!r}):\n" + "\n".join(stale)
    assert new in context, f"the new value {new!r} is not shown:\n{context}"


PORT_FACT = "In production it runs on pi-07.lan, and the tablet API listens on port 8471 there."


async def _port_session_opening(store, workspace: Path) -> str:
    _write(workspace, "config/app.ini", APP_INI)
    session = await store.new_session()
    await _say(store, session, "user", "Quick context before we start on the tablet dashboard.")
    await _say(store, session, "assistant", "Sure, go ahead.")
    await _say(store, session, "user", PORT_FACT)
    await _say(
        store, session, "assistant", "Got it: production is pi-07.lan and the tablet API is on 8471 there."
    )
    await _say(
        store,
        session,
        "user",
        "The new metrics exporter grabbed that port on the Pi. Move the tablet API to a free port "
        "close to it, please.",
    )
    await _read(store, session, "r1", "config/app.ini", APP_INI)
    return session


# -- the edit changes a value the user stated ------------------------------------------------


async def test_a_port_changed_by_an_applied_edit_is_not_shown_as_current(store, workspace):
    """The user said the tablet API listens on port 8471 on pi-07.lan; the agent then moved it to
    8479 in config/app.ini (applied, on disk). The next morning the new session must not tell the
    agent "port 8471" as if nothing changed: it knows 8479, and still knows it runs on pi-07.lan."""
    session = await _port_session_opening(store, workspace)
    after = await _edit(
        store,
        session,
        "e1",
        "config/app.ini",
        APP_INI,
        "port = 8471",
        "port = 8479",
        preface="8479 is free on the Pi; switching the tablet API to it.",
    )
    _write(workspace, "config/app.ini", after)
    await _say(store, session, "assistant", "Done: the tablet API now listens on 8479 in config/app.ini.")
    await _say(store, session, "user", "Great, thanks. I'll redeploy tonight.")

    context = await _next_sessions_first_request(store, workspace, session)

    _assert_old_value_not_current(context, "8471", "8479")
    assert "pi-07.lan" in context


async def test_a_port_changed_after_a_checkpoint_had_recorded_it_is_not_shown_as_current(store, workspace):
    """In a longer session the checkpoint had already recorded "port 8471" before the agent moved
    the tablet API to 8479; the next session still must not offer 8471 as the current port."""
    session = await _port_session_opening(store, workspace)
    await CheckpointWriter(store, None).write_now(session)
    for n in range(1, 4):
        await _say(store, session, "user", f"Before the port, tidy up the dashboard widget number {n}.")
        await _say(store, session, "assistant", f"Widget {n} now uses the shared card layout.")
    await CheckpointWriter(store, None).write_now(session)
    await _say(store, session, "user", "Now the port, please.")
    after = await _edit(store, session, "e1", "config/app.ini", APP_INI, "port = 8471", "port = 8479")
    _write(workspace, "config/app.ini", after)
    await _say(store, session, "assistant", "The tablet API is on 8479 now.")

    context = await _next_sessions_first_request(store, workspace, session)

    _assert_old_value_not_current(context, "8471", "8479")
    assert "pi-07.lan" in context


async def test_an_env_var_renamed_by_an_applied_edit_is_not_shown_as_current(store, workspace):
    """The user said the bus token comes from HEARTHD_BUS_TOKEN in /etc/hearthd/env; the agent
    renamed the variable to HEARTHD_MQTT_TOKEN in hearthd/bus.py. The next session must not tell
    the agent to read HEARTHD_BUS_TOKEN as if it were still the name, and still knows the file."""
    rel = "hearthd/bus.py"
    _write(workspace, rel, BUS_PY)
    session = await store.new_session()
    await _say(store, session, "user", "Let's look at why the bus client keeps reconnecting.")
    await _say(store, session, "assistant", "Sure. Where does the client get its credentials?")
    await _say(store, session, "user", "The token comes from HEARTHD_BUS_TOKEN in /etc/hearthd/env.")
    await _say(store, session, "assistant", "Thanks, I'll keep that in mind while reading hearthd/bus.py.")
    await _read(store, session, "r1", rel, BUS_PY)
    await _say(
        store,
        session,
        "user",
        "The broker team renamed their variables; our variable should follow their MQTT naming.",
    )
    after = await _edit(
        store,
        session,
        "e1",
        rel,
        BUS_PY,
        'TOKEN_ENV = "HEARTHD_BUS_TOKEN"',
        'TOKEN_ENV = "HEARTHD_MQTT_TOKEN"',
        preface="Renaming the token variable to match the broker's MQTT naming.",
    )
    _write(workspace, rel, after)
    await _say(store, session, "assistant", "Renamed: the client reads HEARTHD_MQTT_TOKEN now.")
    await _say(store, session, "user", "Perfect, I'll update the env file on the Pi later.")

    context = await _next_sessions_first_request(store, workspace, session)

    _assert_old_value_not_current(context, "HEARTHD_BUS_TOKEN", "HEARTHD_MQTT_TOKEN")
    assert "/etc/hearthd/env" in context


async def test_a_backup_directory_changed_by_an_applied_edit_is_not_shown_as_current(store, workspace):
    """The user's standing instruction said nightly backups go to /srv/hearthd/backups/nightly;
    later the agent pointed DEFAULT_DEST at /mnt/nas/hearthd-backups in hearthd/backup.py. The next
    session must not instruct the agent to write backups to the old directory as if it were still
    the destination; it shows the new one and the instruction about nightly backups stays."""
    rel = "hearthd/backup.py"
    _write(workspace, rel, BACKUP_PY)
    session = await store.new_session()
    await _say(store, session, "user", "We're setting up backups for the hearthd database.")
    await _say(store, session, "assistant", "Okay. Anything I should know about where they go?")
    await _say(
        store, session, "user", "From now on, nightly backups should go to /srv/hearthd/backups/nightly."
    )
    await _say(store, session, "assistant", "Understood, I'll use that directory for the nightly backups.")
    await _read(store, session, "r1", rel, BACKUP_PY)
    await _say(
        store,
        session,
        "user",
        "The SD card on the Pi is filling up. Point the default destination at the NAS share instead.",
    )
    after = await _edit(
        store,
        session,
        "e1",
        rel,
        BACKUP_PY,
        'DEFAULT_DEST = "/srv/hearthd/backups/nightly"',
        'DEFAULT_DEST = "/mnt/nas/hearthd-backups"',
        preface="Pointing the default destination at the NAS share.",
    )
    _write(workspace, rel, after)
    await _say(store, session, "assistant", "Done: backups default to /mnt/nas/hearthd-backups now.")
    await _say(store, session, "user", "Thanks!")

    context = await _next_sessions_first_request(store, workspace, session)

    _assert_old_value_not_current(context, "/srv/hearthd/backups/nightly", "/mnt/nas/hearthd-backups")
    assert "nightly backups" in context


# -- the memory keeps its value ---------------------------------------------------------------


def _assert_kept_as_stated(context: str, old: str, new: str, *others: str) -> None:
    kept = [line for line in _lines_with(context, old) if all(o in line for o in others)]
    assert kept, f"the memory naming {old!r} with {others} is not shown:\n{context}"
    attached = [line for line in _lines_with(context, old) if new in line]
    assert not attached, f"{new!r} attached to the memory of {old!r}:\n" + "\n".join(attached)


async def test_a_rejected_edit_leaves_the_stated_port_as_it_was(store, workspace):
    """The agent proposed moving the tablet API to 8479, but the user rejected the change and the
    file still says 8471: the next session still knows port 8471 on pi-07.lan, with no note that
    it became 8479."""
    session = await _port_session_opening(store, workspace)
    after = await _edit(
        store, session, "e1", "config/app.ini", APP_INI, "port = 8471", "port = 8479", applied=False
    )
    assert after == APP_INI
    await _say(
        store,
        session,
        "user",
        "No, leave the port alone, I'll move the metrics exporter instead; the tablets are hardcoded.",
    )
    await _say(store, session, "assistant", "Understood, config/app.ini is unchanged.")

    context = await _next_sessions_first_request(store, workspace, session)

    _assert_kept_as_stated(context, "8471", "8479", "pi-07.lan")


async def test_an_edit_reverted_later_leaves_the_stated_port_as_it_was(store, workspace):
    """The agent moved the tablet API to 8479, then put 8471 back when the user found the tablets
    were hardcoded; the file holds 8471 again. The next session knows port 8471 on pi-07.lan, and
    does not present it as changed to 8479."""
    session = await _port_session_opening(store, workspace)
    changed = await _edit(store, session, "e1", "config/app.ini", APP_INI, "port = 8471", "port = 8479")
    _write(workspace, "config/app.ini", changed)
    await _say(store, session, "assistant", "The tablet API is on 8479 now.")
    await _say(
        store,
        session,
        "user",
        "Hmm, the tablets are hardcoded to the old one. Put it back, I'll move the exporter.",
    )
    restored = await _edit(
        store,
        session,
        "e2",
        "config/app.ini",
        changed,
        "port = 8479",
        "port = 8471",
        preface="Reverting the port change.",
    )
    assert restored == APP_INI
    _write(workspace, "config/app.ini", restored)
    await _say(store, session, "assistant", "Reverted: config/app.ini says port 8471 again.")

    context = await _next_sessions_first_request(store, workspace, session)

    _assert_kept_as_stated(context, "8471", "8479", "pi-07.lan")


async def test_an_edit_to_an_unrelated_value_leaves_the_memory_alone(store, workspace):
    """The user said they run 3 replicas of the API on pi-07.lan; the agent raised ``retries``
    from 3 to 5 in config/app.ini, which is a different setting. The next session still says 3
    replicas, and the 5 is not attached to it."""
    _write(workspace, "config/app.ini", APP_INI)
    session = await store.new_session()
    await _say(store, session, "user", "Some background on the deployment first.")
    await _say(store, session, "assistant", "Go ahead.")
    await _say(store, session, "user", "We run 3 replicas of the API on pi-07.lan.")
    await _say(store, session, "assistant", "Noted: 3 replicas on pi-07.lan.")
    await _say(
        store, session, "user", "The tablet client gives up too fast on flaky Wi-Fi; let it retry more."
    )
    await _read(store, session, "r1", "config/app.ini", APP_INI)
    after = await _edit(
        store,
        session,
        "e1",
        "config/app.ini",
        APP_INI,
        "retries = 3",
        "retries = 5",
        preface="Raising the retry count.",
    )
    _write(workspace, "config/app.ini", after)
    await _say(store, session, "assistant", "Retries raised to 5.")

    context = await _next_sessions_first_request(store, workspace, session)

    kept = _lines_with(context, "3 replicas of the API on pi-07.lan")
    assert kept, f"the replicas memory is not shown:\n{context}"
    gained = [line for line in kept if re.search(r"\b5\b", line) or "retries" in line]
    assert not gained, "the unrelated edit's value was attached:\n" + "\n".join(gained)


async def test_a_statement_made_after_the_edit_is_shown_as_the_user_said_it(store, workspace):
    """After the agent moved the tablet API to 8479, the user said "8471 was the old port; the
    tablet uses 8479 now." The next session shows that statement as the user said it, and still
    knows production is pi-07.lan."""
    session = await _port_session_opening(store, workspace)
    after = await _edit(store, session, "e1", "config/app.ini", APP_INI, "port = 8471", "port = 8479")
    _write(workspace, "config/app.ini", after)
    await _say(store, session, "assistant", "The tablet API is on 8479 now.")
    statement = "8471 was the old port; the tablet uses 8479 now."
    await _say(store, session, "user", statement)
    await _say(store, session, "assistant", "Noted.")

    context = await _next_sessions_first_request(store, workspace, session)

    shown = _lines_with(context, statement)
    assert shown, context
    # As the user said it: no note about the edit's new value is added to their own words.
    assert all(line.count("8479") == 1 for line in shown), "\n".join(shown)
    assert "pi-07.lan" in context
