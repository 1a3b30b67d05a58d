"""Consolidation: verification, duplicates, dates, contradictions, cap, wording, scheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.consolidate import (
    ConsolidationBusy,
    consolidate,
    maybe_consolidate,
)
from cairn.memory.consolidate_plan import Item, assign_tiers
from cairn.memory.dates import absolutize_dates
from cairn.memory.testing import FakeTextModel

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_relative_dates_become_absolute():
    ref = date(2026, 3, 4)  # a Wednesday
    assert absolutize_dates("fixed yesterday, ship tomorrow", ref) == (
        "fixed yesterday (2026-03-03), ship tomorrow (2026-03-05)"
    )
    assert (
        absolutize_dates("3 days ago and in two days", ref)
        == "3 days ago (2026-03-01) and in two days (2026-03-06)"
    )
    assert absolutize_dates("last week", ref) == "last week (the week of 2026-02-23)"
    assert absolutize_dates("next Monday", ref) == "next Monday (2026-03-09)"
    assert absolutize_dates("last Wednesday", ref) == "last Wednesday (2026-02-25)"
    assert absolutize_dates("last month", ref) == "last month (2026-02)"
    assert absolutize_dates("the todays list stays", ref) == "the todays list stays"


def test_a_dated_sentence_keeps_its_grammar():
    # Replacing the word broke sentences seen in a real session ("2026-12-06 they match",
    # "Harmless 2026-12-06 because"): the words stay and the date is added beside them.
    ref = date(2026, 12, 6)
    assert absolutize_dates("Today they match.", ref) == "Today (2026-12-06) they match."
    assert absolutize_dates("Harmless today because nothing reads it", ref) == (
        "Harmless today (2026-12-06) because nothing reads it"
    )


def test_dating_twice_adds_nothing():
    # Consolidation runs again on later days over the same memories: a dated expression stays as
    # it was first dated, not re-dated from the later day.
    once = absolutize_dates("fixed yesterday, see you next week", date(2026, 3, 4))
    assert absolutize_dates(once, date(2026, 4, 20)) == once


async def _session(store, *messages):
    session = await store.new_session()
    for role, content in messages:
        await store.append_message(session, {"role": role, "content": content})
    await CheckpointWriter(store, None).write_now(session)
    return session


async def test_consolidation_verifies_merges_dates_and_drops_contradictions(store, workspace):
    (workspace / "src").mkdir()
    (workspace / "src" / "billing.py").write_text("def charge():\n    pass\n")
    first = await _session(
        store,
        (
            "user",
            "Always run `make lint` before pushing. The billing "
            "service listens on port 8080. Yesterday we moved "
            "invoices into src/billing.py.",
        ),
    )
    await store.remember("Billing code is in src/billing.py", source="agent", session_id=first)
    await store.remember("Invoices used to live in src/old_invoices.py", source="agent", session_id=first)
    second = await _session(
        store,
        (
            "user",
            "Heads up: the billing service listens on port 9090 now. Always run `make lint` before pushing.",
        ),
    )
    seen = []
    report = await consolidate(
        store,
        workspace_root=workspace,
        model=None,
        now=NOW,
        progress=lambda message, fraction: seen.append(fraction),
    )
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    memories = {m.text: m for m in await store.list_memories()}
    directive = memories["Always run `make lint` before pushing."]
    assert directive.kind == "directive" and set(directive.session_ids) == {first, second}
    assert not any("port 8080" in text for text in memories)
    newer = next(m for t, m in memories.items() if "port 9090" in t)
    assert "supersedes" in newer.provenance and "port 8080" in newer.provenance
    assert any(text.startswith("Yesterday (2026-03-0") and "src/billing.py" in text for text in memories)
    assert memories["Billing code is in src/billing.py"].status == "verified"
    assert memories["Invoices used to live in src/old_invoices.py"].status == "unverified"
    assert report.merged == 0 and len(report.dropped) == 1 and report.added >= 3
    assert "contradicted" in report.summary()

    again = await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    assert again.candidates == 0 and again.added == 0  # nothing new since the last run
    assert {m.text for m in await store.list_memories()} == set(memories)


async def test_existing_duplicates_are_merged(store, workspace):
    a = await store.remember("Use uv for installs", kind="preference", source="agent", session_id="s1")
    b = await store.remember("use uv for installs.", kind="preference", source="agent", session_id="s2")
    report = await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    assert report.merged == 1
    kept = await store.list_memories()
    assert [m.id for m in kept] == [a] and set(kept[0].session_ids) == {"s1", "s2"}
    assert await store.get_memory(b) is None


async def test_missing_anchor_marks_stale_and_archives(store, workspace):
    gone = await store.remember("Parser lives in src/parser.py", source="user", anchors=["src/parser.py"])
    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    memory = await store.get_memory(gone)
    assert memory.status == "stale" and memory.tier == "archive"


def test_cap_keeps_directives_and_decisions_first():
    items = [
        Item(
            kind="fact",
            text=f"fact {i} " + "x" * 80,
            source="derived",
            provenance="p",
            when=f"2026-01-01T00:00:{i % 60:02d}",
        )
        for i in range(300)
    ]
    items += [
        Item(kind="directive", text="Always test", source="user", provenance="p", when="2025-01-01T00:00:00")
    ]
    items += [
        Item(
            kind="fact",
            text="copied from a tool",
            source="derived",
            provenance="p",
            when="2026-02-01T00:00:00",
            untrusted=True,
        )
    ]
    assign_tiers(items, max_lines=200, max_bytes=10_000)
    project = [i for i in items if i.tier == "project"]
    assert items[-2].tier == "project" and items[-1].tier == "archive"
    assert len(project) <= 200
    assert sum(len(f"- {i.text}") for i in project) <= 10_000


def test_the_assistants_restatement_of_the_users_values_leaves_project_memory_room():
    """A real project memory filled its cap with the last answer's sentences, each repeating a
    value the user had given ("Start with `bash scripts/release.sh --dry-run --staging`"), and
    archived the lines holding values nobody else had written."""

    def item(text: str, source: str, kind: str = "fact") -> Item:
        return Item(kind=kind, text=text, source=source, provenance="p", when="2026-12-08T00:00:00")

    user = item(
        "The dry run for this should be `bash scripts/release.sh --dry-run --staging`.", "user", "directive"
    )
    echo = item("Start with `bash scripts/release.sh --dry-run --staging`, then drop `--dry-run`.", "derived")
    more = item("Start with `bash scripts/release.sh --dry-run --staging` on `kestrel-build-02`.", "derived")
    own = item("The fixture is `tests/data/synthetic/quoted_slash.hdr`.", "derived")
    heading = item('The heading will read `## [0.9.0] - YYYY-MM-DD "Mintaka"`.', "derived")
    note = item("Dry run first: `bash scripts/release.sh --dry-run --staging`.", "agent", "convention")
    items = [user, echo, more, own, heading, note, item("We cut 0.9.0 on Friday.", "user")]
    assign_tiers(items, max_lines=200, max_bytes=10_000)
    assert echo.tier == "archive" and not echo.dropped  # still recallable
    assert {user.tier, more.tier, own.tier, heading.tier} == {"project"}  # each adds a value
    assert note.tier == "project"  # the agent chose to save it


async def test_model_rewording_is_kept_only_when_every_value_survives(store, workspace):
    long_ok = (
        "The integration suite for the payments gateway must be started with "
        "`pytest -m integration tests/payments` and it expects the sandbox on port 4242 "
        "because the mock server is hard-wired there."
    )
    long_bad = (
        "The deploy script for staging is ops/deploy_staging.sh and it reads the "
        "cluster name from the environment variable KUBE_CONTEXT, which must be set "
        "before running anything else at all."
    )
    await store.remember(long_ok, source="agent", session_id="s")
    await store.remember(long_bad, source="agent", session_id="s")

    def reply(messages):
        return (
            "1. Run `pytest -m integration tests/payments` with the sandbox on port 4242.\n"
            "2. Staging deploys use the deploy script with KUBE_CONTEXT set."
        )

    model = FakeTextModel(reply)
    report = await consolidate(store, workspace_root=workspace, model=model, now=NOW)
    texts = {m.text for m in await store.list_memories()}
    assert report.reworded == 1 and len(model.calls) == 1
    assert "Run `pytest -m integration tests/payments` with the sandbox on port 4242." in texts
    assert long_bad in texts  # the rewrite lost ops/deploy_staging.sh: rejected


async def test_maybe_consolidate_runs_every_seven_days_on_a_first_message(store, workspace):
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": "hi"})
    assert (
        await maybe_consolidate(store, workspace_root=workspace, model=None, now=NOW, session_id=session)
        is not None
    )  # never ran before
    assert (
        await maybe_consolidate(
            store, workspace_root=workspace, model=None, now=NOW + timedelta(days=6), session_id=session
        )
        is None
    )
    await store.append_message(session, {"role": "user", "content": "second"})
    assert (
        await maybe_consolidate(
            store, workspace_root=workspace, model=None, now=NOW + timedelta(days=8), session_id=session
        )
        is None
    )
    assert (
        await maybe_consolidate(store, workspace_root=workspace, model=None, now=NOW + timedelta(days=8))
        is not None
    )


async def test_consolidation_is_refused_while_another_holder_has_the_lease(store, workspace, db_path):
    from cairn.memory.store import MemoryStore

    async with await MemoryStore.open(db_path) as other:
        assert await other.try_acquire_lease("consolidation", 60)
        with pytest.raises(ConsolidationBusy):
            await consolidate(store, workspace_root=workspace, model=None, now=NOW)
        assert await maybe_consolidate(store, workspace_root=workspace, model=None, now=NOW) is None


async def test_the_uncovered_tail_of_a_session_reaches_long_term_memory(store, workspace):
    session = await _session(store, ("user", "The importer batch size is 2500 rows."))
    await store.append_message(
        session, {"role": "user", "content": "The rounding bug is ticket LEDG-4471."}
    )  # after it
    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    texts = {m.text: m for m in await store.list_memories()}
    tail = texts["The rounding bug is ticket LEDG-4471."]
    assert "messages 2-2 of session" in tail.provenance and tail.source == "user"
    again = await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    assert again.candidates == 0  # the session did not change since


async def test_a_newer_pin_of_the_same_package_supersedes_the_older_whatever_the_wording(store, workspace):
    """A package has one pin at a time: "Pin psycopg[binary]==3.1.18, not 3.1.19" is replaced by
    a later "we can go to psycopg[binary]==3.2.1", though the two sentences share no shape. A
    pin of another package, or an unpinned mention, replaces nothing."""
    await _session(
        store,
        ("user", "Pin psycopg[binary]==3.1.18, NOT 3.1.19, that one breaks our pgbouncer pooling."),
        ("user", "Keep requests==2.31.0 for the proxy client."),
    )
    await _session(
        store, ("user", "Ops upgraded pgbouncer, so we can go to psycopg[binary]==3.2.1 after all.")
    )
    report = await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    texts = [m.text for m in await store.list_memories()]
    assert not any("psycopg[binary]==3.1.18" in t for t in texts)
    newer = next(m for m in await store.list_memories() if "psycopg[binary]==3.2.1" in m.text)
    assert "supersedes" in newer.provenance and "3.1.18" in newer.provenance
    assert any("requests==2.31.0" in t for t in texts)
    assert "contradicted" in report.summary()


async def test_a_decision_the_user_made_is_remembered_as_theirs(store, workspace):
    await _session(
        store,
        ("user", "Let's go with quarantine, but if more than 2% of a file's rows are bad, fail the file."),
        ("assistant", "We'll use a cursor on (scanned_at, id) because offsets shift."),
    )
    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    decisions = {m.text: m for m in await store.list_memories() if m.kind == "decision"}
    assert (
        decisions[
            "Let's go with quarantine, but if more than 2% of a file's rows are bad, fail the file."
        ].source
        == "user"
    )
    assert decisions["We'll use a cursor on (scanned_at, id) because offsets shift."].source == "derived"


async def test_a_named_hosts_new_port_supersedes_the_old_when_both_say_what_runs_there(store, workspace):
    """ "devpi is at pkgs.example.net:3141" is replaced by "devpi moved ..., pkgs.example.net:3180
    now"; Postgres and pgbouncer on one host are two things, and both stay."""
    await _session(
        store,
        ("user", "Our staging devpi is at pkgs.example.net:3141, index team/staging."),
        ("user", "Postgres for the reports runs at db.example.net:5432 in staging."),
    )
    await _session(
        store,
        (
            "user",
            "Ops pinged: devpi moved behind the proxy, it's pkgs.example.net:3180 now, same index path.",
        ),
        ("user", "The pgbouncer pool listens at db.example.net:6432 for the app servers."),
    )
    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    texts = " ".join(m.text for m in await store.list_memories())
    assert "pkgs.example.net:3141" not in texts and "pkgs.example.net:3180" in texts
    assert "db.example.net:5432" in texts and "db.example.net:6432" in texts


