"""Agent overhead per step, and whether it grows as a session grows (R18).

What this measures: the agent loop IN-PROCESS (`AgentHost.run` in this Python process), not the
LSP product path (no `cairn serve`, no JSON-RPC, no editor). The model is the scripted,
zero-latency model behind the real litellm path; the tools are real (`read_file` on a
temporary workspace); with memory, the store is a real SQLite file behind the real
`MemoryService` / `MemoryContext`, checkpoint writer included.

One step = one model call + one `read_file` tool call + storing both. A step's overhead is its
wall time minus the time spent inside the agent's own `ModelClient.reply` (the litellm call).
The last step (the final answer, no tool call) is left out of the figures.
Background work on the same event loop (checkpoints, consolidation) is counted as overhead of
the step it runs in, since the agent shares the loop with it.

For each session length and each path (without memory, with the SQLite memory) it prints the
mean overhead per step of the first 10% and of the last 10% of steps, and their ratio (and the
median of the last 10%, which a stall of the shared machine moves less, and the CPU time of the
process, all threads, which other processes on the machine move least); then the
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

from cairn.server.agent.compose import open_agent_host
from cairn.server.agent.host import RunPorts
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.context import FixedApprover, NoBuffers, RefusingSink
from cairn.server.settings import Settings

PATHS = ("no memory", "SQLite memory")


def now() -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads)."""
    return time.perf_counter(), time.process_time()


class StepClock:
    """The observer: notes when each step starts; the model adds its time to the current step."""

    def __init__(self) -> None:
        self.starts: list[tuple[float, float]] = []
        self.model_time: list[list[float]] = []  # [wall, cpu] inside the agent's model calls

    def text(self, delta: str) -> None: ...
    def status(self, message: str) -> None: ...

    def step(self, number: int) -> None:
        self.starts.append(now())
        self.model_time.append([0.0, 0.0])

    def overheads(self, end: tuple[float, float], kind: int) -> list[float]:
        """Seconds per step outside the agent's model calls: ``kind`` 0 wall, 1 CPU."""
        bounds = [*self.starts, end]
        return [b[kind] - a[kind] - m[kind] for a, b, m in zip(bounds, bounds[1:], self.model_time)]


class TimedModel(ModelClient):
    """The scripted model client, timing the agent's own calls (the ones that offer tools)."""

    clock: StepClock | None = None

    async def reply(self, *args, **kwargs):
        started = now()
        try:
            return await super().reply(*args, **kwargs)
        finally:
            if kwargs.get("tools") and self.clock is not None and self.clock.model_time:
                ended = now()
                self.clock.model_time[-1][0] += ended[0] - started[0]
                self.clock.model_time[-1][1] += ended[1] - started[1]


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


