"""Agent overhead per step, and whether it grows as a session grows (R18).

What this measures: the agent loop IN-PROCESS (`AgentHost.run` in this Python process), not the
LSP product path (no `cairn serve`, no JSON-RPC, no editor). The model is the scripted,
zero-latency model behind the real litellm path; the tools are real (`read_file` on a
temporary workspace); with memory, the store is a real SQLite file behind the real
`MemoryService` / `MemoryContext`, checkpoint writer included.

One step = one model call + one `read_file` tool call + storing both. A step's overhead is its
wall time minus the time spent inside the agent's own `ModelClient.reply` (the litellm call).
Background work on the same event loop (checkpoints, consolidation) is counted as overhead of
the step it runs in, since the agent shares the loop with it.

For each session length and each path (without memory, with the SQLite memory) it prints the
mean overhead per step of the first 10% and of the last 10% of steps, and their ratio (and the
median of the last 10%, which a stall of the shared machine moves less); then the
last 10% of the longest session against the last 10% of the shortest (R18's target: at most
1.5x, and under 10 ms per step).

    python bench/agent_overhead.py [--steps 100 1000 3000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CAIRN_NO_WARMUP", "1")

from cairn.memory.redaction import Redactor  # noqa: E402
from cairn.server.agent.host import AgentHost, RunPorts  # noqa: E402
from cairn.server.agent.memory_bridge import MemoryService  # noqa: E402
from cairn.server.agent.model import ModelClient, ModelConfig  # noqa: E402
from cairn.server.agent.testing import ScriptedModel  # noqa: E402
from cairn.server.agent.tools.context import FixedApprover, NoBuffers, RefusingSink  # noqa: E402
from cairn.server.settings import Settings  # noqa: E402

PATHS = ("no memory", "SQLite memory")


class StepClock:
    """The observer: notes when each step starts; the model adds its time to the current step."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.model_time: list[float] = []

    def text(self, delta: str) -> None: ...
    def status(self, message: str) -> None: ...

    def step(self, number: int) -> None:
        self.starts.append(time.perf_counter())
        self.model_time.append(0.0)

    def overheads(self, end: float) -> list[float]:
        """Seconds per step outside the agent's model calls."""
        bounds = [*self.starts, end]
        return [b - a - m for a, b, m in zip(bounds, bounds[1:], self.model_time)]


class TimedModel(ModelClient):
    """The scripted model client, timing the agent's own calls (the ones that offer tools)."""

    clock: StepClock | None = None

    async def reply(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        started = time.perf_counter()
        try:
            return await super().reply(*args, **kwargs)
        finally:
            if kwargs.get("tools") and self.clock is not None and self.clock.model_time:
                self.clock.model_time[-1] += time.perf_counter() - started


def script(steps: int) -> ScriptedModel:
    """The agent's turns in order; memory's background calls (no tools) get a narrative."""
    queue: collections.deque[Any] = collections.deque(
        {
            "tool_calls": [
                {
                    "name": "read_file",
                    "arguments": {"path": f"file_{i % 20}.py", "start_line": 1, "end_line": 40 + i},
                }
            ]
        }
        for i in range(steps - 1)
    )
    queue.append("Done.")

    def play(request: dict):
        if not request.get("tools"):
            return "The session reads files one by one."
        return queue.popleft() if queue else None

    return ScriptedModel(callback=play)


def workspace(root: Path) -> None:
    for index in range(20):
        (root / f"file_{index}.py").write_text("".join(f"def f{j}():\n    return {j}\n" for j in range(60)))


async def agent_run(steps: int, with_memory: bool) -> list[float]:
    """Overhead seconds of each step of one session of ``steps`` steps."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace(root)
        host = AgentHost(root, Settings(model="scripted/bench", max_steps=steps + 5))
        model = TimedModel(ModelConfig(model="scripted/bench", request_timeout=60))
        host._model = model
        if with_memory:
            host.memory = await MemoryService.open(
                root.parent / f"{root.name}.sqlite3", root, Redactor(), host.model
            )
            host.redactor = Redactor()
        clock = StepClock()
        model.clock = clock
        ports = RunPorts(
            buffers=NoBuffers(), edits=RefusingSink(), approver=FixedApprover(False), observer=clock
        )
        session = await host.new_session()
        with script(steps):
            result = await host.run("Read the files", session_id=session, ports=ports)
            end = time.perf_counter()
        await host.close()
        assert result.steps == steps, result
        return clock.overheads(end)


def tenth(
    values: list[float], *, last: bool, average: Callable[[list[float]], float] = statistics.fmean
) -> float:
    """Mean (or another ``average``) of the first or last 10% of ``values`` (at least one)."""
    size = max(1, len(values) // 10)
    return average(values[-size:] if last else values[:size])


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell; medians are printed")
    args = parser.parse_args()
    warm = ModelClient(ModelConfig(model="scripted/bench"))
    await warm.prepare()  # import litellm and load the tokenizer outside the timing
    warm.count_tokens("warm up")
    print(
        f"agent loop in-process (not the LSP path); scripted zero-latency model; "
        f"{args.repeats} run(s) per cell (medians); load average {os.getloadavg()[0]:.1f} at start"
    )
    print(
        f"{'path':<15} {'steps':>6} {'first 10% ms/step':>18} {'last 10% ms/step':>17} {'last/first':>11} "
        f"{'last 10% median':>16}"
    )
    last: dict[tuple[str, int], float] = {}
    for steps in sorted(args.steps):
        runs: dict[str, list[list[float]]] = {name: [] for name in PATHS}
        for _ in range(args.repeats):  # interleaved, so machine noise hits both paths alike
            for name in PATHS:
                runs[name].append(await agent_run(steps, with_memory=name == "SQLite memory"))
        for name in PATHS:
            first = statistics.median(tenth(r, last=False) for r in runs[name])
            final = statistics.median(tenth(r, last=True) for r in runs[name])
            typical = statistics.median(tenth(r, last=True, average=statistics.median) for r in runs[name])
            last[(name, steps)] = final
            print(
                f"{name:<15} {steps:>6} {first * 1000:>18.2f} {final * 1000:>17.2f} {final / first:>11.2f} "
                f"{typical * 1000:>16.2f}"
            )
    shortest, longest = min(args.steps), max(args.steps)
    for name in PATHS:
        ratio = last[(name, longest)] / last[(name, shortest)]
        print(
            f"{name}: last 10% of {longest} steps / last 10% of {shortest} steps = {ratio:.2f} "
            f"({last[(name, longest)] * 1000:.2f} ms/step at the end; target <= 1.5 and < 10 ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