async def test_errors_reach_memory_the_users_as_theirs_a_commands_as_untrusted_data(store, workspace):
    """A real session's reported error ("ValueError: could not convert string to float:
    '1,240.5'") was in 34 checkpoints and in no memory: once the checkpoints rolled past it, the
    next day knew nothing of what had broken."""
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": "The nightly import blew up again."})
    await store.save_checkpoint_if_current(
        session,
        base_last_seq=0,
        first_seq=1,
        last_seq=1,
        tokens=50,
        data={
            "active_intent": "The nightly import blew up again.",
            "errors": [
                "ValueError: could not convert string to float: '1,240.5' (pasted by the user)",
                "row 57: unknown event code 'DX' (tool output: run_command)",
                "FAILED (errors=1) (tool output: run_command)",
            ],
        },
    )
    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    memories = {m.text: m for m in await store.list_memories()}
    pasted = memories["ValueError: could not convert string to float: '1,240.5'"]
    assert pasted.source == "user" and not pasted.untrusted and "the user pasted" in pasted.provenance
    printed = memories["row 57: unknown event code 'DX'"]
    assert printed.untrusted and printed.tier == "archive" and "run_command" in printed.provenance
    assert not any("FAILED" in text for text in memories)  # names nothing worth looking up
    (hit,) = [m for m in await store.recall("unknown event code DX") if "row 57" in m.text]
    assert hit.untrusted


