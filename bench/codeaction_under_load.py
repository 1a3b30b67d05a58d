"""codeAction latency while an agent run is streaming, as a ratio to idle, in the same run.

The real server runs with the scripted model; one chat streams a long answer (thousands of
`cairn/stream` notifications, progress reports, SQLite writes) while code actions are requested
back to back. Idle latency is measured in the same process just before.

    python bench/codeaction_under_load.py [--requests 300] [--chunks 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lsp_latency import SOURCE, Client, initialize, open_sample, percentile  # noqa: E402


class ThreadedClient(Client):
    """Reads on a thread, so requests can be timed while notifications pour in."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        import subprocess

        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._lock = threading.Lock()
        self._responses: dict[object, threading.Event] = {}
        self._results: dict[object, dict] = {}
        self.notifications = 0
        self.stream_done = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                message = Client.read(self)
            except RuntimeError:
                return
            if "method" in message and "id" in message:  # progress create etc.
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications += 1
                params = message.get("params") or {}
                if message["method"] == "cairn/stream" and params.get("kind") == "done":
                    self.stream_done.set()
            else:
                with self._lock:
                    self._results[message["id"]] = message
                    event = self._responses.get(message["id"])
                if event:
                    event.set()

    def request(self, msg_id, method, params):  # noqa: ANN001, ANN201
        event = threading.Event()
        with self._lock:
            self._responses[msg_id] = event
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        if not event.wait(60):
            raise TimeoutError(f"no response to {method}")
        with self._lock:
            return self._results.pop(msg_id)


def measure(
    client: ThreadedClient, params: dict, count: int, first_id: int, until: threading.Event | None = None
) -> list[float]:
    """``count`` round trips, or as many as fit before ``until`` is set (at most ``count``)."""
    timings = []
    for index in range(count):
        if until is not None and until.is_set():
            break
        started = time.perf_counter()
        response = client.request(first_id + index, "textDocument/codeAction", params)
        timings.append(time.perf_counter() - started)
        assert "result" in response, response
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--chunks", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        (root / "sample.py").write_text(SOURCE)
        turns = Path(tmp) / "turns.json"
        # distinct chunks: litellm aborts a stream that repeats one chunk 100 times (loop guard)
        turns.write_text(json.dumps([{"chunks": [f"t{i} " for i in range(args.chunks)], "delay": 0.001}]))
        env = {
            **os.environ,
            "CAIRN_MODEL": "scripted/bench",
            "CAIRN_SCRIPT": str(turns),
            "CAIRN_DATA_DIR": str(Path(tmp) / "data"),
            "CAIRN_NO_WARMUP": "1",
        }
        client = ThreadedClient([sys.executable, "-m", "cairn.server"], env)
        initialize(client, root, {"streamNotifications": True})  # as the Cairn clients do
        params = open_sample(client, root)
        measure(client, params, 20, 10)  # warm up
        idle = measure(client, params, args.requests, 1000)
        client.send(
            {
                "jsonrpc": "2.0",
                "id": "chat",
                "method": "workspace/executeCommand",
                "params": {
                    "command": "cairn.chat",
                    "arguments": [{"prompt": "Talk for a while", "streamId": "load"}],
                },
            }
        )
        while client.notifications < 50:  # the stream has started
            time.sleep(0.01)
        before = client.notifications
        loaded = measure(client, params, 20 * args.requests, 100_000, until=client.stream_done)
        during = client.notifications - before
        still_streaming = not client.stream_done.is_set()
        client.stream_done.wait(120)
        with client._lock:
            chat = client._results.get("chat")  # answered at once, before the stream started
        client.close()
    if not chat or chat.get("result", {}).get("status") != "started" or not client.stream_done.is_set():
        print(f"the streaming chat did not complete: {chat}", file=sys.stderr)
        return 1

    print(
        f"codeAction round trips: {len(idle)} idle, {len(loaded)} while a chat streamed "
        f"({during} notifications from the server during them; stream still running at the end: "
        f"{still_streaming})"
    )
    print(f"{'state':<10} {'median':>9} {'p95':>9}")
    rows = {"idle": idle, "streaming": loaded}
    for name, values in rows.items():
        print(
            f"{name:<10} {statistics.median(values) * 1000:>7.2f}ms {percentile(values, 0.95) * 1000:>7.2f}ms"
        )
    print(
        f"ratio streaming/idle: median {statistics.median(loaded) / statistics.median(idle):.2f}, "
        f"p95 {percentile(loaded, 0.95) / percentile(idle, 0.95):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
