"""Speed of the embedded model: load time, prompt and generation tokens/s (0.5B, 1.5B if installed).

Runs the real runtime (the code the provider uses) in this process. Each repetition uses a
prompt with a unique first line so llama.cpp's prefix cache cannot skip the prompt. The load
average is printed because other processes on a shared 2-core machine slow llama.cpp a lot.

    python bench/model_local.py [--repeats 3] [--gen-tokens 128] [--models 0.5b,1.5b]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from cairn.server.agent.local.catalog import LOCAL_MODELS, installed_local_models
from cairn.server.agent.local.runtime import Generation, LocalRuntime
from cairn.server.agent.local.weights import ensure_weights

CODE = "\n".join(f"def function_{i}(x):\n    return x * {i} + {i % 7}\n" for i in range(40))


def one_run(runtime: LocalRuntime, tag: int, gen_tokens: int) -> tuple[float, float, int, int]:
    """(prompt tok/s, generation tok/s, prompt tokens, generated tokens) of one generation."""
    messages = [
        {"role": "system", "content": f"Run {tag}. You are a careful code reviewer."},
        {"role": "user", "content": f"Review this module in detail:\n{CODE}"},
    ]
    request = Generation(messages=messages, max_tokens=gen_tokens)
    started = time.perf_counter()
    first = None
    for chunk in runtime.stream(request):
        if first is None and chunk["choices"][0].get("delta", {}).get("content"):
            first = time.perf_counter()
    ended = time.perf_counter()
    if first is None:
        raise RuntimeError("the model streamed no text")
    stats = request.stats
    prompt_rate = stats.prompt_tokens / (first - started)
    gen_rate = (stats.completion_tokens - 1) / (ended - first) if ended > first else 0.0
    return prompt_rate, gen_rate, stats.prompt_tokens, stats.completion_tokens


def bench(spec, repeats: int, gen_tokens: int) -> None:
    started = time.perf_counter()
    path = ensure_weights(spec)
    verify_s = time.perf_counter() - started
    runtime = LocalRuntime(spec)
    started = time.perf_counter()
    runtime.load()
    load_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = [one_run(runtime, tag, gen_tokens) for tag in range(repeats)]
    print(f"model:                  {spec.litellm_model} ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"threads:                {runtime.n_threads}")
    print(f"weights ready:          {verify_s:.2f} s (assembly + sha256 on the first run only)")
    print(f"load time:              {load_s:.2f} s")
    print(f"process peak RSS:       {rss_mb:.0f} MB (cumulative over the models loaded so far)")
    print(f"prompt tokens per run:  {runs[0][2]}; generated: {', '.join(str(r[3]) for r in runs)}")
    print(
        f"prompt tok/s (median):  {statistics.median(r[0] for r in runs):.1f} "
        f"(runs: {', '.join(f'{r[0]:.0f}' for r in runs)})"
    )
    print(
        f"generation tok/s (med): {statistics.median(r[1] for r in runs):.1f} "
        f"(runs: {', '.join(f'{r[1]:.1f}' for r in runs)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument(
        "--models", default="0.5b,1.5b", help="comma-separated size tags to include when installed"
    )
    args = parser.parse_args()
    wanted = [tag.strip() for tag in args.models.split(",") if tag.strip()]
    installed = {spec.litellm_model for spec in installed_local_models()}
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
    for spec in LOCAL_MODELS:
        if not any(spec.name.endswith(tag) for tag in wanted):
            continue
        if spec.litellm_model not in installed:
            print(f"model:                  {spec.litellm_model}: not installed, skipped")
            continue
        bench(spec, args.repeats, args.gen_tokens)
    print(f"load average (1 min) at end:   {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
