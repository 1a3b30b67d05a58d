"""The scripted long-horizon session used by bench/memory_recall.py.

A deterministic coding session of N agent steps on an imaginary "ledger" service, with planted
facts spread evenly through it: exact values (stated by the user, found in tool output and
restated by the assistant, or only printed by a tool), decisions with reasons, files edited
and user directives. Between them: realistic noise (file reads with code and numbers, test
runs with timings, grep output, assistant chatter with numbers and paths), which competes with
the planted facts for every cap. A fact counts as recalled when all of its needles appear
verbatim in the assembled context.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    """A planted fact: how it enters the transcript and what must survive."""

    kind: str  # value-user | value-tool-restated | value-tool-only | decision | file | directive
    messages: tuple[dict, ...]
    needles: tuple[str, ...]


def _call(call_id: str, name: str, **arguments: str) -> dict:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def _tool(call_id: str, name: str, content: str) -> dict:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


USER_VALUES = [
    ("The staging database is at db-staging.internal:6543.", "db-staging.internal:6543"),
    ("Our gateway credentials live in the env var LEDGER_GATEWAY_CLIENT_ID.", "LEDGER_GATEWAY_CLIENT_ID"),
    ("CI pins node to version 20.11.1 for the dashboard build.", "20.11.1"),
    ("The async export is behind the feature flag `enable_async_export`.", "enable_async_export"),
    ("Production logs go to /var/log/ledger/ledger-api.log on each host.", "/var/log/ledger/ledger-api.log"),
    ("Releases are cut from the branch release/4.2 this quarter.", "release/4.2"),
    ("Build the wheels with `make -j4 dist-wheels` before tagging.", "make -j4 dist-wheels"),
    ("The cache is redis://cache.ledger.local:6380/2 in staging.", "redis://cache.ledger.local:6380/2"),
    ("Invoices older than 730 days are archived to the cold bucket ledger-cold-eu1.", "ledger-cold-eu1"),
    ("The rounding bug was reported in ticket LEDG-4471.", "LEDG-4471"),
    ("The max batch size for the importer is 2500 rows.", "2500 rows"),
    (
        "The partner sandbox is https://sandbox.partnerpay.example/v2 for now.",
        "https://sandbox.partnerpay.example/v2",
    ),
]
TOOL_RESTATED = [
    (
        "cat .env",
        "LEDGER_PORT=8742\nLEDGER_WORKERS=6\nLOG_LEVEL=info",
        "The .env sets LEDGER_PORT=8742 for the API.",
        "LEDGER_PORT=8742",
    ),
    (
        "docker ps --format '{{.Names}} {{.Ports}}'",
        "ledger-pg 0.0.0.0:55432->5432/tcp\nledger-redis 0.0.0.0:6380->6379/tcp",
        "Postgres is published on host port 55432 by the ledger-pg container.",
        "55432",
    ),
    (
        "git log -1 --format=%H",
        "9c41f7e2b0d35a86c1e4f0b7a2d9e6c3b1f08a74",
        "The last good deploy was commit 9c41f7e2b0d35a86c1e4f0b7a2d9e6c3b1f08a74.",
        "9c41f7e2b0d35a86c1e4f0b7a2d9e6c3b1f08a74",
    ),
    (
        "python -c 'import decimal; print(decimal.getcontext().prec)'",
        "28",
        "The decimal context precision in the service is 28 digits.",
        "28 digits",
    ),
    (
        "grep -rn TIMEOUT src/ledger/settings.py",
        "src/ledger/settings.py:41:HTTP_TIMEOUT_SECONDS = 17",
        "The HTTP client timeout is HTTP_TIMEOUT_SECONDS = 17 in src/ledger/settings.py.",
        "HTTP_TIMEOUT_SECONDS = 17",
    ),
    (
        "alembic current",
        "7f3e9a12c4b8 (head)",
        "The database schema is at alembic revision 7f3e9a12c4b8.",
        "7f3e9a12c4b8",
    ),
]
TOOL_ONLY = [
    (
        "uvicorn ledger.api:app --port 8742 &",
        "INFO:     Uvicorn running on http://127.0.0.1:8742 (Press CTRL+C to quit)",
        "http://127.0.0.1:8742",
    ),
    (
        "celery -A ledger.tasks worker &",
        "[2026-03-02 10:12:01] celery@ledger-w1 ready. pid 48213",
        "pid 48213",
    ),
    (
        "pytest tests/test_rounding.py -x",
        "FAILED tests/test_rounding.py::test_half_even_cents - AssertionError: Decimal('0.015') != "
        "Decimal('0.02')",
        "tests/test_rounding.py::test_half_even_cents",
    ),
    (
        "python scripts/load_fixtures.py",
        "Traceback (most recent call last):\nKeyError: 'merchant_tier_gold'",
        "KeyError: 'merchant_tier_gold'",
    ),
]
DECISIONS = [
    (
        "We'll use orjson instead of the json module because serialization dominates the profile.",
        ("orjson", "serialization dominates the profile"),
    ),
    (
        "Let's go with ROUND_HALF_EVEN because the auditors require banker's rounding.",
        ("ROUND_HALF_EVEN", "banker's rounding"),
    ),
    (
        "We decided to keep invoices immutable and add credit notes instead of editing rows, so that the "
        "audit trail stays intact.",
        ("credit notes", "audit trail stays intact"),
    ),
    (
        "I chose a partial index on invoices(status) WHERE status = 'open' because 94% of rows are closed.",
        ("partial index on invoices(status)", "94% of rows are closed"),
    ),
    (
        "We opted for idempotency keys on POST /payments rather than client retries limits, because "
        "duplicate charges are the worst failure.",
        ("idempotency keys on POST /payments", "duplicate charges"),
    ),
    (
        "Decision: the importer streams CSV with a generator so that memory stays flat on 2 GB files.",
        ("streams CSV with a generator", "2 GB files"),
    ),
    (
        "We'll use pydantic v2 models at the API boundary rather than marshmallow, because it is already a "
        "dependency.",
        ("pydantic v2 models at the API boundary", "already a dependency"),
    ),
    (
        "Going with a nightly reconciliation job instead of triggers because triggers hide logic from code "
        "review.",
        ("nightly reconciliation job", "triggers hide logic"),
    ),
]
EDITED_FILES = [
    "src/ledger/rounding.py",
    "src/ledger/api/payments.py",
    "src/ledger/importer/csv_stream.py",
    "migrations/versions/7f3e9a12c4b8_partial_index.py",
    "src/ledger/models/credit_note.py",
    "tests/test_rounding.py",
    "src/ledger/reconcile/nightly.py",
    "docs/adr/0007-idempotency-keys.md",
]
DIRECTIVES = [
    "Never modify files under migrations/versions by hand after they are merged.",
    "Always run `pytest -x -q tests/` before you tell me something is done.",
    "Don't add new dependencies without asking me first.",
    "Keep functions under 50 lines in the ledger package.",
    "Never log full card numbers, only the last 4 digits.",
    "Always use Decimal, never float, for money.",
    "Prefer small commits with messages in the imperative mood.",
    "Make sure every new endpoint has an OpenAPI example.",
]


def planted_facts() -> list[Fact]:
    """The 46 planted facts (at least 40 required)."""
    facts: list[Fact] = []
    for text, needle in USER_VALUES:
        facts.append(Fact("value-user", ({"role": "user", "content": text},), (needle,)))
    for n, (command, output, restated, needle) in enumerate(TOOL_RESTATED):
        cid = f"fact-r{n}"
        facts.append(
            Fact(
                "value-tool-restated",
                (
                    _call(cid, "shell", command=command),
                    _tool(cid, "shell", output),
                    {"role": "assistant", "content": restated},
                ),
                (needle,),
            )
        )
    for n, (command, output, needle) in enumerate(TOOL_ONLY):
        cid = f"fact-t{n}"
        facts.append(
            Fact(
                "value-tool-only",
                (_call(cid, "shell", command=command), _tool(cid, "shell", output)),
                (needle,),
            )
        )
    for text, needles in DECISIONS:
        facts.append(Fact("decision", ({"role": "assistant", "content": text},), needles))
    for n, path in enumerate(EDITED_FILES):
        cid = f"fact-f{n}"
        facts.append(
            Fact(
                "file",
                (
                    _call(cid, "edit_file", path=path, old="pass", new="return None"),
                    _tool(cid, "edit_file", "edit applied"),
                ),
                (path,),
            )
        )
    for text in DIRECTIVES:
        facts.append(Fact("directive", ({"role": "user", "content": text},), (text,)))
    return facts


CHATTER = [
    "Let me look at {path} next.",
    "There are {n} call sites of that helper.",
    "The test suite takes about {n} seconds locally.",
    "I'll refactor the loop in {path}.",
    "That function is {n} lines long; splitting it.",
    "Checking how {path} handles errors.",
    "Found {n} usages in the package; updating them.",
    "Reading {path} to understand the flow.",
]
USER_NOISE = [
    "Looks good, continue.",
    "OK.",
    "Can you also check {path}?",
    "Go ahead.",
    "What's the status?",
    "Fine by me.",
    "Keep going with the refactor.",
]


def _noise_step(rng: random.Random, step: int) -> list[dict]:
    path = f"src/ledger/{rng.choice(['core', 'api', 'jobs', 'util', 'models'])}/mod_{rng.randint(1, 60)}.py"
    kind = rng.random()
    cid = f"n{step}"
    if kind < 0.45:
        code = "\n".join(
            f"    {rng.choice(['total', 'amount', 'rate', 'count', 'offset'])}_{i} = "
            f"{rng.randint(0, 9999)}  # line {rng.randint(1, 400)}"
            for i in range(rng.randint(15, 40))
        )
        return [
            _call(cid, "read_file", path=path),
            _tool(cid, "read_file", f"def handler_{step}():\n{code}\n"),
        ]
    if kind < 0.65:
        passed = rng.randint(150, 400)
        return [
            _call(cid, "shell", command=f"pytest -q tests/test_mod_{rng.randint(1, 60)}.py"),
            _tool(
                cid,
                "shell",
                f"{'.' * 60}\n{passed} passed, {rng.randint(0, 5)} skipped in {rng.uniform(1, 40):.2f}s",
            ),
        ]
    if kind < 0.8:
        lines = "\n".join(
            f"{path}:{rng.randint(1, 500)}:    value = compute_{rng.randint(1, 99)}(x)"
            for _ in range(rng.randint(3, 12))
        )
        return [_call(cid, "shell", command="grep -rn compute_ src/ledger"), _tool(cid, "shell", lines)]
    text = rng.choice(CHATTER).format(path=path, n=rng.randint(2, 90))
    return [{"role": "assistant", "content": text}]


def build_session(steps: int = 320, seed: int = 7) -> tuple[list[list[dict]], list[Fact]]:
    """The session as a list of steps (each a list of messages) and the planted facts.

    The first user message opens the task; facts are spread evenly; a user message of noise
    arrives every ~12 steps.
    """
    rng = random.Random(seed)
    facts = planted_facts()
    rng.shuffle(facts)
    plan: list[list[dict]] = [
        [
            {
                "role": "user",
                "content": "Please fix the rounding bug in the ledger service and tidy up "
                "the invoice importer while you are at it.",
            }
        ]
    ]
    fact_at = {round((i + 1) * steps / (len(facts) + 1)): fact for i, fact in enumerate(facts)}
    for step in range(1, steps):
        if step in fact_at:
            plan.append(list(fact_at[step].messages))
        elif step % 12 == 0:
            path = f"src/ledger/util/mod_{rng.randint(1, 60)}.py"
            plan.append([{"role": "user", "content": rng.choice(USER_NOISE).format(path=path)}])
        else:
            plan.append(_noise_step(rng, step))
    return plan, facts
