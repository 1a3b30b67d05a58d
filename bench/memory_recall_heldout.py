"""Long-horizon recall on a held-out session: same benchmark, different facts.

bench/memory_recall.py's facts were written together with memory's extraction rules, so its
figure can flatter them. This session was written separately, without reading the extractor: a
different project (a Rust/TypeScript telemetry service), different wording (values dropped
mid-sentence, decisions stated by the user, lower-case directives) and Cairn's real tool names
(run_command, read_file, propose_edit, create_file). Same methods, budget and report.

Usage: python bench/memory_recall_heldout.py [--steps 320] [--budget 8000] [--window 32000]
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import memory_recall
from bench.memory_recall_session import Fact

USER_VALUES = [
    ("fyi the metrics collector listens on udp 0.0.0.0:8125, not the default", "0.0.0.0:8125"),
    ("use the telemetry-prod kube context for anything that touches production", "telemetry-prod"),
    ("traces end up in the bucket orbit-traces-us-west-2", "orbit-traces-us-west-2"),
    ("we keep raw spans for 45 days, after that only rollups", "45 days"),
    ("if you need to page someone it's orbit-oncall@example.com", "orbit-oncall@example.com"),
    ("MSRV for the workspace is 1.78.0 so don't use newer std APIs", "1.78.0"),
    ("ingest is rate limited at 12000 spans/s per tenant", "12000 spans/s"),
    ("the grafana dashboard for ingest has uid a8Kx2mQ", "a8Kx2mQ"),
    (
        "integration tests: cargo nextest run -p orbit-ingest --features it",
        "cargo nextest run -p orbit-ingest --features it",
    ),
    ("the sampling regression is tracked as ORB-2291", "ORB-2291"),
    ("we only support otel collector v0.97.0 for now", "v0.97.0"),
    ("schema registry lives at http://schemas.orbit.svc:8081", "http://schemas.orbit.svc:8081"),
]
TOOL_RESTATED = [
    (
        "cat orbit.toml",
        "[ingest]\nport = 4317\nbatch_max = 512\n",
        "So ingest listens on port 4317 per orbit.toml.",
        "4317",
    ),
    (
        "kubectl get svc orbit-query -o wide",
        "NAME          TYPE        CLUSTER-IP     PORT(S)\norbit-query   ClusterIP   10.43.118.27   9090/TCP",
        "orbit-query sits behind cluster IP 10.43.118.27.",
        "10.43.118.27",
    ),
    ("git rev-parse --short HEAD", "e41b9c0", "We're at e41b9c0 right now.", "e41b9c0"),
    (
        "rustc --version",
        "rustc 1.80.1 (3f5fd8dd4 2024-08-06)",
        "Local toolchain is rustc 1.80.1.",
        "rustc 1.80.1",
    ),
    (
        "grep -n MAX_SPAN crates/ingest/src/limits.rs",
        "12:pub const MAX_SPAN_BYTES: usize = 65_536;",
        "The span cap is MAX_SPAN_BYTES: usize = 65_536 in limits.rs.",
        "MAX_SPAN_BYTES: usize = 65_536",
    ),
    (
        "sqlx migrate info",
        "20240611093012/installed create spans\n20240702110500/pending add tenant quota",
        "Migration 20240611093012 is installed; the quota one is pending.",
        "20240611093012",
    ),
]
TOOL_ONLY = [
    (
        "cargo run -p orbit-query &",
        "   Compiling orbit-query v0.3.1\n    Finished dev\n2026-05-02T10:00:01Z INFO listening on http://127.0.0.1:9090",
        "http://127.0.0.1:9090",
    ),
    (
        "cargo test -p orbit-sampler",
        "running 14 tests\ntest sampler::tests::tail_keeps_errors ... FAILED\ntest result: FAILED. 13 "
        "passed; 1 failed",
        "sampler::tests::tail_keeps_errors",
    ),
    (
        "./scripts/seed.sh",
        'psql:seed.sql:40: ERROR:  relation "tenant_quota" does not exist',
        'relation "tenant_quota" does not exist',
    ),
    (
        "pgrep -a orbit-ingest",
        "51234 /usr/local/bin/orbit-ingest --config /etc/orbit/ingest.toml",
        "/etc/orbit/ingest.toml",
    ),
]
DECISIONS = [
    (
        "user",
        "Let's switch the sampler to tail-based sampling since head sampling drops the error traces we need.",
        ("tail-based sampling", "drops the error traces"),
    ),
    (
        "assistant",
        "I'm going to store spans in ClickHouse rather than Postgres: the query patterns are columnar scans.",
        ("ClickHouse", "columnar scans"),
    ),
    (
        "assistant",
        "Rather than a global mutex I used a sharded DashMap, which removes the lock contention seen in "
        "the flamegraph.",
        ("sharded DashMap", "lock contention"),
    ),
    (
        "user",
        "ok, we keep gRPC for ingest but expose HTTP/JSON for the browser SDK, because browsers can't "
        "speak gRPC natively",
        ("HTTP/JSON for the browser SDK", "can't speak gRPC natively"),
    ),
    (
        "assistant",
        "Picked zstd level 3 for span compression; level 9 cost 4x CPU for 6% smaller blobs.",
        ("zstd level 3", "4x CPU"),
    ),
    (
        "assistant",
        "We settle on per-tenant token buckets, so one noisy tenant can't starve the others.",
        ("per-tenant token buckets", "noisy tenant"),
    ),
    (
        "assistant",
        "Timestamps stay in nanoseconds since epoch (u64) to match OTLP.",
        ("nanoseconds since epoch", "match OTLP"),
    ),
    (
        "assistant",
        "Using serde_json::RawValue for attributes avoids re-parsing them on the hot path.",
        ("serde_json::RawValue", "re-parsing"),
    ),
]
EDITED_FILES = [
    ("propose_edit", "crates/ingest/src/limits.rs"),
    ("propose_edit", "crates/sampler/src/tail.rs"),
    ("create_file", "crates/query/src/clickhouse.rs"),
    ("create_file", "crates/ingest/src/bucket.rs"),
    ("propose_edit", "sdk/browser/src/transport.ts"),
    ("propose_edit", "deploy/helm/orbit/values.yaml"),
    ("create_file", "crates/ingest/tests/limits_it.rs"),
    ("create_file", "docs/decisions/0012-tail-sampling.md"),
]
DIRECTIVES = [
    "From now on, never push directly to main; open a PR.",
    "please always add a CHANGELOG entry for user-facing changes",
    "Do not touch deploy/helm/orbit/values.yaml without asking me.",
    "use `tracing`, not `log`, for any new instrumentation",
    "Every public function in crates/ needs a doc comment.",
    "Don't use unwrap() outside tests.",
    "Keep the browser SDK under 15 kB gzipped.",
    "run cargo clippy -- -D warnings before you say something is finished",
]


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


def planted_facts() -> list[Fact]:
    facts: list[Fact] = []
    for text, needle in USER_VALUES:
        facts.append(Fact("value-user", ({"role": "user", "content": text},), (needle,)))
    for n, (command, output, restated, needle) in enumerate(TOOL_RESTATED):
        cid = f"h-r{n}"
        facts.append(
            Fact(
                "value-tool-restated",
                (
                    _call(cid, "run_command", command=command),
                    _tool(cid, "run_command", f"$ {command}\n{output}\n[exit 0]"),
                    {"role": "assistant", "content": restated},
                ),
                (needle,),
            )
        )
    for n, (command, output, needle) in enumerate(TOOL_ONLY):
        cid = f"h-t{n}"
        facts.append(
            Fact(
                "value-tool-only",
                (
                    _call(cid, "run_command", command=command),
                    _tool(cid, "run_command", f"$ {command}\n{output}\n[exit 1]"),
                ),
                (needle,),
            )
        )
    for role, text, needles in DECISIONS:
        facts.append(Fact("decision", ({"role": role, "content": text},), needles))
    for n, (tool, path) in enumerate(EDITED_FILES):
        cid = f"h-f{n}"
        arguments = (
            {"path": path, "old_text": "todo!()", "new_text": "Ok(())"}
            if tool == "propose_edit"
            else {"path": path, "content": "// new file\n"}
        )
        facts.append(
            Fact(
                "file",
                (
                    _call(cid, tool, **arguments),
                    _tool(cid, tool, f"The change to {path} was applied in the editor."),
                ),
                (path,),
            )
        )
    for text in DIRECTIVES:
        facts.append(Fact("directive", ({"role": "user", "content": text},), (text,)))
    return facts


def _noise_step(rng: random.Random, step: int) -> list[dict]:
    crate = rng.choice(["ingest", "query", "sampler", "common", "store"])
    module = rng.choice(["lib", "span", "codec", "router", "batch"])
    path = f"crates/{crate}/src/{module}_{rng.randint(1, 40)}.rs"
    cid = f"hn{step}"
    kind = rng.random()
    if kind < 0.45:
        body = "\n".join(
            f"{rng.randint(1, 300):>5}\t    let {rng.choice(['n', 'len', 'idx', 'ttl'])}_{i} = "
            f"{rng.randint(0, 99999)}_u64; // {rng.choice(['hot path', 'fallback', 'retry'])}"
            for i in range(rng.randint(15, 40))
        )
        return [_call(cid, "read_file", path=path), _tool(cid, "read_file", f"{path} (lines 1-40)\n{body}")]
    if kind < 0.65:
        return [
            _call(cid, "run_command", command=f"cargo test -p orbit-{crate}"),
            _tool(
                cid,
                "run_command",
                f"running {rng.randint(20, 300)} tests\ntest result: ok. "
                f"{rng.randint(20, 300)} passed; 0 failed; finished in {rng.uniform(0.5, 30):.2f}s",
            ),
        ]
    if kind < 0.8:
        hits = "\n".join(
            f"{path}:{rng.randint(1, 600)}:    encode_{rng.randint(1, 99)}(&mut buf)?;"
            for _ in range(rng.randint(3, 12))
        )
        return [_call(cid, "search", query="encode_"), _tool(cid, "search", hits)]
    return [
        {
            "role": "assistant",
            "content": rng.choice(
                [
                    f"Next I'll look at {path}.",
                    f"{rng.randint(2, 80)} callers use that codec.",
                    f"The benchmark shows {rng.randint(100, 900)} MB/s on my side.",
                    f"Simplifying the match in {path}.",
                ]
            ),
        }
    ]


def build_session(steps: int = 320, seed: int = 11) -> tuple[list[list[dict]], list[Fact]]:
    rng = random.Random(seed)
    facts = planted_facts()
    rng.shuffle(facts)
    plan: list[list[dict]] = [
        [
            {
                "role": "user",
                "content": "The tail sampler drops error traces under load; find out why and fix it, "
                "and clean up the ingest limits while you are there.",
            }
        ]
    ]
    fact_at = {round((i + 1) * steps / (len(facts) + 1)): fact for i, fact in enumerate(facts)}
    for step in range(1, steps):
        if step in fact_at:
            plan.append(list(fact_at[step].messages))
        elif step % 11 == 0:
            plan.append(
                [
                    {
                        "role": "user",
                        "content": rng.choice(
                            ["ok", "continue", "sounds right", "go on", "what's next?", "fine"]
                        ),
                    }
                ]
            )
        else:
            plan.append(_noise_step(rng, step))
    return plan, facts


if __name__ == "__main__":
    memory_recall.build_session = build_session
    memory_recall.FRESH_REQUEST = "Let's continue with the tail sampler and ingest limits."
    memory_recall.mentioned_paths = lambda plan: {path for _, path in EDITED_FILES}
    raise SystemExit(memory_recall.main())
