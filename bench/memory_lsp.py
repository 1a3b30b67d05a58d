"""Memory through the product path: a long scripted session replayed through the real server.

Each session folder under ``bench/sessions/`` (written blind: by someone who never read the
memory code, see FORMAT.md there) holds a workspace, ~40 turns of user messages and scripted
model steps, and ~47 planted exact values. This script:

1. starts the real ``cairn serve`` process over LSP (pytest-lsp's client, which applies edits
   to disk and answers like an editor), with a real SQLite file under a temporary data dir and
   a scripted model behind a real OpenAI-compatible endpoint on 127.0.0.1 (``openai/`` +
   apiBase, native tool calls). The endpoint answers the agent's requests with the session's
   steps and every background request (checkpoints, consolidation) with a bland narrative;
2. replays day 1 (chat turns and code actions), then reads what the model saw last;
3. probes, on a copy of the data dir, each value with one ``recall`` and one ``history`` call
   (the agent's own tools, through the same server) in a new session per value;
4. restarts the server on the same data dir "the next day", sends the next-day chat with no
   manual command, and reads the first request; then probes again.

A value counts when it appears byte for byte in the text the model is sent. A probe that could
have been answered from an earlier probe's own output (the probes share a transcript) is not
counted: the figure errs low, never high.

    python bench/memory_lsp.py                      # every session under bench/sessions/
    python bench/memory_lsp.py --session session-a  # one of them
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.fake_openai import FakeOpenAI, Plan
from tests.support.lspclient import ClientState, install

SESSIONS = REPO / "bench" / "sessions"
BLAND = "The user and the assistant continued working on the project and made some progress."
RUN_TIMEOUT = 300.0
# Done-when bars of issue 10.
BARS = {"end": 0.90, "fresh": 0.85, "fresh_first_request": 0.60, "checkpoints": 6}


@dataclass
class Scenario:
    name: str
    folder: Path
    window: int
    turns: list[dict]
    next_day: dict
    facts: list[dict]

    @classmethod
    def load(cls, folder: Path) -> Scenario:
        data = json.loads((folder / "session.json").read_text())
        return cls(
            name=data.get("name", folder.name),
            folder=folder,
            window=int(data.get("context_window", 8192)),
            turns=data["turns"],
            next_day=data["next_day"],
            facts=data["facts"],
        )


def is_agent_request(body: dict) -> bool:
    """The agent loop's requests offer tools or carry Cairn's system prompt; the rest is
    memory's background work (checkpoint narrative, consolidation)."""
    messages = body.get("messages") or []
    system = str(messages[0].get("content") or "") if messages else ""
    return bool(body.get("tools")) or system.startswith("You are Cairn")


def seen_text(messages: list[dict]) -> str:
    """Every string the model is sent: contents and decoded tool-call arguments."""
    parts: list[str] = []

    def leaves(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                leaves(item)
        elif isinstance(value, list):
            for item in value:
                leaves(item)

    for message in messages:
        leaves(message.get("content"))
        for call in message.get("tool_calls") or []:
            arguments = call.get("function", {}).get("arguments")
            try:
                leaves(json.loads(arguments) if isinstance(arguments, str) else arguments)
            except json.JSONDecodeError:
                parts.append(str(arguments))
    return "\n".join(parts)


@dataclass
class ScriptedModel:
    """Answers the agent with the current turn's steps, and background work blandly."""

    steps: list[dict] = field(default_factory=list)
    agent_requests: list[dict] = field(default_factory=list)
    background_requests: int = 0
    skipped_steps: int = 0  # steps the server never asked for (the turn ended early)
    extra_requests: int = 0  # requests after the turn's script ran out

    def start_turn(self, steps: list[dict]) -> None:
        self.skipped_steps += len(self.steps)
        self.steps = list(steps)

    def __call__(self, body: dict) -> Plan:
        if not is_agent_request(body):
            self.background_requests += 1
            return Plan(chunks=[BLAND])
        self.agent_requests.append(body)
        if not self.steps:
            self.extra_requests += 1
            return Plan(chunks=["(The scripted turn is over.)"])
        step = self.steps.pop(0)
        if "answer" in step:
            return Plan(chunks=[step["answer"]])
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        call = {"id": call_id, "name": step["tool"], "arguments": step.get("args", {})}
        return Plan(chunks=[step["say"]] if step.get("say") else [], tool_calls=[call], finish="tool_calls")


class Editor:
    """One real `cairn serve` process with an editor-like client."""

    def __init__(self, client: LanguageClient, state: ClientState, root: Path) -> None:
        self.client = client
        self.state = state
        self.root = root

    async def command(self, name: str, arguments: dict) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[arguments])
        )

    async def run(self, name: str, arguments: dict) -> None:
        """Start a run and wait until its stream ends (the command may return at once)."""
        stream_id = uuid.uuid4().hex
        reply = await asyncio.wait_for(self.command(name, {**arguments, "streamId": stream_id}), RUN_TIMEOUT)
        status = reply.get("status") if isinstance(reply, dict) else getattr(reply, "status", None)
        if status != "done" or not self.state.stream_done[stream_id].is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.state.stream_done[stream_id].wait(), RUN_TIMEOUT)

    async def turn(self, turn: dict) -> None:
        if "action" in turn:
            uri = (self.root / turn["path"]).as_uri()
            rng = {
                "start": {"line": max(0, int(turn.get("start_line", 1)) - 1), "character": 0},
                "end": {"line": max(0, int(turn.get("end_line", 1))), "character": 0},
            }
            await self.run("cairn.runAction", {"action": turn["action"], "uri": uri, "range": rng})
        else:
            await self.run("cairn.chat", {"prompt": turn["user"]})

    async def new_session(self) -> Any:
        return await self.command("cairn.newSession", {})


