"""Store scaling at 100k memories: insert throughput and recall latency, as ratios to raw
sqlite3 doing the same work (same schema, pragmas, statements and transactions) in this run.

Usage: python bench/memory_scaling.py [--memories 100000] [--single 5000] [--queries 1000]

- bulk insert: the memories in batches of 1,000 per transaction (MemoryStore.apply_memory_plan
  vs sqlite3 executemany), each memory with one anchor and its FTS row;
- single insert: --single memories one transaction each (MemoryStore.remember vs sqlite3),
  measured on the full-size database;
- recall: --queries BM25 queries of 1-3 words (MemoryStore.recall vs the same SQL + anchor
  fetch through sqlite3), p50 and p95.
Cairn's side includes what the raw side does not do: redaction of every text, validation,
provenance and the asyncio hop to the connection's thread. Prints a table; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from cairn.memory.fts import match_query
from cairn.memory.migrate import MIGRATIONS
from cairn.memory.records import Anchor, MemoryInsert
from cairn.memory.store import MemoryStore
from cairn.memory.store_memories import ANCHORS_COLUMN

BATCH = 1_000


def vocabulary(rng: random.Random, size: int = 6_000) -> list[str]:
    """Pseudo-words; drawn with a Zipf-like skew, as words are in real notes."""
    syllables = [
        "ka",
        "lo",
        "mi",
        "ten",
        "sor",
        "vu",
        "pe",
        "dra",
        "qui",
        "nel",
        "zo",
        "bar",
        "est",
        "ion",
        "ul",
        "fa",
        "ri",
        "gon",
        "ste",
        "ax",
    ]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    texts = []
    for i in range(n):
        body = " ".join(rng.choices(words, weights, k=rng.randint(8, 24)))
        texts.append(f"{body} port {rng.randint(1024, 65535)} in src/mod{i % 997}/file{i}.py")
    return texts, words


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    for migration in MIGRATIONS:
        for statement in migration.statements:
            conn.execute(statement)
    return conn


INSERT_SQL = (
    "INSERT INTO memories (kind, text, source, provenance, session_ids, untrusted, "
    "status, tier, created_at, verified_at, updated_at) "
    "VALUES ('fact', ?, 'derived', 'bench', '[]', 0, 'unverified', 'project', ?, NULL, ?)"
)
ANCHOR_SQL = "INSERT INTO memory_anchors (memory_id, path, symbol) VALUES (?, ?, NULL)"


def raw_insert_one(conn: sqlite3.Connection, text: str, i: int) -> None:
    now = "2026-03-02T09:00:00+00:00"
    conn.execute("BEGIN IMMEDIATE")
    cursor = conn.execute(INSERT_SQL, (text, now, now))
    conn.execute(ANCHOR_SQL, (cursor.lastrowid, f"src/mod{i % 997}/file{i}.py"))
    conn.execute("COMMIT")


def raw_bulk(conn: sqlite3.Connection, texts: list[str], offset: int) -> None:
    now = "2026-03-02T09:00:00+00:00"
    for start in range(0, len(texts), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        for j, text in enumerate(texts[start : start + BATCH]):
            i = offset + start + j
            cursor = conn.execute(INSERT_SQL, (text, now, now))
            conn.execute(ANCHOR_SQL, (cursor.lastrowid, f"src/mod{i % 997}/file{i}.py"))
        conn.execute("COMMIT")


def raw_recall(conn: sqlite3.Connection, query: str) -> list:
    """The statement MemoryStore.recall runs, through plain sqlite3."""
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        f"SELECT m.*, {ANCHORS_COLUMN}, bm25(memories_fts) AS score FROM memories_fts "
        "JOIN memories m ON m.id = memories_fts.rowid WHERE memories_fts MATCH ? "
        "AND m.status != 'stale' ORDER BY score LIMIT ?",
        (match_query(query, "any"), 10),
    ).fetchall()
    return [(json.loads(r["session_ids"]), json.loads(r["anchors_json"])) for r in rows]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def cairn_side(path: Path, texts: list[str], single: list[str], queries: list[str]) -> dict:
    figures: dict = {}
    async with await MemoryStore.open(path) as store:
        started = time.perf_counter()
        for start in range(0, len(texts), BATCH):
            await store.apply_memory_plan(
                [
                    MemoryInsert(
                        kind="fact",
                        text=text,
                        source="derived",
                        provenance="bench",
                        anchors=(Anchor(f"src/mod{(start + j) % 997}/file{start + j}.py"),),
                    )
                    for j, text in enumerate(texts[start : start + BATCH])
                ]
            )
        figures["bulk"] = len(texts) / (time.perf_counter() - started)
        offset = len(texts)
        started = time.perf_counter()
        for j, text in enumerate(single):
            await store.remember(
                text,
                source="derived",
                provenance="bench",
                anchors=[f"src/mod{(offset + j) % 997}/file{offset + j}.py"],
            )
        figures["single"] = len(single) / (time.perf_counter() - started)
        latencies = []
        hits = 0
        for query in queries:
            t0 = time.perf_counter()
            found = await store.recall(query, limit=10)
            latencies.append(time.perf_counter() - t0)
            hits += bool(found)
        figures["recall"] = latencies
        figures["hits"] = hits
        (count,) = await store.fetchall("SELECT count(*) FROM memories")
        figures["rows"] = count[0]
    return figures


def raw_side(path: Path, texts: list[str], single: list[str], queries: list[str]) -> dict:
    figures: dict = {}
    conn = raw_connection(path)
    started = time.perf_counter()
    raw_bulk(conn, texts, 0)
    figures["bulk"] = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    for j, text in enumerate(single):
        raw_insert_one(conn, text, len(texts) + j)
    figures["single"] = len(single) / (time.perf_counter() - started)
    latencies = []
    for query in queries:
        t0 = time.perf_counter()
        raw_recall(conn, query)
        latencies.append(time.perf_counter() - t0)
    figures["recall"] = latencies
    conn.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    texts, words = make_texts(args.memories + args.single, args.seed)
    bulk, single = texts[: args.memories], texts[args.memories :]
    rng = random.Random(args.seed + 1)
    queries = [" ".join(rng.choices(words[:2_000], k=rng.randint(1, 3))) for _ in range(args.queries)]
    with tempfile.TemporaryDirectory(prefix="cairn-scale-") as tmp:
        raw = raw_side(Path(tmp) / "raw.sqlite3", bulk, single, queries)
        cairn = asyncio.run(cairn_side(Path(tmp) / "cairn.sqlite3", bulk, single, queries))
    print(
        f"Store scaling: {cairn['rows']:,} memories (+1 anchor each, FTS5), "
        f"{args.queries} recall queries ({cairn['hits']} with hits)"
    )
    print(f"{'measure':<34}{'Cairn':>12}{'raw sqlite3':>14}{'ratio':>9}")
    rows = [
        ("bulk insert (memories/s, 1k/txn)", cairn["bulk"], raw["bulk"], cairn["bulk"] / raw["bulk"]),
        (
            "single insert (memories/s, 1/txn)",
            cairn["single"],
            raw["single"],
            cairn["single"] / raw["single"],
        ),
    ]
    for name, a, b, ratio in rows:
        print(f"{name:<34}{a:>12,.0f}{b:>14,.0f}{ratio:>8.2f}x")
    for label, q in (("recall p50 (ms)", 0.5), ("recall p95 (ms)", 0.95)):
        a, b = percentile(cairn["recall"], q) * 1000, percentile(raw["recall"], q) * 1000
        print(f"{label:<34}{a:>12.2f}{b:>14.2f}{a / b:>8.2f}x")
    print(
        f"recall mean (ms){'':<18}{statistics.mean(cairn['recall']) * 1000:>12.2f}"
        f"{statistics.mean(raw['recall']) * 1000:>14.2f}"
    )
    print("(throughput ratio < 1 = Cairn slower; latency ratio > 1 = Cairn slower)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
