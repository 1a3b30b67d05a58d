"""Counter API used by the tablet at the front desk.

Tiny JSON-over-HTTP service built on http.server; it only has to serve one
tablet on the shop LAN.  Routing is a plain function so tests do not need a
socket.
"""
import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import pricing
from .money import format_gbp

log = logging.getLogger(__name__)

API_PREFIX = "/api/v2/counter"


def route(method, path, body=None, stocks=None):
    """Return (status, payload) for a request."""
    if method == "GET" and path == API_PREFIX + "/health":
        return 200, {"ok": True}
    if method == "GET" and path == API_PREFIX + "/stocks":
        stocks = stocks if stocks is not None else pricing.load_price_list()
        return 200, {"stocks": [
            {"code": s.code, "description": s.description, "size": s.size, "gsm": s.gsm}
            for s in stocks.values()
        ]}
    if method == "POST" and path == API_PREFIX + "/quote":
        try:
            req = json.loads(body or b"{}")
            quote = pricing.quote_job(
                req["stock"], int(req["sheets"]), req.get("colours", "4/0"),
                tuple(req.get("finishing", ())), stocks=stocks,
            )
        except (KeyError, ValueError) as exc:
            return 400, {"error": str(exc)}
        return 200, {
            "net": str(quote.net),
            "display": format_gbp(quote.net),
            "minimum_applied": quote.minimum_applied,
            "lines": [{"description": l.description, "net": str(l.net)} for l in quote.lines],
        }
    return 404, {"error": "no route for %s %s" % (method, path)}


class CounterHandler(BaseHTTPRequestHandler):
    server_version = "inkledger-counter"

    def _send(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(*route("GET", self.path))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        self._send(*route("POST", self.path, body))

    def log_message(self, fmt, *args):
        log.info("%s " + fmt, self.client_address[0], *args)


def serve(settings):
    httpd = ThreadingHTTPServer((settings.counter_bind, settings.counter_port), CounterHandler)
    log.info("counter API listening on %s:%d", settings.counter_bind, settings.counter_port)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