@contextlib.asynccontextmanager
async def editor(root: Path, data_dir: Path, api_base: str, window: int) -> AsyncIterator[Editor]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CAIRN_DATA_DIR": str(data_dir),
        "CAIRN_MODEL": "openai/bench-scripted",
        "CAIRN_API_BASE": api_base,
        "CAIRN_API_KEY": "sk-bench-placeholder-key",
        "CAIRN_ACTION_PROTOCOL": "native",
        "CAIRN_CONTEXT_WINDOW": str(window),
        "CAIRN_TRUSTED": "true",
        "CAIRN_SHELL": "allow",
        "CAIRN_LOCAL_MODEL": "off",
    }
    config = ClientServerConfig(server_command=[sys.executable, "-m", "cairn", "serve"], server_env=env)
    client = cast(LanguageClient, await config.start())
    state = install(client)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"settings": {}, "streamNotifications": True},
        )
    )
    try:
        yield Editor(client, state, root)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 30)
        with contextlib.suppress(Exception):
            await client.stop()


def present(facts: list[dict], text: str) -> set[str]:
    return {fact["id"] for fact in facts if fact["value"] in text}


def current_facts(facts: list[dict]) -> list[dict]:
    """The values that are still true at the end (a replaced value's old form is not)."""
    return [fact for fact in facts if not fact.get("replaced_by")]


HIT_START = re.compile(r"^(?:\[message \d+ \||- \[)", re.M)
HIT_SESSION = re.compile(r"\| session ([0-9a-f]{8})")


def without_probe_hits(output: str, probe_sessions: set[str]) -> str | None:
    """``output`` without the hits that come from the probes' own sessions (the probes share a
    transcript); None when the hits cannot be told apart (then the caller errs low)."""
    starts = [m.start() for m in HIT_START.finditer(output)]
    if not starts:
        return None if probe_sessions else output
    kept = [output[: starts[0]]]
    for start, end in zip(starts, [*starts[1:], len(output)]):
        block = output[start:end]
        session = HIT_SESSION.search(block.split("\n", 1)[0])
        if session is None:
            return None
        if session.group(1) not in probe_sessions:
            kept.append(block)
    return "".join(kept)


