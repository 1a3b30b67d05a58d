"""Agent overhead per step with the scripted model: everything the agent does around a model
call (context assembly, token counting, tool call, storing), against the model call itself,
measured inside the same runs.

One "step" = one model call + one tool call + storing both. The time inside ModelClient.reply
(the litellm path with a zero-latency scripted model) is the baseline; the rest is overhead.
Runs with the SQLite memory store and without it, interleaved.

    python bench/agent_overhead.py [--steps 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CAIRN_NO_WARMUP", "1")

from cairn.server.agent.compose import open_agent_host
from cairn.server.agent.host import RunPorts
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.context import FixedApprover, NoBuffers, RefusingSink
from cairn.server.settings import Settings


class Quiet:
    def text(self, delta: str) -> None: ...
    def status(self, message: str) -> None: ...
    def step(self, number: int) -> None: ...


def turns(steps: int) -> list[dict | str]:
    calls = [
        {
            "tool_calls": [
                {
                    "name": "read_file",
                    "arguments": {"path": f"file_{i % 20}.py", "start_line": 1, "end_line": 40 + i},
                }
            ]
        }
        for i in range(steps - 1)
    ]
    return [*calls, "Done."]


def script(steps: int) -> ScriptedModel:
    """The agent's turns in order; memory's background calls (no tools) get a narrative."""
    queue = turns(steps)

    def play(request: dict):
        if not request.get("tools"):
            return "The session reads files one by one."
        return queue.pop(0) if queue else None

    return ScriptedModel(callback=play)


def workspace(root: Path) -> None:
    for index in range(20):
        (root / f"file_{index}.py").write_text("".join(f"def f{j}():\n    return {j}\n" for j in range(60)))


class TimedModel(ModelClient):
    """The scripted model client, timing what is spent inside reply()."""

    spent = 0.0

    async def reply(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return await super().reply(*args, **kwargs)
        finally:
            TimedModel.spent += time.perf_counter() - started


async def agent_run(steps: int, with_memory: bool) -> tuple[float, float]:
    """(total seconds per step, model seconds per step)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace(root)
        settings = Settings(
            model="scripted/bench",
            max_steps=steps + 5,
            request_timeout=60,
            memory_path=str(root.parent / f"{root.name}.sqlite3"),
        )
        host = await open_agent_host(
            root, settings, memory=with_memory, skills=False, model_factory=TimedModel
        )
        TimedModel.spent = 0.0
        ports = RunPorts(
            buffers=NoBuffers(), edits=RefusingSink(), approver=FixedApprover(False), observer=Quiet()
        )
        session = await host.new_session()
        with script(steps):
            started = time.perf_counter()
            result = await host.run("Read the files", session_id=session, ports=ports)
            elapsed = time.perf_counter() - started
        model_time = TimedModel.spent
        await host.close()
        assert result.steps == steps, result
        return elapsed / steps, model_time / steps


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    await ModelClient(ModelConfig(model="scripted/bench")).prepare()  # import litellm outside the timing
    rows: dict[str, list[tuple[float, float]]] = {"agent, no memory": [], "agent, SQLite memory": []}
    for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
        rows["agent, no memory"].append(await agent_run(args.steps, with_memory=False))
        rows["agent, SQLite memory"].append(await agent_run(args.steps, with_memory=True))
    print(f"{args.steps} steps per run, {args.repeats} runs each (medians); model = scripted, zero latency")
    print(
        f"{'path':<22} {'total ms/step':>14} {'model ms/step':>14} {'overhead ms/step':>17} "
        f"{'total/model':>12}"
    )
    for name, values in rows.items():
        total = statistics.median(v[0] for v in values)
        model = statistics.median(v[1] for v in values)
        print(
            f"{name:<22} {total * 1000:>14.2f} {model * 1000:>14.2f} {(total - model) * 1000:>17.2f} "
            f"{total / model:>12.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
