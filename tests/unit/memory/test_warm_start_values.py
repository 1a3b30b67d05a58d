"""A new session starts warm: a long session's early exact values reach its first request.

The synthetic session states its values early (the user's ports, hosts, pins, env vars,
tickets, decisions) and then runs long on assistant prose full of table rows and throwaway
numbers, the shape that used to crowd the early values out of project memory and checkpoints.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cairn.memory.checkpoint_format import empty_checkpoint, fit, merge, render
from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.consolidate import consolidate
from cairn.memory.consolidate_plan import value_rank
from cairn.memory.context import assemble
from cairn.memory.extract import Extraction
from cairn.memory.testing import FakeTextModel

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)

EARLY = [
    "The reports service listens on port 8443.",
    "Our database host is pg-reports.corp.internal.",
    "We pinned httpx==0.27.2 because 0.28 broke our retry hooks.",
    "The deploy reads REPORTS_EXPORT_DIR=/srv/reports/out at start.",
    "This work is tracked as RPT-4471.",
    "The nightly export writes to exports/nightly/summary.csv.",
]
PLANTED = [
    "pg-reports.corp.internal",
    "httpx==0.27.2",
    "REPORTS_EXPORT_DIR",
    "RPT-4471",
    "exports/nightly/summary.csv",
]


def _prose(n: int) -> str:
    return (
        f"Worth knowing: the gain of run {n} is now at exactly {20 + n}.{n:03d} after the change.\n"
        f"| 00{n:02d} M 1 | {61000 + n} | {21 + n}.357 | used |\n"
        f"| 00{n:02d} M 2 | {62000 + n} | {22 + n}.118 | spare |\n"
        f"No `{61440 + n}` left in the tree. The saturation_adu_{n} key moved to the "
        f"calibration_{n} table, which the summary_{n} step reads before the plot_{n} step. " * 2
    )


async def _long_session(store) -> str:
    session = await store.new_session()
    writer = CheckpointWriter(store, None, max_checkpoint_tokens=600)
    for text in EARLY:
        await store.append_message(session, {"role": "user", "content": text})
        await store.append_message(session, {"role": "assistant", "content": "Noted."})
    await writer.write_now(session)
    for n in range(1, 31):
        await store.append_message(session, {"role": "user", "content": f"Continue with run {n}."})
        await store.append_message(session, {"role": "assistant", "content": _prose(n)})
        if n == 20:
            await store.append_message(
                session, {"role": "user", "content": "The reports service listens on port 9443 now."}
            )
        if n == 28:
            await store.append_message(
                session,
                {"role": "assistant", "content": "The exporter's entry point is scripts/export_nightly.sh."},
            )
        if n % 5 == 0:
            await writer.write_now(session)
    await writer.write_now(session)
    return session


async def test_the_checkpoints_exact_values_keep_the_early_ones(store):
    session = await _long_session(store)
    values = (await store.latest_checkpoint(session)).data["values"]
    for value in PLANTED:
        assert value in values, value
    assert "port 9443" in values and "port 8443" not in values


async def _first_request(store, workspace) -> str:
    await consolidate(store, workspace_root=workspace, model=FakeTextModel(), now=NOW)
    fresh = await store.new_session()
    context = await assemble(
        store, fresh, system_prompt="You are Cairn.", request="Where were we?", budget_tokens=8_000
    )
    return "\n".join(str(m.get("content")) for m in context)


async def test_project_memory_holds_the_users_values_not_the_assistants_prose(store, workspace):
    await _long_session(store)
    await consolidate(store, workspace_root=workspace, model=FakeTextModel(), now=NOW)
    project = [m.text for m in await store.project_memories()]
    for value in PLANTED:
        assert any(value in text for text in project), value
    assert not any(text.lstrip().startswith("|") for text in project)
    assert not any(text.startswith("Worth knowing") for text in project)


async def test_rolling_checkpoint_keeps_the_early_values_when_cut_to_fit(store):
    session = await _long_session(store)
    latest = await store.latest_checkpoint(session)
    # What a digest of it shows in a small share of the next session's window.
    text = render(fit(latest.data, 300))
    for value in PLANTED:
        assert value in text, value
    assert "port 9443" in text
    assert all("superseded" in line for line in text.splitlines() if "8443" in line)


async def test_first_request_shows_the_values_and_only_the_newest_port(store, workspace):
    await _long_session(store)
    first = await _first_request(store, workspace)
    for value in PLANTED:
        assert value in first, value
    assert "port 9443" in first
    assert all("superseded" in line for line in first.splitlines() if "8443" in line)


async def test_project_memory_in_the_first_request_puts_the_users_values_first(store, workspace):
    session = await store.new_session()
    for text in EARLY:
        await store.append_message(session, {"role": "user", "content": text})
    await CheckpointWriter(store, None).write_now(session)
    await consolidate(store, workspace_root=workspace, model=FakeTextModel(), now=NOW)
    for n in range(1, 61):  # stored later (newer ids): the assistant's notes that name values
        await store.remember(
            f"The plot helper number {n} of the {n}th sweep lives in src/plots/sweep_{n}/helper.py.",
            source="derived",
            provenance="stated by the assistant",
            session_id=session,
        )
    fresh = await store.new_session()
    context = await assemble(
        store, fresh, system_prompt="You are Cairn.", request="Where were we?", budget_tokens=2_500
    )
    project = next(str(m["content"]) for m in context if "<project-memory" in str(m["content"]))
    assert "src/plots/sweep_60/helper.py" not in project.split("\n")[1]
    for value in PLANTED:
        assert value in project, value


def test_merging_past_a_cap_drops_the_least_valuable_items_not_the_oldest():
    previous = empty_checkpoint()
    previous["values"] = ["pg-reports.corp.internal"] + [f"{n}.5" for n in range(10, 209)]
    merged = merge(previous, Extraction(values=[f"{n}.25" for n in range(10, 30)]), {})
    assert len(merged["values"]) == 200
    assert "pg-reports.corp.internal" in merged["values"] and "29.25" in merged["values"]


async def test_the_digest_shows_each_item_once_values_first(store, workspace):
    await _long_session(store)
    first = await _first_request(store, workspace)
    digest = first[first.index("<previous-sessions") : first.index("</previous-sessions>")]
    lines = [line for line in digest.splitlines() if line.startswith("- ")]
    # Once in the whole request: in project memory, so not again in the digest.
    assert len([line for line in first.splitlines() if line.startswith("- ") and "port 9443" in line]) == 1
    assert not [line for line in lines if "port 9443" in line]
    knowledge = digest[digest.index("## Discovered knowledge") :].split("\n## ")[0].splitlines()[1:]
    items = [line for line in knowledge if line.startswith("- ")]
    valued = [n for n, line in enumerate(items) if "scripts/export_nightly.sh" in line]
    prose = [n for n, line in enumerate(items) if "saturation_adu" in line]
    # The statement naming the value is shown once: before the prose, or already in project memory.
    assert first.count("entry point is scripts/export_nightly.sh") == 1
    assert prose and (not valued or max(valued) < min(prose))


async def test_a_statement_is_shown_once_in_a_new_sessions_first_request(store):
    """Project memory and the previous-sessions digest both held the user's statements (and
    project memory held copies differing only in where they were read): the copies took the
    room the session's other values needed."""
    old = await store.new_session()
    statements = [f"Service {n} listens on port {8000 + n}." for n in range(12)]
    for text in statements:
        await store.append_message(old, {"role": "user", "content": text})
        await store.append_message(old, {"role": "assistant", "content": "Noted."})
    await CheckpointWriter(store, None).write_now(old)
    for text in statements:
        await store.remember(text, kind="fact", source="user", session_id=old)
    await store.remember("The job runs at `50 5 * * *`.", kind="fact", source="agent", session_id=old)
    await store.remember("The job runs at 50 5 * * *.", kind="fact", source="agent", session_id=old)
    fresh = await store.new_session()
    await store.append_message(fresh, {"role": "user", "content": "Morning!"})
    ctx = await assemble(store, fresh, system_prompt="You are Cairn.", budget_tokens=6_000)
    # Listed once (the previous session's active intent, quoted under its heading, may repeat one).
    items = [line for m in ctx for line in m["content"].splitlines() if line.startswith("- ")]
    for statement in statements:
        assert sum(statement in line for line in items) == 1, statement
    assert sum("50 5 * * *" in line for line in items) == 1


