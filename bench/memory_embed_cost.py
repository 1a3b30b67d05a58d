"""What `history`'s meaning signal costs: embedding per message, search per query, memory.

Usage: python bench/memory_embed_cost.py [--conversations 2] [--queries 200]

LoCoMo conversations (the data package of bench/requirements-data.txt) are stored twice through
the store's public API in real SQLite files, once without an encoder (`history` by words alone,
the baseline) and once with the `embed` extra's all-MiniLM-L6-v2. Printed, each measured in this
run: loading the model (seconds, resident memory added), embedding (``embed_pending``: ms per
message, for LoCoMo's short turns and for LongMemEval's long ones, cut at 256 tokens), and
``search_history`` per query with and without the encoder, as a ratio. Asserts nothing; exits 0
(and prints why) without the extra or the data.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cairn.memory.minilm import load_encoder
from cairn.memory.ports import SentenceEncoder
from cairn.memory.store import MemoryStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.memory_external import (
    INSTALL,
    SettableClock,
    checked,
    data_file,
    ingest,
    locomo_cases,
    longmemeval_cases,
)


def rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def search_ms(store: MemoryStore, queries: list[str]) -> list[float]:
    out = []
    for query in queries:
        start = time.perf_counter()
        await store.search_history(query, limit=10)
        out.append((time.perf_counter() - start) * 1000)
    return out


async def measure(
    cases: list, queries: list[str], encoder: SentenceEncoder | None
) -> tuple[float, list[float]]:
    """(ms per message embedded, ms per search) over ``cases`` stored in fresh stores."""
    embedded, embed_seconds, searches = 0, 0.0, []
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="cairn-embed-cost-") as tmp:
            clock = SettableClock()
            async with await MemoryStore.open(Path(tmp) / "m.sqlite3", clock=clock, encoder=encoder) as store:
                await ingest(store, clock, case.sessions)
                start = time.perf_counter()
                embedded += await store.embed_pending()
                embed_seconds += time.perf_counter() - start
                await store.search_history("warm up", limit=10)
                searches += await search_ms(store, queries)
    return (embed_seconds * 1000 / embedded if embedded else 0.0), searches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2, help="LoCoMo conversations stored")
    parser.add_argument("--queries", type=int, default=200, help="questions searched per conversation")
    parser.add_argument("--long", type=int, default=300, help="LongMemEval messages embedded")
    args = parser.parse_args(argv)
    locomo, longmemeval = data_file("locomo"), data_file("longmemeval")
    if locomo is None or longmemeval is None:
        print(f"skipped: the data is not installed ({INSTALL})")
        return 0
    before = rss_mb()
    start = time.perf_counter()
    encoder = load_encoder()
    if encoder is None:
        print("skipped: the `embed` extra is not installed (scripts/setup embed)")
        return 0
    encoder.encode(["warm up"])
    load_seconds, loaded = time.perf_counter() - start, rss_mb()
    cases = locomo_cases(checked(locomo, "locomo"))[: args.conversations]
    queries = [q.text for case in cases for q in case.questions][: args.queries]
    words_ms = asyncio.run(measure(cases, queries, None))[1]
    per_message, meaning_ms = asyncio.run(measure(cases, queries, encoder))
    long_texts = [
        turn.text
        for case in longmemeval_cases(checked(longmemeval, "longmemeval"))
        for session in case.sessions
        for turn in session.turns
    ][: args.long]
    start = time.perf_counter()
    for index in range(0, len(long_texts), 32):
        encoder.encode(long_texts[index : index + 32])
    long_ms = (time.perf_counter() - start) * 1000 / max(len(long_texts), 1)
    messages = sum(len(s.turns) for case in cases for s in case.sessions)
    print(f"model {encoder.model_id}: load {load_seconds:.2f} s, peak RSS +{loaded - before:.0f} MB")
    print(f"embedding: {per_message:.1f} ms/message (LoCoMo, {messages} short turns, mean 146 chars)")
    print(f"embedding: {long_ms:.1f} ms/message (LongMemEval, {len(long_texts)} turns, cut at 256 tokens)")
    for name, values in (("words only", words_ms), ("words + meaning", meaning_ms)):
        print(
            f"search_history ({name}): median {statistics.median(values):.1f} ms, "
            f"p95 {statistics.quantiles(values, n=20)[-1]:.1f} ms over {len(values)} queries"
        )
    ratio = statistics.median(meaning_ms) / statistics.median(words_ms)
    print(f"search with meaning / words only (median): {ratio:.2f}x; peak RSS now {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
