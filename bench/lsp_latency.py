"""Cold start to the `initialize` reply and warm codeAction round trips: Cairn vs
jedi-language-server (a mature pygls server), measured alternately in the same run.

    python bench/lsp_latency.py [--starts 15] [--requests 200]

Prints median and p95 for each server and the ratios Cairn / jedi-language-server. The peer
comes from the `bench` extra (pip install -e ".[bench]").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOURCE = "import os\n\n\ndef add(a, b):\n    total = a + b\n    return total\n\n\nprint(add(1, 2), os.sep)\n"


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class Client:
    def __init__(self, command: list[str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def send(self, message: dict) -> None:
        self.process.stdin.write(frame(message))
        self.process.stdin.flush()

    def read(self) -> dict:
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.process.stdout.read(length))

    def request(self, msg_id: int, method: str, params: dict) -> dict:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == msg_id and "method" not in message:
                return message
            if "id" in message and "method" in message:  # answer server requests
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def close(self) -> None:
        try:
            self.request(999_999, "shutdown", None)
            self.send({"jsonrpc": "2.0", "method": "exit"})
            self.process.wait(timeout=5)
        except Exception:
            self.process.kill()


def initialize(client: Client, root: Path, options: dict | None = None) -> float:
    client.request(
        1,
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "initializationOptions": options or {},
            "capabilities": {
                "textDocument": {
                    "codeAction": {
                        "codeActionLiteralSupport": {
                            "codeActionKind": {"valueSet": ["", "quickfix", "refactor", "source"]}
                        }
                    }
                }
            },
        },
    )
    elapsed = time.perf_counter() - client.started
    client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    return elapsed


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def open_sample(client: Client, root: Path) -> dict:
    """Open sample.py in the server; the codeAction params every measurement sends."""
    uri = (root / "sample.py").as_uri()
    client.send(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
        }
    )
    return {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 17}},
        "context": {"diagnostics": []},
    }


def measure(command: list[str], root: Path, starts: int, requests: int) -> tuple[list[float], list[float]]:
    cold = []
    for _ in range(starts):
        client = Client(command)
        cold.append(initialize(client, root))
        client.close()
    client = Client(command)
    initialize(client, root)
    params = open_sample(client, root)
    for warmup in range(5):
        client.request(10 + warmup, "textDocument/codeAction", params)
    warm = []
    for index in range(requests):
        started = time.perf_counter()
        response = client.request(100 + index, "textDocument/codeAction", params)
        warm.append(time.perf_counter() - started)
        assert "result" in response, response
    client.close()
    return cold, warm


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=15)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    peer = shutil.which("jedi-language-server", path=str(Path(sys.executable).parent)) or shutil.which(
        "jedi-language-server"
    )
    if not peer:
        print("jedi-language-server is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    servers = {"cairn": [sys.executable, "-m", "cairn.server"], "jedi-language-server": [peer]}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sample.py").write_text(SOURCE)
        results = {
            name: measure(command, root, args.starts, args.requests) for name, command in servers.items()
        }

    print(
        f"cold start to initialize reply ({args.starts} starts each), warm codeAction ({args.requests} requests)"
    )
    print(f"{'server':<22} {'cold median':>12} {'cold p95':>9} {'warm median':>12} {'warm p95':>9}")
    rows = {}
    for name, (cold, warm) in results.items():
        rows[name] = (
            statistics.median(cold),
            percentile(cold, 0.95),
            statistics.median(warm),
            percentile(warm, 0.95),
        )
        cm, cp, wm, wp = rows[name]
        print(f"{name:<22} {cm * 1000:>10.1f}ms {cp * 1000:>7.1f}ms {wm * 1000:>10.2f}ms {wp * 1000:>7.2f}ms")
    ours, peer_row = rows["cairn"], rows["jedi-language-server"]
    print(
        "ratio cairn/jedi-ls     "
        + "  ".join(
            f"{label} {a / b:.2f}"
            for label, a, b in zip(("cold-median", "cold-p95", "warm-median", "warm-p95"), ours, peer_row)
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
