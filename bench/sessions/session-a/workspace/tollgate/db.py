"""Database access.

Local development and the test-suite use sqlite (settings: database.url =
sqlite:///var/tollgate.sqlite3). Staging and prod use Postgres through psycopg;
the URL comes from TOLLGATE_DATABASE_URL and host/credentials from the libpq
PG* variables set by the deploy overlays.

Schema changes are applied to Postgres by the DBA team from migrations/*.sql.
ensure_local_schema() replays the same files into a local sqlite database so
that dev and tests see the same tables.
"""

import sqlite3
from pathlib import Path

from . import config

MIGRATIONS_DIR = config.ROOT / "migrations"


def connect(url=None):
    url = url or config.load().get("database", "url")
    if url.startswith("sqlite:///"):
        raw = url[len("sqlite:///"):]
        if raw == ":memory:":
            conn = sqlite3.connect(":memory:")
        else:
            path = Path(raw)
            if not path.is_absolute():
                path = config.ROOT / path
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path))
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
    if url.startswith("postgresql://"):
        import psycopg  # noqa: imported lazily, not needed for local dev
        from psycopg.rows import dict_row

        return psycopg.connect(url, row_factory=dict_row, autocommit=False)
    raise ValueError(f"unsupported database url: {url!r}")


def ensure_local_schema(conn):
    """Apply migrations/*.sql to a local sqlite db (dev/test only)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)")
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for sql_file in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if sql_file.stem in done:
            continue
        conn.executescript(sql_file.read_text(encoding="utf-8"))
        conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (sql_file.stem,))
    conn.commit()
    return conn


def memory_db():
    """A fresh in-memory database with the full schema (used by tests)."""
    return ensure_local_schema(connect("sqlite:///:memory:"))
