"""bench/memory_external.py's ingestion and scoring path on a tiny synthetic conversation."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "memory_external.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("memory_external_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _locomo_sample() -> bytes:
    """Two sessions in LoCoMo's shape; the answer turns share no word with the questions' topic."""
    return json.dumps(
        [
            {
                "sample_id": "synthetic-1",
                "conversation": {
                    "speaker_a": "Ana",
                    "speaker_b": "Ben",
                    "session_1_date_time": "1:56 pm on 8 May, 2023",
                    "session_1": [
                        {
                            "speaker": "Ana",
                            "dia_id": "D1:1",
                            "text": "How did you get into watercolor painting?",
                        },
                        {
                            "speaker": "Ben",
                            "dia_id": "D1:2",
                            "text": "A friend gave me advice and I was hooked.",
                        },
                        {"speaker": "Ana", "dia_id": "D1:3", "text": "Nice! I adopted a cat called Miso."},
                    ],
                    "session_2_date_time": "10:00 am on 9 June, 2023",
                    "session_2": [
                        {"speaker": "Ben", "dia_id": "D2:1", "text": "I finally ran the Berlin marathon."},
                        {
                            "speaker": "Ana",
                            "dia_id": "D2:2",
                            "text": "Look at this!",
                            "blip_caption": "a photo of a cat asleep on a keyboard",
                        },
                    ],
                },
                "qa": [
                    {
                        "question": "How did Ben get into watercolor painting?",
                        "evidence": ["D1:2"],
                        "category": 4,
                    },
                    {"question": "What is the name of Ana's cat?", "evidence": ["D1:3"], "category": 4},
                    {"question": "Which marathon did Ben run?", "evidence": ["D2:1"], "category": 4},
                    {"question": "Unanswerable", "evidence": [], "category": 5},
                ],
            }
        ]
    ).encode()


def test_locomo_shape_is_ingested_with_dates_and_scored_through_the_tools(bench):
    [case] = bench.locomo_cases(_locomo_sample())
    assert [len(s.turns) for s in case.sessions] == [3, 2] and len(case.questions) == 3
    assert case.sessions[1].turns[1].text.endswith("[shares a photo: a photo of a cat asleep on a keyboard]")
    assert case.sessions[0].turns[0].when.isoformat() == "2023-05-08T13:56:00+00:00"
    cairn, baseline, recall_hits = {}, {}, []
    asyncio.run(bench.run_cairn(case, cairn, recall_hits))
    bench.run_baseline(case, baseline)
    assert cairn["all"].questions == baseline["all"].questions == 3
    assert cairn["all"].rate(5) == 1.0  # every gold turn shown by `history`
    assert 0 < cairn["all"].mean_chars < 100  # hits are single short messages
    assert len(recall_hits) == 3
    report = bench.table("locomo", cairn, baseline, recall_hits)
    assert "history @5" in report and "mean characters per hit" in report


def test_longmemeval_shape_keeps_only_questions_with_answer_turns(bench):
    raw = json.dumps(
        [
            {
                "question_id": "q1",
                "question_type": "single-session-user",
                "question": "What did I name my sourdough starter?",
                "haystack_dates": ["2023/04/10 (Mon) 17:50"],
                "haystack_sessions": [
                    [
                        {
                            "role": "user",
                            "content": "My sourdough starter is called Clint.",
                            "has_answer": True,
                        },
                        {"role": "assistant", "content": "A fine name for a starter."},
                    ]
                ],
            },
            {
                "question_id": "q2_abs",
                "question_type": "single-session-user",
                "question": "What is my cat's name?",
                "haystack_dates": ["2023/04/11 (Tue) 09:00"],
                "haystack_sessions": [[{"role": "user", "content": "Hello"}]],
            },
        ]
    ).encode()
    [case] = bench.longmemeval_cases(raw)
    assert case.questions[0].gold == frozenset({"0:0"})
    assert case.sessions[0].turns[1].role == "assistant"


def test_history_output_is_parsed_back_into_hits(bench):
    output = (
        "2 hits, newest first:\n\n[message 7 | 2023-05-08 13:56 | session ab | user]\nline one\nline two\n\n"
    )
    output += "[message 3 | 2023-05-01 10:00 | session ab | user]\nx"
    assert bench.parse_history(output) == [(7, len("line one\nline two")), (3, 1)]


def test_baseline_is_plain_okapi_bm25(bench):
    index = bench.OkapiBM25(["the cat sat", "the dog ran far away", "cats and dogs"])
    assert index.top("dog", 1) == [1]
    assert index.scores("cat")[0] > 0 and index.scores("cat")[2] == 0  # no stemming in the baseline


def test_a_file_with_another_hash_is_refused(bench, tmp_path):
    bad = tmp_path / "locomo10.json"
    bad.write_text("[]")
    with pytest.raises(SystemExit, match="not the pinned"):
        bench.checked(bad, "locomo")


def test_questions_fall_in_two_seeded_halves_reported_beside_all(bench):
    questions = [f"What did person {n} say about topic {n * 7}?" for n in range(400)]
    halves = [bench.split_of(q) for q in questions]
    assert halves == [bench.split_of(q) for q in questions]  # the same question, the same half
    assert set(halves) == {"split A", "split B"} and 150 < halves.count("split A") < 250
    [case] = bench.locomo_cases(_locomo_sample())
    cairn, baseline, recall_hits = {}, {}, []
    asyncio.run(bench.run_cairn(case, cairn, recall_hits))
    bench.run_baseline(case, baseline)
    drawn = {bench.split_of(q.text) for q in case.questions}
    assert sum(cairn[name].questions for name in drawn) == cairn["all"].questions == 3
    report = bench.table("locomo", cairn, baseline, recall_hits)
    assert all(f"\n{name} " in report for name in drawn)


def test_the_vector_cache_returns_the_encoders_own_vectors_and_encodes_each_text_once(bench, tmp_path):
    np = pytest.importorskip("numpy")

    class Counting:
        model_id, dim = "toy", 3

        def __init__(self):
            self.seen: list[str] = []

        def encode(self, texts):
            self.seen += texts
            return np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32)

    inner = Counting()
    cached = bench.CachedEncoder(inner, tmp_path / "vectors.sqlite3")
    first = cached.encode(["banana", "kiwi"])
    again = bench.CachedEncoder(inner, tmp_path / "vectors.sqlite3").encode(["kiwi", "banana", "fig"])
    assert inner.seen == ["banana", "kiwi", "fig"]  # a text already encoded is read back
    assert np.array_equal(again[:2], first[::-1]) and np.array_equal(again[2], [3, 0, 1])


def test_tally_reports_whole_questions_and_single_evidence_turns(bench):
    # LoCoMo's questions may need several evidence turns: "all found" counts a question only
    # when every one is among the hits; turn-level recall counts each gold turn found.
    tally = bench.Tally()
    tally.add(frozenset({"a", "b"}), {5: ["a", "x"], 10: ["a", "x", "b"]}, [10, 10, 10])
    tally.add(frozenset({"c", "d", "e", "f"}), {5: ["c"], 10: ["c", "d"]}, [10, 10])
    assert tally.rate(5) == 0.0 and tally.rate(10) == 0.5
    assert tally.turn_rate(5) == 2 / 6 and tally.turn_rate(10) == 4 / 6
    assert tally.share_rate(5) == (1 / 2 + 1 / 4) / 2 and tally.share_rate(10) == (1 + 2 / 4) / 2
    report = bench.table("locomo", {"all": tally}, {"all": tally}, [])
    assert "turns @10" in report and "share @10" in report
