#!/usr/bin/env python3
"""Call the tracking API in-process (no server needed) and pretty-print the JSON.

    python3 scripts/api_get.py /v1/shipments/TG-000042/events --db var/bench.sqlite3
"""

import argparse
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tollgate import db  # noqa: E402
from tollgate.tracking.api import make_app  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("path", help="path with optional query string")
    ap.add_argument("--db", default="var/tollgate.sqlite3")
    ap.add_argument("--max-items", type=int, default=3, help="truncate lists in the printout")
    args = ap.parse_args(argv)
    path, _, query = args.path.partition("?")
    url = f"sqlite:///{Path(args.db).resolve()}"
    app = make_app(lambda: db.connect(url))
    status = {}
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, lambda s, h: status.setdefault("s", s)))
    payload = json.loads(body)
    for key, value in payload.items():
        if isinstance(value, list) and len(value) > args.max_items:
            payload[key] = value[: args.max_items] + [f"... {len(value) - args.max_items} more"]
    print(status["s"])
    print(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
