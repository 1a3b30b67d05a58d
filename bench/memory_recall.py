"""Long-horizon recall: what survives 300+ steps, side by side with two baselines.

Usage: python bench/memory_recall.py [--steps 320] [--budget 8000] [--window 32000]

The scripted session (bench/memory_recall_session.py) plants 46 facts among 320 steps of noise.
The summarizer model writes only a generic narrative, so the figures measure what Cairn keeps
by itself. As in a real agent, the context is rebuilt whenever it reaches 90% of the usable
window, and the checkpoint writer observes the context size after every step.

Methods, all with the same context budget (default 8,000 tokens) at the end:
- cairn: checkpoints + context assembly; then consolidation and a fresh session.
- naive truncation: system prompt + the newest messages that fit.
- single summary: at every rebuild the whole history is summarized (generic narrative) into
  one summary, followed by the newest messages that fit.
Tokens are counted with cairn.memory.ports.approx_tokens (reads 5-20% high vs GPT-4o).
Prints a table; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.memory_recall_session import Fact, build_session
from cairn.memory.checkpoints import CheckpointWriter, usable_window
from cairn.memory.consolidate import consolidate
from cairn.memory.context import _fit_recent, assemble, message_tokens
from cairn.memory.ports import approx_tokens
from cairn.memory.store import MemoryStore
from cairn.memory.testing import FakeTextModel

SYSTEM = (
    "You are Cairn, a coding agent working in the user's repository. Use the tools to "
    "read and change files; keep the user's directives."
)
SKILLS = "Skills: debugging (find root causes), refactoring (small safe steps), testing."
GENERIC = (
    "## Next action\nContinue with the current task.\n## Task tree\n- Work on the "
    "user's request (in progress)\n## Current work\nThe assistant is making progress "
    "on the code.\n## Open notes\nNothing special."
)
FINAL_REQUEST = "Continue with the task."
FRESH_REQUEST = "Let's pick up the ledger work where we left off."


def recalled(facts: list[Fact], messages: list[dict]) -> Counter:
    """Per fact kind, how many facts have every needle in the context text (``lost`` lists
    the needles of the others)."""
    text = "\n".join((m.get("content") or "") + str(m.get("tool_calls") or "") for m in messages)
    hits: Counter = Counter()
    hits.lost = []  # type: ignore[attr-defined]
    for fact in facts:
        if all(needle in text for needle in fact.needles):
            hits[fact.kind] += 1
        else:
            hits.lost.append(f"{fact.kind}: {fact.needles}")  # type: ignore[attr-defined]
    return hits


def mentioned_paths(plan: list[list[dict]]) -> set[str]:
    """Relative file paths the scripted session reads, edits or mentions."""
    import re

    paths = set()
    for step in plan:
        for message in step:
            text = (message.get("content") or "") + json.dumps(message.get("tool_calls") or "")
            paths.update(re.findall(r"(?<![\w/])((?:src|tests|docs|migrations)/[\w./-]+\.\w+)", text))
    return paths


def tokens(messages: list[dict]) -> int:
    return sum(message_tokens(m, approx_tokens) for m in messages)


def naive(history: list[dict], budget: int) -> list[dict]:
    system = {"role": "system", "content": SYSTEM + "\n\n" + SKILLS}
    window, _, _ = _fit_recent(history, budget - tokens([system]), approx_tokens)
    # Truncation keeps whole tool outputs: undo Cairn's blanking for a fair baseline.
    kept: list[dict] = []
    used = tokens([system])
    for message in reversed(history):
        cost = message_tokens(message, approx_tokens)
        if used + cost > budget:
            break
        kept.insert(0, message)
        used += cost
    while kept and kept[0]["role"] == "tool":
        kept.pop(0)
    del window
    return [system] + kept


async def run(args: argparse.Namespace) -> dict:
    plan, facts = build_session(args.steps, args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="cairn-recall-"))
    (workdir / "ws").mkdir()
    for path in sorted(mentioned_paths(plan)):  # the session's files exist in its workspace
        (workdir / "ws" / path).parent.mkdir(parents=True, exist_ok=True)
        (workdir / "ws" / path).write_text("# placeholder\n")
    results: dict = {"facts": facts, "steps": len(plan), "messages": sum(len(step) for step in plan)}
    model = FakeTextModel(lambda messages: GENERIC)
    async with await MemoryStore.open(workdir / "memory.sqlite3", workspace_root=workdir / "ws") as store:
        writer = CheckpointWriter(store, model)
        session = await store.new_session("ledger work")
        usable = usable_window(args.window, writer.output_reserve)
        history: list[dict] = []
        used = tokens([{"content": SYSTEM + SKILLS}])
        rebuilds = 0
        summary_used = used
        summary_rebuilds = 0
        for step in plan:
            for message in step:
                await store.append_message(session, message)
                history.append(message)
                used += message_tokens(message, approx_tokens)
                summary_used += message_tokens(message, approx_tokens)
            writer.observe(session, used, args.window)
            await asyncio.sleep(0)  # let the background writer run between steps
            if used >= 0.9 * usable:  # the agent rebuilds its context
                await writer.drain()
                context = await assemble(
                    store, session, system_prompt=SYSTEM, skill_index=SKILLS, budget_tokens=args.budget
                )
                used, rebuilds = context.tokens, rebuilds + 1
            if summary_used >= 0.9 * usable:
                summary_rebuilds += 1
                summary_used = args.budget
        await writer.drain()
        final = await assemble(
            store,
            session,
            system_prompt=SYSTEM,
            skill_index=SKILLS,
            request=FINAL_REQUEST,
            budget_tokens=args.budget,
        )
        checkpoints = await store.checkpoints(session_id=session)
        if args.verbose:
            from cairn.memory.checkpoint_format import render

            print(render(checkpoints[-1].data))
        results["cairn_end"] = (recalled(facts, final), final.tokens, final.tokens_by_section())
        results["checkpoints"] = len(checkpoints)
        results["rebuilds"] = rebuilds
        results["model_calls"] = len(model.calls)

        started = time.perf_counter()
        report = await consolidate(store, workspace_root=workdir / "ws", model=model, now=datetime.now(UTC))
        results["consolidation"] = (report, time.perf_counter() - started)
        fresh = await store.new_session("next day")
        await store.append_message(fresh, {"role": "user", "content": FRESH_REQUEST})
        next_day = await assemble(
            store,
            fresh,
            system_prompt=SYSTEM,
            skill_index=SKILLS,
            request=FRESH_REQUEST,
            budget_tokens=args.budget,
        )
        if args.verbose:
            print(next_day.section("project_memory")[0]["content"])
        results["cairn_fresh"] = (recalled(facts, next_day), next_day.tokens, next_day.tokens_by_section())
        await writer.close()

    truncated = naive(history + [{"role": "user", "content": FINAL_REQUEST}], args.budget)
    results["naive_end"] = (recalled(facts, truncated), tokens(truncated))
    fresh_naive = [
        {"role": "system", "content": SYSTEM + "\n\n" + SKILLS},
        {"role": "user", "content": FRESH_REQUEST},
    ]
    results["naive_fresh"] = (recalled(facts, fresh_naive), tokens(fresh_naive))
    # Single summary: the summary replaces everything before the newest messages.
    summary = {"role": "user", "content": "Summary of the conversation so far:\n" + GENERIC}
    body = naive(history + [{"role": "user", "content": FINAL_REQUEST}], args.budget - tokens([summary]))
    single = body[:1] + [summary] + body[1:]
    results["summary_end"] = (recalled(facts, single), tokens(single))
    fresh_single = fresh_naive[:1] + [summary] + fresh_naive[1:]
    results["summary_fresh"] = (recalled(facts, fresh_single), tokens(fresh_single))
    results["summary_rebuilds"] = summary_rebuilds
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=320)
    parser.add_argument("--budget", type=int, default=8_000)
    parser.add_argument("--window", type=int, default=32_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="list the facts each method lost")
    args = parser.parse_args()
    started = time.perf_counter()
    r = asyncio.run(run(args))
    facts: list[Fact] = r["facts"]
    total = len(facts)
    per_kind = Counter(f.kind for f in facts)
    print(
        f"Long-horizon recall: {r['steps']} steps ({r['messages']} messages), {total} planted "
        f"facts, context budget {args.budget} tokens, window {args.window} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    print(
        f"Cairn: {r['checkpoints']} checkpoints, {r['rebuilds']} context rebuilds, "
        f"{r['model_calls']} summarizer calls (generic narrative only)"
    )
    print()
    header = f"{'method':<18}{'end of session':>16}{'tokens':>8}{'fresh session':>16}{'tokens':>8}"
    print(header)
    print("-" * len(header))
    for name, end, fresh in (
        ("cairn", "cairn_end", "cairn_fresh"),
        ("naive truncation", "naive_end", "naive_fresh"),
        ("single summary", "summary_end", "summary_fresh"),
    ):
        e, f = r[end], r[fresh]
        e_n, f_n = sum(e[0].values()), sum(f[0].values())
        print(
            f"{name:<18}{e_n:>4}/{total} {e_n / total:>6.1%}{e[1]:>9,}"
            f"{f_n:>4}/{total} {f_n / total:>6.1%}{f[1]:>9,}"
        )
    print()
    print(
        f"{'fact kind':<22}{'n':>3}{'cairn end':>11}{'cairn fresh':>13}{'naive end':>11}{'summary end':>13}"
    )
    for kind in sorted(per_kind):
        print(
            f"{kind:<22}{per_kind[kind]:>3}{r['cairn_end'][0][kind]:>11}"
            f"{r['cairn_fresh'][0][kind]:>13}{r['naive_end'][0][kind]:>11}"
            f"{r['summary_end'][0][kind]:>13}"
        )
    print()
    print("cairn context sections at the end:  ", r["cairn_end"][2])
    print("cairn context sections, fresh:      ", r["cairn_fresh"][2])
    report, seconds = r["consolidation"]
    print(
        f"consolidation ({seconds:.1f} s): {report.candidates} candidates, {report.added} added, "
        f"{len(report.dropped)} contradicted, project memory {report.project_lines} lines / "
        f"{report.project_bytes} bytes, {report.archived} recall-only"
    )
    exact_kinds = ("value-user", "value-tool-restated", "value-tool-only")
    exact_total = sum(per_kind[k] for k in exact_kinds)
    exact_end = sum(r["cairn_end"][0][k] for k in exact_kinds)
    if args.verbose:
        print("consolidation dropped:", *report.dropped, sep="\n  ")
        for label in ("cairn_end", "cairn_fresh"):
            print(f"lost ({label}):", *r[label][0].lost, sep="\n  ")
    print(
        f"exact-value recall at the end: {exact_end}/{exact_total} "
        f"({exact_end / exact_total:.1%}) within {r['cairn_end'][1]:,} tokens "
        f"(target >= 95% within 8k)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