async def probe(
    ed: Editor, model: ScriptedModel, facts: list[dict], dump: list[dict] | None = None
) -> tuple[set[str], int]:
    """One new session per value: recall(query), then history(query). Returns the ids found
    and how many were discarded because only a hit from an earlier probe's session held them
    (or the hits could not be told apart and an earlier probe's output held the value)."""
    found: set[str] = set()
    discarded = 0
    earlier_outputs = ""
    probe_sessions: set[str] = set()
    for fact in facts:
        reply = await ed.new_session()
        session_id = reply.get("sessionId") if isinstance(reply, dict) else getattr(reply, "sessionId", None)
        if session_id:
            probe_sessions.add(str(session_id)[:8])
        before = len(model.agent_requests)
        model.start_turn(
            [
                {"tool": "recall", "args": {"query": fact["query"]}},
                {"tool": "history", "args": {"query": fact["query"]}},
                {"answer": "Found it."},
            ]
        )
        await ed.run("cairn.chat", {"prompt": fact.get("question") or fact["query"]})
        outputs = "\n".join(
            str(request["messages"][-1].get("content") or "")
            for request in model.agent_requests[before + 1 :]
            if request["messages"] and request["messages"][-1].get("role") == "tool"
        )
        clean = without_probe_hits(outputs, probe_sessions - {str(session_id)[:8]})
        if fact["value"] in outputs:
            if clean is not None and fact["value"] in clean:
                found.add(fact["id"])
            elif clean is None and fact["value"] not in earlier_outputs:
                found.add(fact["id"])
            else:
                discarded += 1
        if dump is not None:
            dump.append(
                {"id": fact["id"], "query": fact["query"], "found": fact["id"] in found, "output": outputs}
            )
        earlier_outputs += "\n" + outputs
    return found, discarded


def checkpoint_count(data_dir: Path) -> int:
    counts = []
    for db in data_dir.rglob("memory.sqlite3"):
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            counts.append(conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0])
    return sum(counts)


# What memory tells the model, as opposed to the transcript (where an old value is history):
# the standing instructions and the fenced memory sections.
_MEMORY_BLOCKS = re.compile(
    r"<(project-memory|previous-sessions|recalled-memories|checkpoint)\b.*?</\1>"
    r"|^Standing instructions[^\n]*\n(?:- [^\n]*\n?)+",
    re.DOTALL | re.MULTILINE,
)


def stale_as_current(facts: list[dict], text: str) -> list[str]:
    """Replaced values that memory states as current: on a line of a memory section (or a
    standing instruction) that does not also give the replacement. A value shown once
    outdated and once current elsewhere still counts: the model cannot tell which is which."""
    by_id = {fact["id"]: fact for fact in facts}
    lines = [line for block in _MEMORY_BLOCKS.finditer(text) for line in block.group(0).splitlines()]
    return sorted(
        {
            fact["id"]
            for fact in facts
            if fact.get("replaced_by")
            for line in lines
            if fact["value"] in line and _current(by_id, fact)["value"] not in line
        }
    )


def _current(by_id: dict[str, dict], fact: dict) -> dict:
    """The value that replaced ``fact`` last (a value may change twice)."""
    while fact.get("replaced_by"):
        fact = by_id[fact["replaced_by"]]
    return fact


