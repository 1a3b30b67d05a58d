"""Cost of the tools' safety: confined reads, ignore-aware walks, search and sandboxed commands,
each against a plain baseline measured in the same run (ratios; medians of --repeat runs).

Usage: python bench/tools_speed.py [--files 3000] [--repeat 5] [--commands 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cairn import sandbox
from cairn.server.agent.tools import search
from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.ignore import visible_entries
from cairn.server.agent.tools.process import run_process, scrubbed_environment
from cairn.server.agent.tools.shell import shell_program

LINE = "def function_{i}(value):  # a line of ordinary source text\n"


def build_tree(root: Path, files: int) -> list[str]:
    """``files`` source files four levels deep plus an ignored build/ of a third as many."""
    rels = []
    for i in range(files):
        rel = f"pkg{i % 7}/mod{i % 11}/sub{i % 5}/file_{i}.py"
        rels.append(rel)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(LINE.format(i=j) for j in range(40))
        path.write_text(body + ("needle_here = 1\n" if i % 50 == 0 else ""))
    (root / "build").mkdir()
    for i in range(files // 3):
        (root / "build" / f"out_{i}.js").write_text("needle_here\n" * 20)
    (root / ".gitignore").write_text("build/\n")
    return rels


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(name: str, ours: float, baseline: float, unit: str) -> None:
    print(
        f"{name:<34} ours {ours * 1000:8.1f} ms   baseline {baseline * 1000:8.1f} ms   "
        f"ratio {ours / baseline:5.2f}x   ({unit})"
    )


def bench_files(root: Path, rels: list[str], repeat: int) -> None:
    with ConfinedWorkspace(root) as ws:
        report(
            "read every file",
            median_seconds(lambda: [ws.read_bytes(r, 1 << 20) for r in rels], repeat),
            median_seconds(lambda: [(root / r).read_bytes() for r in rels], repeat),
            f"{len(rels)} files; baseline: open().read()",
        )
        report(
            "walk honouring .gitignore",
            median_seconds(lambda: list(visible_entries(ws, ".")), repeat),
            median_seconds(lambda: list(os.walk(root)), repeat),
            "baseline: os.walk, no ignore rules, build/ included",
        )
        stop = threading.Event()
        matcher = search.compile_matcher("needle_here", regex=False, ignore_case=False)
        ours = median_seconds(
            lambda: search.search_workspace(
                ws,
                ".",
                matcher,
                search.glob_filter(None),
                buffers={},
                max_results=10_000,
                respect_ignore=True,
                stop=stop,
            ),
            repeat,
        )

    pattern = re.compile("needle_here")

    def naive() -> list[tuple[str, int]]:
        hits = []
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", "build")]
            for name in names:
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    hits += [(path, n) for n, line in enumerate(f, 1) if pattern.search(line)]
        return hits

    report(
        "search (literal)",
        ours,
        median_seconds(naive, repeat),
        "baseline: os.walk skipping build/ + line regex",
    )


async def bench_commands(root: Path, count: int) -> None:
    env = scrubbed_environment(os.environ)
    abi = sandbox.landlock_abi()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        argv = sandbox.helper_argv(
            shell_program("true"), landlock=abi >= 1, writable=[str(root), "/tmp", "/dev/null"], cwd_fd=fd
        )

        async def ours() -> None:
            await run_process(argv, env=env, timeout=30, pass_fds=(fd,))

        async def plain() -> None:
            proc = await asyncio.create_subprocess_exec(*shell_program("true"), cwd=root)
            await proc.wait()

        timings = {}
        for name, work in (("ours", ours), ("plain", plain)):
            samples = []
            for _ in range(count):
                started = time.perf_counter()
                await work()
                samples.append(time.perf_counter() - started)
            timings[name] = statistics.median(samples)
    finally:
        os.close(fd)
    sandbox_state = f"Landlock ABI {abi}" if abi else "no Landlock"
    report(
        "run `true` (helper + sandbox)",
        timings["ours"],
        timings["plain"],
        f"{count} runs, {sandbox_state}; baseline: bare bash subprocess",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--commands", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cairn-tools-bench-") as tmp:
        root = Path(tmp)
        rels = build_tree(root, args.files)
        bench_files(root, rels, args.repeat)
        asyncio.run(bench_commands(root, args.commands))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