async def test_a_file_that_cannot_be_read_leaves_its_memory_unverified_and_the_run_goes_on(
    store, workspace, monkeypatch, caplog
):
    """One unreadable workspace file (a directory where a file was expected, an I/O error)
    made every consolidation of a real session fail, so nothing it learned reached memory."""
    from cairn.memory import consolidate as module

    (workspace / "deploy").mkdir()
    (workspace / "deploy" / "cron.yaml").write_text('schedule: "40 6 * * *"\n')
    broken = await store.remember(
        'schedule: "40 6 * * *" — from read_file deploy/cron.yaml:1',
        kind="fact",
        source="derived",
        provenance="tool output, checkpoint 1",
        untrusted=True,
    )
    kept = await store.remember("The API listens on port 8443.", kind="fact", source="user")
    original = module.file_holds

    async def unreadable(root, value, fragments):
        if "cron.yaml" in value:
            raise OSError(5, "Input/output error")
        return await original(root, value, fragments)

    monkeypatch.setattr(module, "file_holds", unreadable)
    report = await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    assert (await store.get_memory(kept)).status == "verified"
    assert (await store.get_memory(broken)).status == "unverified"
    assert any("could not be checked" in change for change in report.changes), report.changes
    assert "Input/output error" in caplog.text


def test_past_date_spans_name_the_days_a_search_means():
    from datetime import date

    from cairn.memory.dates import past_date_spans

    saturday = date(2023, 5, 20)
    assert past_date_spans("what did I buy 10 days ago?", saturday) == [(date(2023, 5, 9), date(2023, 5, 12))]
    assert past_date_spans("the day before yesterday", saturday) == [(date(2023, 5, 17), date(2023, 5, 20))]
    assert past_date_spans("two weeks ago", saturday) == [(date(2023, 5, 3), date(2023, 5, 10))]
    assert past_date_spans("last week", saturday) == [(date(2023, 5, 8), date(2023, 5, 15))]
    assert past_date_spans("last month", saturday) == [(date(2023, 4, 1), date(2023, 5, 1))]
    assert past_date_spans("in the past month", saturday) == [(date(2023, 4, 19), date(2023, 5, 21))]
    assert past_date_spans("last Saturday", saturday) == [(date(2023, 5, 13), date(2023, 5, 14))]
    assert past_date_spans("next week, tomorrow, the port is 8080", saturday) == []
    assert past_date_spans("last January", date(2023, 1, 5)) == []  # a month name is not a weekday
    assert past_date_spans("during the last week of August 2023", saturday) == []
    assert past_date_spans("in the last two weeks of August", saturday) == []
