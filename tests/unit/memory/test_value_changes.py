"""Reading which value an applied edit changed, and which statements it outdates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cairn.memory.records import StoredMessage
from cairn.memory.value_changes import (
    ValueChange,
    applied_changes,
    changes_in_edit,
    latest,
    stated_changes,
    without_notes,
)

WHEN = "2026-03-02T10:00:00+00:00"
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def _pairs(old_text: str, new_text: str) -> list[tuple[str, str]]:
    return [(c.old, c.new) for c in changes_in_edit("f", old_text, new_text, WHEN)]


@pytest.mark.parametrize(
    "old_text, new_text, expected",
    [
        ("[api]\nport = 8471\n", "[api]\nport = 8479\n", [("8471", "8479")]),
        (
            'TOKEN_ENV = "HEARTHD_BUS_TOKEN"',
            'TOKEN_ENV = "HEARTHD_MQTT_TOKEN"',
            [("HEARTHD_BUS_TOKEN", "HEARTHD_MQTT_TOKEN")],
        ),
        (
            'DEST = "/srv/app/backups"\nKEEP = 14\n',
            'DEST = "/mnt/nas/app-backups"  # the NAS\nKEEP = 14\n',
            [("/srv/app/backups", "/mnt/nas/app-backups")],
        ),
        (
            "psycopg[binary]==3.1.18\n",
            "psycopg[binary]==3.2.1\n",
            [("3.1.18", "3.2.1")],
        ),
    ],
)
def test_one_value_replaced_in_place_is_a_change(old_text, new_text, expected):
    assert _pairs(old_text, new_text) == expected


@pytest.mark.parametrize(
    "old_text, new_text",
    [
        ("retries = 3\n", "retries = 5\n"),  # a bare small number names nothing
        ("port = 80\n", "port = 81\n"),  # too short to tell one statement from another
        ("level = info\n", "level = debug\n"),  # words prose uses for anything
        ("threshold = 0.5\n", "threshold = 0.7\n"),  # a short decimal is any ratio
        ("a = 'x'\n", "a = 'x'\nb = 'y'\n"),  # an insertion replaces nothing
        # a reworded line: the value it lost and the one it gained are not the same thing
        (
            "plus whatever the bus client needs for authentication (see `hearthd/bus.py`).\n",
            "HEARTHD_MQTT_TOKEN=...     # bus AUTH token (hearthd/bus.py); there is no fallback name\n",
        ),
        ("RECONNECT_DELAY_S = 5.0\n", "connected_at = time.monotonic()\n"),  # code rewritten
        # one line, two values gone and two added: which became which is a guess
        ('connect("db1.lan", "/var/run/a.sock")\n', 'connect("db2.lan", "/var/run/b.sock")\n'),
    ],
)
def test_no_single_value_replaced_is_no_change(old_text, new_text):
    assert _pairs(old_text, new_text) == []


def _change(old: str, new: str, when: str = WHEN) -> ValueChange:
    return ValueChange(old, new, "config/app.ini", when, f"port = {old}", f"port = {new}")


def test_a_statement_is_outdated_when_it_names_the_old_value_alone():
    change = _change("8471", "8479")
    assert change.outdates("The tablet API listens on port 8471.")
    assert not change.outdates("8471 was the old port; the tablet uses 8479 now.")
    assert not change.outdates("Build 84712 passed, see 8.4712.")  # not the same number
    release = ValueChange("0.8.3", "0.9.0", "", WHEN)
    assert release.outdates("error: version must look like X.Y.Z (got 'v0.8.3')")  # a tag is the version
    noted = change.annotate("The tablet API listens on port 8471.")
    assert (
        noted
        == "The tablet API listens on port 8471. [Cairn: 8471 became 8479 in config/app.ini on 2026-03-02]"
    )
    assert not change.outdates(noted), "a noted statement is noted once"
    assert without_notes(noted) == "The tablet API listens on port 8471."


def test_the_note_goes_before_a_copied_lines_where_from():
    change = _change("8471", "8479")
    assert change.annotate("port = 8471 — from read_file config/app.ini:3") == (
        "port = 8471 [Cairn: 8471 became 8479 in config/app.ini on 2026-03-02]"
        " — from read_file config/app.ini:3"
    )


def test_changes_are_followed_to_their_last_value_and_an_undone_one_counts_for_nothing():
    first, second = _change("8471", "8479"), _change("8479", "8480")
    assert [(c.old, c.new) for c in latest([first, second])] == [("8471", "8480"), ("8479", "8480")]
    assert latest([first, _change("8479", "8471")]) == []


def _row(seq: int, message: dict) -> StoredMessage:
    return StoredMessage(seq, "s", seq, message, None, True, WHEN)


def test_only_an_edit_whose_result_says_applied_changes_a_value():
    arguments = json.dumps({"path": "config/app.ini", "old_text": "port = 8471", "new_text": "port = 8479"})
    call = {"id": "e1", "type": "function", "function": {"name": "propose_edit", "arguments": arguments}}
    asked = _row(1, {"role": "assistant", "content": "", "tool_calls": [call]})

    def result(content: str) -> StoredMessage:
        return _row(2, {"role": "tool", "tool_call_id": "e1", "name": "propose_edit", "content": content})

    applied = applied_changes([asked, result("Applied the change to config/app.ini in the editor.\n")])
    assert [(c.old, c.new, c.path) for c in applied] == [("8471", "8479", "config/app.ini")]
    assert applied_changes([asked, result("The user rejected the change to config/app.ini.")]) == []
    # The call may be in the messages before the range (a checkpoint range opening on the result).
    later = applied_changes(
        [result("Applied the change to config/app.ini in the editor.\n")], calls_from=[asked]
    )
    assert len(later) == 1


def test_a_standing_instruction_said_with_and_without_its_note_is_listed_once_with_it():
    """An earlier session's checkpoint still holds the directive as said; memory holds it with
    the note: the model is told the rule once, and what its value became."""
    from cairn.memory.context_sections import directives_text, one_per_statement

    said = "From now on, nightly backups go to /srv/app/backups."
    noted = _change("/srv/app/backups", "/mnt/nas/app-backups").annotate(said)
    assert one_per_statement([said, "Never edit migrations/.", noted]) == [noted, "Never edit migrations/."]
    text = directives_text([noted], [said, "Never edit migrations/."], 500, len)
    assert text.count("nightly backups") == 1 and "/mnt/nas/app-backups" in text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("By our semver rule that's a minor bump. Make it 0.9.0 instead of 0.8.3.", [("0.8.3", "0.9.0")]),
        ("Change the tablet port from 8471 to 8479, please.", [("8471", "8479")]),
        ("Make it 8479 instead of 8471.", [("8471", "8479")]),  # the number ends the sentence
        ("Bump psycopg 3.1.18 -> 3.2.1 now that pgbouncer is new enough.", [("3.1.18", "3.2.1")]),
        (
            "Backups go to `/mnt/nas/backups` instead of `/srv/backups` from now on.",
            [("/srv/backups", "/mnt/nas/backups")],
        ),
        ("Should we go from 3.1.18 to 3.2.1?", []),  # asked, not decided
        ("Move it from the desk to the shelf.", []),  # no values
        ("We went from 3 to 5 replicas.", []),  # numbers prose uses for anything
    ],
)
def test_the_users_own_words_can_replace_a_value(text, expected):
    assert [(c.old, c.new) for c in stated_changes(text, WHEN)] == expected


async def test_a_value_the_user_replaced_in_words_is_noted_in_the_next_sessions_memory(store, workspace):
    """Session-b's release was 0.8.3 until the user said "Make it 0.9.0 instead of 0.8.3": no
    edit changed it (a script bumped the files), and the next day memory still said 0.8.3."""
    from cairn.memory.checkpoints import CheckpointWriter
    from cairn.memory.consolidate import consolidate
    from cairn.memory.context import assemble
    from cairn.memory.testing import FakeTextModel

    session = await store.new_session()
    for role, text in [
        ("user", "Now the release. This is a bug-fix release, so 0.8.3."),
        ("assistant", "OK, bumping to 0.8.3."),
    ]:
        await store.append_message(session, {"role": role, "content": text})
    await CheckpointWriter(store, None).write_now(session)
    for role, text in [
        ("user", "Hmm wait. A new config key means a minor bump. Make it 0.9.0 instead of 0.8.3."),
        ("assistant", "Bumped to 0.9.0."),
    ]:
        await store.append_message(session, {"role": role, "content": text})
    await CheckpointWriter(store, None).write_now(session)
    await consolidate(store, workspace_root=workspace, model=FakeTextModel(), now=NOW)
    fresh = await store.new_session()
    context = await assemble(
        store, fresh, system_prompt="You are Cairn.", request="Where were we?", budget_tokens=8_000
    )
    text = "\n".join(str(m.get("content")) for m in context)
    assert "0.8.3" in text
    stale = [line for line in text.splitlines() if "0.8.3" in line and "0.9.0" not in line]
    assert not stale, stale


async def test_a_line_copied_from_a_commands_output_is_noted_too(store, workspace):
    """Session-b's project memory kept "==> upload to https://pkgs...:3141/... — from command
    `bash scripts/release.sh ...`" unnoted after the script moved to port 3180."""
    from cairn.memory.consolidate import consolidate
    from cairn.memory.records import MemoryInsert

    rel = "scripts/release.sh"
    (workspace / "scripts").mkdir(parents=True, exist_ok=True)
    (workspace / rel).write_text('STAGING="https://pkgs.example.net:3180/staging/"\n')
    copied = "==> upload to https://pkgs.example.net:3141/staging/ — from command `bash scripts/release.sh`"
    await store.apply_memory_plan(
        [MemoryInsert(kind="fact", text=copied, source="derived", provenance="tool output", untrusted=True)]
    )
    session = await store.new_session()
    arguments = json.dumps(
        {
            "path": rel,
            "old_text": 'STAGING="https://pkgs.example.net:3141/staging/"',
            "new_text": 'STAGING="https://pkgs.example.net:3180/staging/"',
        }
    )
    call = {"id": "e1", "type": "function", "function": {"name": "propose_edit", "arguments": arguments}}
    await store.append_message(session, {"role": "assistant", "content": "", "tool_calls": [call]})
    await store.append_message(
        session,
        {
            "role": "tool",
            "tool_call_id": "e1",
            "name": "propose_edit",
            "content": f"Applied the change to {rel}.\n",
        },
    )
    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    (memory,) = [m for m in await store.list_memories() if "3141" in m.text]
    assert "became pkgs.example.net:3180 in scripts/release.sh" in memory.text
    assert memory.text.endswith("— from command `bash scripts/release.sh`"), "its origin stays last"
