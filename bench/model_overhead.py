"""Per-call overhead of the litellm path, measured with the scripted model.

Baseline: the scripted provider's own work for one streamed reply (pick the turn, build the
chunks) called directly. Measured: the same reply through ``ModelClient.reply`` - litellm's
acompletion, its stream wrapper, our stream reader and retry layer - and, to split the cost,
through a bare ``litellm.acompletion`` stream. All run in this process, in this run, so the
ratios are comparable across machines; absolute times are printed for context.

    python bench/model_overhead.py [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from cairn.server.agent.model import ModelClient, ModelConfig, load_litellm
from cairn.server.agent.testing import ScriptedModel, _play, _stream_events

TURN = {"chunks": ["The ", "answer ", "is ", "42."], "usage": {"prompt_tokens": 12, "completion_tokens": 4}}
MESSAGES = [{"role": "user", "content": "What is the answer?"}]


def direct_once(litellm) -> None:
    turn = _play("bench", MESSAGES, {"max_tokens": 4096})
    for _kind, _value in _stream_events(litellm, turn, "bench"):
        pass


async def measure(calls: int) -> dict[str, float]:
    litellm = load_litellm()
    client = ModelClient(ModelConfig(model="scripted/bench"))
    with ScriptedModel(callback=lambda request: TURN):
        await client.reply(MESSAGES)  # warm-up: provider registration, first-call caches
        direct = []
        for _ in range(calls):
            started = time.perf_counter()
            direct_once(litellm)
            direct.append(time.perf_counter() - started)
        bare = []
        for _ in range(calls):
            started = time.perf_counter()
            stream = await litellm.acompletion(
                model="scripted/bench", messages=MESSAGES, stream=True, max_tokens=4096
            )
            async for _chunk in stream:
                pass
            bare.append(time.perf_counter() - started)
        through = []
        for _ in range(calls):
            started = time.perf_counter()
            await client.reply(MESSAGES)
            through.append(time.perf_counter() - started)
    return {
        "direct_ms": statistics.median(direct) * 1e3,
        "bare_ms": statistics.median(bare) * 1e3,
        "litellm_ms": statistics.median(through) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.calls))
    print(f"calls per variant:            {args.calls}")
    print(f"direct scripted turn (median): {figures['direct_ms']:.3f} ms")
    print(f"bare litellm.acompletion stream: {figures['bare_ms']:.3f} ms")
    print(f"ModelClient.reply via litellm: {figures['litellm_ms']:.3f} ms")
    print(f"overhead per call:             {figures['litellm_ms'] - figures['direct_ms']:.3f} ms")
    print(f"ratio litellm path / direct:   {figures['litellm_ms'] / figures['direct_ms']:.1f}x")
    print(f"ratio ModelClient / bare litellm: {figures['litellm_ms'] / figures['bare_ms']:.2f}x")
    print(f"load average (1 min):          {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
