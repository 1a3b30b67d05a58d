"""Repository questions: `cairn ask` on the embedded model against the bare model, same run.

The questions (``bench/repo_questions.json`` by default; written blind by a helper who had not
read the agent's map or prompts, never edited here) each have ``accept`` and ``reject`` strings:
an answer is correct when it contains one accept string and no reject string (case-sensitive).
Two arms, same model, same questions:

- ``bare``: the embedded model answers once: a one-line instruction and the question, no tools,
  no repository map (greedy decoding, as the product runs it).
- ``agent``: the real product path, one ``cairn ask QUESTION --workspace TREE`` process per
  question (model load included in its time), with a fresh data directory each (so no question
  sees another's memory). Scored on everything it printed to stdout: a first answer that Cairn
  sent back for naming a missing file counts against it too.

TREE is the repository at the questions' recorded commit (``git archive``), so the answers
hold whatever this branch has changed since. Results go to a JSONL file as they come, so an
interrupted run still reports what it did. One model process at a time (2 shared cores).

    python bench/repo_questions.py [--arms bare,agent] [--only q01,q02] [--timeout 420]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench.*` when run as a script

from bench.ask_process import run_ask

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "bench" / "repo_questions.json"  # written blind (see its commit), never edited
BARE_SYSTEM = (
    "You answer questions about the source repository of Cairn, a Python language server that hosts a "
    "coding agent. Answer in one short line with the exact file path or identifier asked for."
)
BARE_MAX_TOKENS = 160
RETRACTION = re.compile(r"> Cairn: .* does not exist in this workspace; asking for a corrected answer\.")


def correct(answer: str, question: dict) -> bool:
    """The README's rule: one accept string and no reject string (case-sensitive substrings)."""
    return any(a in answer for a in question["accept"]) and not any(r in answer for r in question["reject"])


def export_tree(commit: str, into: Path) -> Path:
    """The repository's files at ``commit`` (tracked files only: no .venv, no .git)."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into


def bare_arm(questions: list[dict], log) -> None:
    from cairn.server.agent.local.catalog import installed_local_models
    from cairn.server.agent.local.runtime import Generation, LocalRuntime
    from cairn.server.agent.local.weights import ensure_weights

    spec = installed_local_models()[0]
    ensure_weights(spec)
    runtime = LocalRuntime(spec)
    started = time.perf_counter()
    runtime.load()
    log(
        {
            "arm": "bare",
            "event": "loaded",
            "model": spec.litellm_model,
            "seconds": time.perf_counter() - started,
        }
    )
    for question in questions:
        messages = [
            {"role": "system", "content": BARE_SYSTEM},
            {"role": "user", "content": question["question"]},
        ]
        started = time.perf_counter()
        request = Generation(messages=messages, max_tokens=BARE_MAX_TOKENS)
        text = "".join(
            chunk["choices"][0].get("delta", {}).get("content") or "" for chunk in runtime.stream(request)
        )
        log(
            {
                "arm": "bare",
                "id": question["id"],
                "correct": correct(text, question),
                "seconds": round(time.perf_counter() - started, 1),
                "answer": text.strip(),
            }
        )


def agent_arm(questions: list[dict], tree: Path, timeout: float, log) -> None:
    for question in questions:
        with tempfile.TemporaryDirectory(prefix="cairn-rq-") as scratch:
            run = run_ask(question["question"], tree, scratch=Path(scratch), timeout=timeout)
        out, err = run.stdout, run.stderr
        tools = re.findall(r"step \d+: (read_file|list_files|search|recall|history)\s+(\S*)", err)
        log(
            {
                "arm": "agent",
                "id": question["id"],
                "correct": correct(out, question),
                "final_correct": correct(RETRACTION.split(out)[-1], question),
                "corrected": bool(RETRACTION.search(out)),
                "exit": run.exit_code,
                "steps": run.steps,
                "tools": [f"{name} {arg}".strip() for name, arg in tools],
                "seconds": round(run.seconds, 1),
                "answer": out.strip(),
                "stderr_tail": err.strip().splitlines()[-3:],
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--arms", default="bare,agent")
    parser.add_argument("--only", default="", help="comma-separated question ids")
    parser.add_argument("--timeout", type=float, default=420.0, help="seconds per `cairn ask`")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "repo_questions.jsonl")
    args = parser.parse_args()
    data = json.loads(args.questions.read_text())
    questions = data["questions"]
    if args.only:
        wanted = set(args.only.split(","))
        questions = [q for q in questions if q["id"] in wanted]
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    results: dict[str, list[dict]] = {arm: [] for arm in arms}
    args.out.parent.mkdir(parents=True, exist_ok=True)

    with args.out.open("a") as sink:

        def log(record: dict) -> None:
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            if "id" in record:
                results[record["arm"]].append(record)
                mark = "ok " if record["correct"] else "no "
                extra = f" steps={record['steps']}" if record["arm"] == "agent" else ""
                first = record["answer"].replace("\n", " ")[:110]
                print(
                    f"{record['arm']:5} {record['id']} {mark}{record['seconds']:6.1f}s{extra}  {first}",
                    flush=True,
                )

        log({"event": "start", "commit": data["commit"], "arms": arms, "questions": len(questions)})
        with tempfile.TemporaryDirectory(prefix="cairn-rq-tree-") as tree_dir:
            tree = export_tree(data["commit"], Path(tree_dir))
            walls = {}
            for arm in arms:
                started = time.perf_counter()
                if arm == "bare":
                    bare_arm(questions, log)
                elif arm == "agent":
                    agent_arm(questions, tree, args.timeout, log)
                else:
                    raise SystemExit(f"unknown arm {arm!r}")
                walls[arm] = time.perf_counter() - started

    print(f"\nquestions: {len(questions)} (commit {data['commit'][:12]}); results in {args.out}")
    for arm in arms:
        done = results[arm]
        score = sum(r["correct"] for r in done)
        line = f"{arm:5}: {score}/{len(done)} correct, wall {walls[arm]:.0f} s"
        if arm == "agent" and done:
            final = sum(r["final_correct"] for r in done)
            corrected = sum(r["corrected"] for r in done)
            line += f" (final answer only: {final}/{len(done)}; sent back for a missing path: {corrected})"
        print(line)


if __name__ == "__main__":
    main()
