"""Message-bus client.

The house bus is a small line-based publish/subscribe broker (see docs/protocol.md).
Each line is ``<verb> <topic> <json-payload>``; verbs are AUTH, SUB, PUB, PING, PONG.
We keep our own minimal client rather than pulling in an MQTT library so that the
Pi needs nothing but the system Python.

The token for AUTH comes from the environment (never from the INI file, which is
readable by everyone on the Pi).
"""

import json
import logging
import os
import socket
import ssl
import time
from typing import Callable, Dict, List, Optional

log = logging.getLogger(__name__)

TOKEN_ENV = "HEARTHD_BUS_TOKEN"
RECONNECT_DELAY_S = 5.0
READ_TIMEOUT_S = 1.0


class BusError(Exception):
    pass


def encode(verb: str, topic: str, payload: Optional[dict] = None) -> bytes:
    if " " in topic or "\n" in topic:
        raise BusError("topic may not contain spaces or newlines: %r" % topic)
    body = json.dumps(payload if payload is not None else {}, separators=(",", ":"))
    return ("%s %s %s\n" % (verb, topic, body)).encode("utf-8")


def decode(line: bytes):
    text = line.decode("utf-8").rstrip("\n")
    parts = text.split(" ", 2)
    if len(parts) < 2:
        raise BusError("short line: %r" % text)
    verb, topic = parts[0], parts[1]
    payload = json.loads(parts[2]) if len(parts) == 3 and parts[2] else {}
    return verb, topic, payload


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT-style matching: ``+`` matches one level, ``#`` the rest."""
    p_parts, t_parts = pattern.split("/"), topic.split("/")
    for i, p in enumerate(p_parts):
        if p == "#":
            return True
        if i >= len(t_parts):
            return False
        if p != "+" and p != t_parts[i]:
            return False
    return len(p_parts) == len(t_parts)


class BusClient:
    def __init__(self, host: str, port: int, client_id: str, tls: bool = False,
                 keepalive_s: int = 30, prefix: str = "hearth",
                 connect: Callable = socket.create_connection):
        self.host = host
        self.port = port
        self.client_id = client_id
        self.tls = tls
        self.keepalive_s = keepalive_s
        self.prefix = prefix
        self._connect = connect
        self._sock = None
        self._buf = b""
        self._handlers: Dict[str, List[Callable[[str, dict], None]]] = {}
        self._last_io = 0.0
        self.connects = 0

    # -- connection ---------------------------------------------------------
    def _token(self) -> str:
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise BusError(f"{TOKEN_ENV} is not set; cannot authenticate to the bus")
        return token

    def connect(self) -> None:
        raw = self._connect((self.host, self.port), timeout=10)
        if self.tls:
            ctx = ssl.create_default_context()
            raw = ctx.wrap_socket(raw, server_hostname=self.host)
        raw.settimeout(READ_TIMEOUT_S)
        self._sock = raw
        self.connects += 1
        self._send("AUTH", self.client_id, {"token": self._token()})
        for pattern in self._handlers:
            self._send("SUB", pattern)
        log.info(f"connected to bus {self.host}:{self.port} as {self.client_id}")

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def run_forever(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Connect, dispatch messages, and reconnect after a fixed delay on errors."""
        while not stop():
            try:
                if self._sock is None:
                    self.connect()
                self.poll()
            except (OSError, BusError) as exc:
                log.warning(f"bus connection lost: {exc}; retrying in {RECONNECT_DELAY_S} s")
                self.close()
                time.sleep(RECONNECT_DELAY_S)

    # -- messages -----------------------------------------------------------
    def _send(self, verb: str, topic: str, payload: Optional[dict] = None) -> None:
        if self._sock is None:
            raise BusError("not connected")
        self._sock.sendall(encode(verb, topic, payload))
        self._last_io = time.monotonic()

    def subscribe(self, pattern: str, handler: Callable[[str, dict], None]) -> None:
        self._handlers.setdefault(pattern, []).append(handler)
        if self._sock is not None:
            self._send("SUB", pattern)

    def publish(self, topic: str, payload: dict) -> None:
        self._send("PUB", "%s/%s" % (self.prefix, topic), payload)

    def poll(self) -> int:
        """Read what is available and dispatch it; returns the number of messages."""
        try:
            chunk = self._sock.recv(65536)
        except socket.timeout:
            chunk = None
        if chunk == b"":
            raise BusError("broker closed the connection")
        if chunk:
            self._buf += chunk
            self._last_io = time.monotonic()
        n = 0
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            verb, topic, payload = decode(line + b"\n")
            if verb == "PING":
                self._send("PONG", topic)
                continue
            for pattern, handlers in self._handlers.items():
                if topic_matches(pattern, topic):
                    for h in handlers:
                        h(topic, payload)
            n += 1
        if time.monotonic() - self._last_io > self.keepalive_s:
            self._send("PING", self.client_id)
        return n