async def agent_run(steps: int, with_memory: bool) -> tuple[list[float], list[float]]:
    """Overhead seconds (wall, CPU) of each step of one session of ``steps`` steps."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace(root)
        clock = StepClock()

        def timed_model(config: ModelConfig, **kwargs: Any) -> ModelClient:
            model = TimedModel(config, **kwargs)
            model.clock = clock
            return model

        settings = Settings(
            model="scripted/bench",
            max_steps=steps + 5,
            request_timeout=60,
            memory_path=str(root.parent / f"{root.name}.sqlite3"),
        )
        host = await open_agent_host(
            root, settings, memory=with_memory, skills=False, model_factory=timed_model
        )
        ports = RunPorts(
            buffers=NoBuffers(), edits=RefusingSink(), approver=FixedApprover(False), observer=clock
        )
        session = await host.new_session()
        with script(steps):
            result = await host.run("Read the files", session_id=session, ports=ports)
            end = now()
        await host.close()
        assert result.steps == steps, result
        # The last step answers without a tool call: not a step like the others.
        return clock.overheads(end, 0)[:-1], clock.overheads(end, 1)[:-1]


def tenth(
    values: list[float], *, last: bool, average: Callable[[list[float]], float] = statistics.fmean
) -> float:
    """Mean (or another ``average``) of the first or last 10% of ``values`` (at least one)."""
    size = max(1, len(values) // 10)
    return average(values[-size:] if last else values[:size])


def runs_for(steps: int, repeats: int) -> int:
    """Short sessions run more often: their last 10% is only a few steps, easily moved by noise."""
    return repeats * max(1, min(10, 1000 // steps))


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell (x10 under 100 steps); medians")
    args = parser.parse_args()
    warm = ModelClient(ModelConfig(model="scripted/bench"))
    await warm.prepare()  # import litellm and load the tokenizer outside the timing
    warm.count_tokens("warm up")
    sizes = sorted(args.steps)
    print(
        "agent loop in-process (not the LSP path); scripted zero-latency model; runs per cell: "
        + ", ".join(f"{runs_for(n, args.repeats)} x {n}" for n in sizes)
        + f" (medians over runs); load average {os.getloadavg()[0]:.1f} at start"
    )
    print(
        f"{'path':<15} {'steps':>6} {'first 10% ms/step':>18} {'last 10% ms/step':>17} {'last/first':>11} "
        f"{'last 10% median':>16} {'CPU first 10%':>14} {'CPU last 10%':>13}"
    )
    runs: dict[tuple[str, int], list[tuple[list[float], list[float]]]] = {}
    for steps in sizes:
        for _ in range(runs_for(steps, args.repeats)):  # interleaved: machine noise hits both paths
            for name in PATHS:
                overheads = await agent_run(steps, with_memory=name == "SQLite memory")
                runs.setdefault((name, steps), []).append(overheads)
        for name in PATHS:
            cell = runs[(name, steps)]
            first = statistics.median(tenth(wall, last=False) for wall, _ in cell)
            final = statistics.median(tenth(wall, last=True) for wall, _ in cell)
            typical = statistics.median(tenth(wall, last=True, average=statistics.median) for wall, _ in cell)
            cpu_first = statistics.median(tenth(cpu, last=False) for _, cpu in cell)
            cpu_final = statistics.median(tenth(cpu, last=True) for _, cpu in cell)
            print(
                f"{name:<15} {steps:>6} {first * 1000:>18.2f} {final * 1000:>17.2f} {final / first:>11.2f} "
                f"{typical * 1000:>16.2f} {cpu_first * 1000:>14.2f} {cpu_final * 1000:>13.2f}"
            )
    shortest, longest = sizes[0], sizes[-1]
    for name in PATHS:
        ratios = []
        for kind, label in ((0, "wall"), (1, "CPU")):
            at_end = statistics.median(tenth(r[kind], last=True) for r in runs[(name, longest)])
            at_short = statistics.median(tenth(r[kind], last=True) for r in runs[(name, shortest)])
            ratios.append(f"{label} {at_end / at_short:.2f} ({at_end * 1000:.2f} ms/step at the end)")
        print(
            f"{name}: last 10% of {longest} steps / last 10% of {shortest} steps: "
            + "; ".join(ratios)
            + " (target <= 1.5 and < 10 ms)"
        )
    # The same comparison inside one session (same process, same minutes): around step 100
    # against the last 10%.
    window = slice(max(0, shortest - 50), shortest + 50)
    for name in PATHS:
        wall, cpu = runs[(name, longest)][0]
        parts = []
        for label, values in (("wall", wall), ("CPU", cpu)):
            early, late = values[window], values[-max(1, len(values) // 10) :]
            parts.append(
                f"{label} {statistics.fmean(early) * 1000:.2f} -> "
                f"{statistics.fmean(late) * 1000:.2f} ms/step "
                f"(ratio {statistics.fmean(late) / statistics.fmean(early):.2f})"
            )
        print(
            f"{name}, within one {longest}-step session, steps {window.start + 1}-{window.stop} -> last 10%: "
            + "; ".join(parts)
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
