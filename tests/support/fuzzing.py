"""Protocol fuzzing shared by the test suite (small counts) and bench/fuzz.py (10,000+).

A real server process receives hypothesis-generated streams: structured JSON-RPC messages
(random methods from the LSP spec, random and mutated params, invalid envelopes and ids) and
raw bytes (random bodies, hostile headers). After every batch a probe request must be answered.
Requests with a valid, unique id are accounted for: each must get exactly one response (R1, R2).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from lsprotocol.types import METHOD_TO_TYPES

SKIPPED_METHODS = {"exit", "shutdown", "initialize"}  # they end or restart the session
METHODS = sorted(m for m in METHOD_TO_TYPES if m not in SKIPPED_METHODS) + [
    "cairn/unknown",
    "workspace/executeCommand",
    "$/cancelRequest",
    "$/setTrace",
]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False), st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

positions = st.fixed_dictionaries(
    {
        "line": st.one_of(st.integers(-5, 10**6), json_scalars),
        "character": st.one_of(st.integers(-5, 10**6), json_scalars),
    }
)
plausible_params = st.fixed_dictionaries(
    {},
    optional={
        "textDocument": st.one_of(
            st.fixed_dictionaries(
                {"uri": st.sampled_from(["file:///tmp/fuzz.py", "file:///%00", "untitled:x", "::"])},
                optional={
                    "version": st.integers(-1, 5),
                    "text": st.text(max_size=50),
                    "languageId": st.just("python"),
                },
            ),
            json_values,
        ),
        "position": positions,
        "range": st.fixed_dictionaries({"start": positions, "end": positions}),
        "context": st.fixed_dictionaries(
            {},
            optional={
                "diagnostics": st.lists(json_values, max_size=2),
                "only": st.lists(st.text(max_size=12), max_size=2),
            },
        ),
        "contentChanges": st.lists(
            st.fixed_dictionaries(
                {"text": st.text(max_size=20)},
                optional={"range": st.fixed_dictionaries({"start": positions, "end": positions})},
            ),
            max_size=3,
        ),
        "command": st.sampled_from(["cairn.status", "cairn.nope", "cairn.debug.raise"]),
        "arguments": st.one_of(st.lists(json_values, max_size=2), json_values),
        "id": st.one_of(st.integers(0, 50), st.text(max_size=5)),
        "token": st.one_of(st.integers(0, 5), st.text(max_size=5)),
        "settings": json_values,
    },
)


@dataclass
class Message:
    data: bytes
    request_id: str | None = None  # a valid unique id that must get exactly one response


def _encode(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


@st.composite
def structured(draw: st.DrawFn, ids: itertools.count) -> Message:
    method = draw(st.one_of(st.sampled_from(METHODS), st.text(max_size=20)))
    params = draw(st.one_of(plausible_params, json_values))
    shape = draw(
        st.sampled_from(["request", "request", "notification", "bad-id", "bad-envelope", "response"])
    )
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    request_id = None
    if shape == "request":
        request_id = f"fz-{next(ids)}"
        message["id"] = request_id
    elif shape == "bad-id":
        message["id"] = draw(
            st.one_of(
                st.none(),
                st.floats(allow_nan=False),
                st.booleans(),
                st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            )
        )
    elif shape == "bad-envelope":
        message = draw(
            st.dictionaries(
                st.sampled_from(["jsonrpc", "id", "method", "params", "result", "error"]),
                json_values,
                max_size=5,
            )
        )
    elif shape == "response":
        message = {
            "jsonrpc": "2.0",
            "id": draw(st.one_of(st.integers(0, 100), st.text(max_size=8))),
            draw(st.sampled_from(["result", "error"])): draw(json_values),
        }
    return Message(_frame(_encode(message)), request_id)


@st.composite
def raw(draw: st.DrawFn) -> Message:
    kind = draw(st.sampled_from(["random-body", "random-bytes", "bad-length", "huge-length", "not-json"]))
    if kind == "random-body":
        return Message(_frame(draw(st.binary(max_size=200))))
    if kind == "random-bytes":
        return Message(draw(st.binary(max_size=300)) + b"\r\n")
    if kind == "bad-length":
        value = draw(st.sampled_from([b"-1", b"abc", b"", b"1e3", b"0x10", b"99999999999999999999999"]))
        return Message(b"Content-Length: " + value + b"\r\n\r\n{}")
    if kind == "huge-length":
        # above the server's 64 MiB limit: a smaller declared length legitimately waits for its bytes
        return Message(b"Content-Length: %d\r\n\r\n" % draw(st.integers(2**26 + 1, 2**40)))
    return Message(_frame(draw(st.text(max_size=80)).encode("utf-8", "surrogatepass")))


class FuzzServer:
    """The server under fuzz, with a strict reader thread on its stdout."""

    def __init__(self, command: list[str], root: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # both piped above
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        self.responses: dict[Any, int] = {}
        self.error_popups: list[float] = []
        self.framing_errors: list[str] = []
        self._probes: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.send(
            _frame(
                _encode(
                    {
                        "jsonrpc": "2.0",
                        "id": "init",
                        "method": "initialize",
                        "params": {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}},
                    }
                )
            )
        )
        self.wait_for("init", 20)
        self.send(_frame(_encode({"jsonrpc": "2.0", "method": "initialized", "params": {}})))

    def _read(self) -> None:
        stream = self.stdout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                byte = stream.read(1)
                if not byte:
                    return
                header += byte
            lines = [line for line in header.decode("ascii", "replace").split("\r\n") if line]
            lengths = [
                int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
            ]
            if len(lengths) != 1:
                self.framing_errors.append(header.decode("ascii", "replace"))
                return
            message = json.loads(stream.read(lengths[0]))
            if "id" in message and "method" not in message:
                with self._lock:
                    self.responses[message["id"]] = self.responses.get(message["id"], 0) + 1
                self._probes.put(message["id"])
            elif message.get("method") == "window/showMessage" and message["params"].get("type") == 1:
                self.error_popups.append(time.monotonic())
            elif "id" in message and "method" in message:  # a request to the client: answer it
                self.send(_frame(_encode({"jsonrpc": "2.0", "id": message["id"], "result": None})))

    def send(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def wait_for(self, msg_id: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self.responses.get(msg_id):
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                raise AssertionError(f"no response to {msg_id!r} (server exit code {self.process.poll()})")
            try:
                self._probes.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                pass

    def close(self) -> int | None:
        try:
            self.send(_frame(_encode({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})))
            self.wait_for("bye", 10)
            self.send(_frame(_encode({"jsonrpc": "2.0", "method": "exit"})))
            return self.process.wait(timeout=5)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@dataclass
class FuzzReport:
    seed: int
    messages: int = 0
    requests: int = 0
    probes: int = 0
    crashes: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    error_popups: int = 0
    framing_errors: int = 0
    exit_code: int | None = None
    seconds: float = 0.0


def run_fuzz(
    seed_value: int, messages: int, root: Path, command: list[str], probe_every: int = 100
) -> FuzzReport:
    """Send ``messages`` generated messages (one hypothesis example each), probing every
    ``probe_every`` messages and once at the end."""
    report = FuzzReport(seed=seed_value)
    ids = itertools.count()
    server = FuzzServer(command, root)
    started = time.monotonic()
    expected: list[str] = []

    def probe() -> None:
        probe_id = f"probe-{report.probes}"
        server.send(
            _frame(
                _encode(
                    {
                        "jsonrpc": "2.0",
                        "id": probe_id,
                        "method": "workspace/executeCommand",
                        "params": {"command": "cairn.status"},
                    }
                )
            )
        )
        server.wait_for(probe_id, 20)
        report.probes += 1

    @seed(seed_value)
    @settings(
        max_examples=messages,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(st.one_of(structured(ids), structured(ids), raw()))
    def one_message(message: Message) -> None:
        server.send(message.data)
        report.messages += 1
        if message.request_id:
            expected.append(message.request_id)
        if report.messages % probe_every == 0:
            probe()

    try:
        one_message()
        probe()
    finally:
        time.sleep(0.5)  # let stragglers (slow handlers) answer before accounting
        report.requests = len(expected)
        report.missing = [i for i in expected if not server.responses.get(i)]
        report.duplicated = [
            str(i) for i, n in server.responses.items() if n > 1 and str(i).startswith(("fz-", "probe-"))
        ]
        report.error_popups = len(server.error_popups)
        report.framing_errors = len(server.framing_errors)
        report.seconds = time.monotonic() - started
        report.crashes += server.process.poll() is not None
        report.exit_code = server.close() if server.process.poll() is None else server.process.returncode
    return report


def debug_server_command() -> list[str]:
    return [sys.executable, str(Path(__file__).with_name("debug_server.py"))]
