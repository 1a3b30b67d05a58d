"""Tracking API - plain WSGI, served by gunicorn in staging/prod:

    gunicorn -w 4 -b 0.0.0.0:8080 'tollgate.tracking.api:make_app()'

Routes
    GET /healthz                          liveness probe
    GET /v1/shipments/{ref}               shipment summary + last event
    GET /v1/shipments/{ref}/events        full scan history, oldest first

{ref} is our public id (TG-000123) or the carrier's reference.
For local development: python3 -m tollgate.tracking.api [--port 8080]
"""

import argparse
import json
import re
import sys
from wsgiref.simple_server import make_server

from .. import __version__, config, db
from . import serializers, store

ROUTES = []


def route(pattern):
    def register(fn):
        ROUTES.append((re.compile(f"^{pattern}$"), fn))
        return fn
    return register


class HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _json(start_response, status, payload):
    body = json.dumps(payload, separators=(",", ":")).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@route(r"/healthz")
def healthz(conn, environ):
    return {"status": "ok", "version": __version__}


@route(r"/v1/shipments/(?P<ref>[A-Za-z0-9-]+)")
def get_shipment(conn, environ, ref):
    shipment = store.find_shipment(conn, ref)
    if shipment is None:
        raise HTTPError("404 Not Found", f"no shipment {ref}")
    return serializers.shipment_to_dict(shipment, store.last_event(conn, shipment["id"]))


@route(r"/v1/shipments/(?P<ref>[A-Za-z0-9-]+)/events")
def get_events(conn, environ, ref):
    shipment = store.find_shipment(conn, ref)
    if shipment is None:
        raise HTTPError("404 Not Found", f"no shipment {ref}")
    events = store.list_events(conn, shipment["id"])
    return {
        "shipment": store.public_id(shipment["id"]),
        "count": len(events),
        "events": [serializers.event_to_dict(e) for e in events],
    }


def make_app(conn_factory=None):
    conn_factory = conn_factory or db.connect

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] != "GET":
            return _json(start_response, "405 Method Not Allowed", {"error": "GET only"})
        path = environ.get("PATH_INFO", "/")
        for pattern, handler in ROUTES:
            m = pattern.match(path)
            if not m:
                continue
            conn = conn_factory()
            try:
                return _json(start_response, "200 OK", handler(conn, environ, **m.groupdict()))
            except HTTPError as exc:
                return _json(start_response, exc.status, {"error": exc.message})
            finally:
                if conn_factory is db.connect:
                    conn.close()
        return _json(start_response, "404 Not Found", {"error": f"no route for {path}"})

    return app


def main(argv=None):
    settings = config.load()
    ap = argparse.ArgumentParser(prog="tollgate.tracking.api")
    ap.add_argument("--port", type=int, default=settings.getint("api", "port", 8080))
    args = ap.parse_args(argv)
    with make_server("127.0.0.1", args.port, make_app()) as httpd:
        print(f"tracking api on http://127.0.0.1:{args.port}")
        httpd.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