async def run_scenario(scenario: Scenario, scratch: Path) -> dict[str, Any]:
    root = scratch / "workspace"
    shutil.copytree(scenario.folder / "workspace", root)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "start"],
        cwd=root,
        check=True,
    )
    data_dir = scratch / "data"
    facts = scenario.facts
    current = current_facts(facts)
    model = ScriptedModel()
    dumps: dict[str, list[dict]] = {"end": [], "fresh": []}
    fake = FakeOpenAI()
    fake.router = model
    await fake.start()
    started = time.monotonic()
    try:
        async with editor(root, data_dir, fake.api_base, scenario.window) as ed:
            for turn in scenario.turns:
                model.start_turn(turn["steps"])
                await ed.turn(turn)
            model.start_turn([])
            day1_requests = len(model.agent_requests)
            end_text = seen_text(model.agent_requests[-1]["messages"])
        day1_seconds = time.monotonic() - started
        checkpoints = checkpoint_count(data_dir)

        probe_dir = scratch / "probe-data"
        shutil.copytree(data_dir, probe_dir)
        shutil.copytree(data_dir, scratch / "day1-data")  # as day 1 left it, for reading a miss
        async with editor(root, probe_dir, fake.api_base, scenario.window) as ed:
            end_found, end_discarded = await probe(ed, model, current, dumps["end"])

        async with editor(root, data_dir, fake.api_base, scenario.window) as ed:
            first = len(model.agent_requests)
            model.start_turn(scenario.next_day["steps"])
            await ed.turn(scenario.next_day)
            model.start_turn([])
            fresh_text = seen_text(model.agent_requests[first]["messages"])
            fresh_found, fresh_discarded = await probe(ed, model, current, dumps["fresh"])
    finally:
        await fake.stop()

    # What the model saw and what each probe returned, for reading a miss (kept with --keep).
    (scratch / "end-context.txt").write_text(end_text)
    (scratch / "fresh-context.txt").write_text(fresh_text)
    (scratch / "probes.json").write_text(json.dumps(dumps, indent=1))
    end_seen = present(current, end_text)
    fresh_seen = present(current, fresh_text)
    n = len(current)
    return {
        "session": scenario.name,
        "values": n,
        "day1_agent_requests": day1_requests,
        "background_requests": model.background_requests,
        "script_desync": {"skipped_steps": model.skipped_steps, "extra_requests": model.extra_requests},
        "day1_seconds": round(day1_seconds, 1),
        "checkpoints": checkpoints,
        "end_seen": len(end_seen),
        "end_reachable": len(end_found),
        "end_either": len(end_seen | end_found),
        "fresh_first_request": len(fresh_seen),
        "fresh_reachable": len(fresh_found),
        "fresh_either": len(fresh_seen | fresh_found),
        "probes_discarded": end_discarded + fresh_discarded,
        "stale_as_current_end": stale_as_current(facts, end_text),
        "stale_as_current_fresh": stale_as_current(facts, fresh_text),
        "missing_end": sorted({f["id"] for f in current} - (end_seen | end_found)),
        "missing_fresh": sorted({f["id"] for f in current} - (fresh_seen | fresh_found)),
    }


def verdict(result: dict[str, Any]) -> list[str]:
    n = result["values"]
    missed = []
    if result["end_either"] < BARS["end"] * n:
        missed.append("end of session < 90%")
    if result["fresh_either"] < BARS["fresh"] * n:
        missed.append("fresh session < 85%")
    if result["fresh_first_request"] < BARS["fresh_first_request"] * n:
        missed.append("fresh first request < 60%")
    if result["checkpoints"] < BARS["checkpoints"]:
        missed.append("fewer than 6 checkpoints")
    if result["stale_as_current_end"] or result["stale_as_current_fresh"]:
        missed.append("an old value shown as current")
    return missed


def print_table(results: list[dict[str, Any]]) -> None:
    def pct(count: int, n: int) -> str:
        return f"{count}/{n} ({100 * count / n:.0f}%)"

    print(
        "| session | in what the model sees, end | seen or one recall/history call, end "
        "| fresh session, first request | fresh: seen or one call | checkpoints | old value as current |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        n = r["values"]
        stale = len(r["stale_as_current_end"]) + len(r["stale_as_current_fresh"])
        print(
            f"| {r['session']} | {pct(r['end_seen'], n)} | {pct(r['end_either'], n)} "
            f"| {pct(r['fresh_first_request'], n)} | {pct(r['fresh_either'], n)} "
            f"| {r['checkpoints']} | {stale} |"
        )


async def main_async(names: list[str], keep: bool) -> int:
    folders = (
        [SESSIONS / name for name in names]
        if names
        else sorted(p for p in SESSIONS.iterdir() if (p / "session.json").exists())
    )
    results = []
    for folder in folders:
        scenario = Scenario.load(folder)
        scratch = Path(tempfile.mkdtemp(prefix=f"cairn-bench-{scenario.name}-"))
        try:
            result = await run_scenario(scenario, scratch)
        finally:
            if not keep:
                shutil.rmtree(scratch, ignore_errors=True)
        print(json.dumps(result, indent=1), file=sys.stderr)
        if keep:
            print(f"{scenario.name}: scratch kept in {scratch}", file=sys.stderr)
        results.append(result)
    print_table(results)
    failures = {r["session"]: verdict(r) for r in results}
    for name, missed in failures.items():
        print(f"{name}: {'all bars met' if not missed else 'MISSED: ' + '; '.join(missed)}")
    return 1 if any(failures.values()) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", action="append", default=[], help="a folder under bench/sessions/")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders (workspace, DB)")
    args = parser.parse_args()
    return asyncio.run(main_async(args.session, args.keep))


if __name__ == "__main__":
    sys.exit(main())
