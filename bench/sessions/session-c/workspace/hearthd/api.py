"""HTTP API for the wall tablet.

Routes (all GET, all JSON):

``/status``   house name, version, away flag, boiler state
``/zones``    per-zone temperature, target and heater state
``/devices``  the registry with ``last_seen`` per device
``/history``  ``?device=<id>&hours=<n>`` readings for the graph

When ``[api] require_key`` is on, every request must carry the key from the
``HEARTHD_API_KEY`` environment variable in the ``X-Hearth-Key`` header.
"""

import hmac
import json
import logging
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, Tuple
from urllib.parse import parse_qs, urlparse

from . import __version__

log = logging.getLogger(__name__)

KEY_HEADER = "X-Hearth-Key"
KEY_ENV = "HEARTHD_API_KEY"
MAX_HISTORY_HOURS = 24 * 14


class ApiState:
    """What the handlers need; filled in by the daemon."""

    def __init__(self, house: str, registry, store, zone_view: Callable[[], Dict],
                 require_key: bool = True, cors_origin: str = ""):
        self.house = house
        self.registry = registry
        self.store = store
        self.zone_view = zone_view
        self.require_key = require_key
        self.cors_origin = cors_origin
        self.away = False
        self.boiler_on = False


def check_key(headers, require_key: bool) -> bool:
    if not require_key:
        return True
    expected = os.environ.get(KEY_ENV, "")
    given = headers.get(KEY_HEADER, "")
    return bool(expected) and hmac.compare_digest(expected, given)


def route(state: ApiState, path: str) -> Tuple[int, dict]:
    """Pure routing function, used by the handler and by the tests."""
    url = urlparse(path)
    q = parse_qs(url.query)
    if url.path == "/status":
        return 200, {"house": state.house, "version": __version__,
                     "away": state.away, "boiler_on": state.boiler_on}
    if url.path == "/zones":
        return 200, {"zones": state.zone_view()}
    if url.path == "/devices":
        out = []
        for d in state.registry:
            out.append({"id": d.id, "kind": d.kind, "zone": d.zone, "enabled": d.enabled,
                        "last_seen": state.store.last_seen(d.id) if state.store else None})
        return 200, {"devices": out}
    if url.path == "/history":
        device = (q.get("device") or [""])[0]
        try:
            hours = int((q.get("hours") or ["24"])[0])
        except ValueError:
            return 400, {"error": "hours must be an integer"}
        if not device:
            return 400, {"error": "device is required"}
        hours = max(1, min(hours, MAX_HISTORY_HOURS))
        since = int(time.time()) - hours * 3600
        rows = state.store.history(device, since) if state.store else []
        return 200, {"device": device, "points": [[ts, v] for ts, v in rows]}
    return 404, {"error": "not found"}


def make_handler(state: ApiState):
    class Handler(BaseHTTPRequestHandler):
        server_version = "hearthd/" + __version__

        def log_message(self, fmt, *args):
            log.debug("api: " + fmt, *args)

        def _send(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if state.cors_origin:
                self.send_header("Access-Control-Allow-Origin", state.cors_origin)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if not check_key(self.headers, state.require_key):
                self._send(401, {"error": "missing or wrong %s" % KEY_HEADER})
                return
            code, body = route(state, self.path)
            self._send(code, body)

    return Handler


def serve(state: ApiState, host: str, port: int) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer((host, port), make_handler(state))
    log.info(f"API listening on http://{host}:{port}")
    return httpd