def test_an_error_the_user_reported_ranks_with_their_values():
    """Session-a's pasted ``ValueError: could not convert string to float: '1,240.5'`` names no
    port, path or pin, so it ranked with the user's chatter and was archived: the next day's
    first request knew nothing of what had broken."""
    reported = "ValueError: could not convert string to float: '1,240.5'"
    valued = "The reports service listens on port 8443."
    assert value_rank("fact", "user", reported) == value_rank("fact", "user", valued)
    assert value_rank("fact", "user", "Security stuff has its own tracker.") > value_rank(
        "fact", "user", reported
    )


async def test_the_digest_leaves_out_a_past_sessions_requests_and_test_tallies(store, workspace):
    """The previous session's digest spent its room on that day's asks ("(user) Draft the
    CHANGELOG entry for 2.15.0") already in its task tree or active intent, and on test-runner
    tallies ("FAILED (errors=1)"), while the session's own values were left out for room."""
    old = await store.new_session()
    asks = "Draft the CHANGELOG entry for 2.15.0 with today's stuff."
    await store.append_message(old, {"role": "user", "content": asks})
    await store.save_checkpoint_if_current(
        old,
        base_last_seq=0,
        first_seq=1,
        last_seq=1,
        tokens=80,
        data={
            "active_intent": "Last one: can the CLI quote Puerto Rico yet? 60601 to 00907, 38 kg.",
            "task_tree": [asks, "Last one: can the CLI quote Puerto Rico yet? 60601 to 00907, 38 kg."],
            "user_facts": [
                asks,
                "Add 3.13 to the matrix, but don't let 3.13 block merges for now.",
                "Last one: can the CLI quote Puerto Rico yet? 60601 to 00907, 38 kg.",
                "The API listens on host port 18080.",
            ],
            "errors": [
                "FAILED (errors=1) (tool output: run_command)",
                "row 57: unknown event code 'DX' (tool output: run_command)",
            ],
        },
    )
    fresh = await store.new_session()
    context = await assemble(
        store, fresh, system_prompt="You are Cairn.", request="Morning!", budget_tokens=6_000
    )
    text = "\n".join(str(m.get("content")) for m in context)
    digest = text[text.index("<previous-sessions") : text.index("</previous-sessions>")]
    assert "host port 18080" in digest and "row 57: unknown event code 'DX'" in digest
    assert "FAILED (errors=1)" not in digest
    assert f"(user) {asks}" not in digest and asks in digest  # once, as the session's task
    assert "(user) Add 3.13 to the matrix, but don't let 3.13 block merges" in digest  # shown nowhere else
    assert digest.count("Puerto Rico") == 1  # once, as the session's last ask (not also a task)
