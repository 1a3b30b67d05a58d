"""SQLite persistence on the till.

One database file shared by the counter API (serve) and the cron jobs
(reminders, export).  Migrations are plain SQL keyed by version number.
"""
import sqlite3
from datetime import date

from .invoice import Invoice, InvoiceLine
from .money import D

SCHEMA_VERSION = 7

MIGRATIONS = {
    1: """CREATE TABLE invoices (
            number TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            issued TEXT NOT NULL,
            terms_days INTEGER NOT NULL DEFAULT 30
        )""",
    2: """CREATE TABLE lines (
            invoice TEXT NOT NULL REFERENCES invoices(number),
            pos INTEGER NOT NULL,
            description TEXT NOT NULL,
            quantity TEXT NOT NULL,
            unit_price TEXT NOT NULL,
            PRIMARY KEY (invoice, pos)
        )""",
    3: "ALTER TABLE lines ADD COLUMN tax_code TEXT NOT NULL DEFAULT 'T1'",
    4: """CREATE TABLE payments (
            invoice TEXT NOT NULL REFERENCES invoices(number),
            paid_on TEXT NOT NULL,
            amount TEXT NOT NULL
        )""",
    5: "ALTER TABLE lines ADD COLUMN nominal TEXT NOT NULL DEFAULT 'print'",
    6: "CREATE INDEX idx_invoices_customer ON invoices(customer_id)",
    7: """CREATE TABLE reminders_sent (
            invoice TEXT NOT NULL REFERENCES invoices(number),
            n INTEGER NOT NULL,
            sent_on TEXT NOT NULL,
            PRIMARY KEY (invoice, n)
        )""",
}


def connect(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def current_version(conn):
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn):
    version = current_version(conn)
    for v in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute(MIGRATIONS[v])
        conn.execute("PRAGMA user_version=%d" % v)
    conn.commit()
    return current_version(conn)


def save_invoice(conn, invoice):
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO invoices (number, customer_id, issued, terms_days) VALUES (?, ?, ?, ?)",
            (invoice.number, invoice.customer_id, invoice.issued.isoformat(), invoice.terms_days),
        )
        conn.execute("DELETE FROM lines WHERE invoice = ?", (invoice.number,))
        for pos, line in enumerate(invoice.lines):
            conn.execute(
                "INSERT INTO lines (invoice, pos, description, quantity, unit_price, tax_code, nominal)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (invoice.number, pos, line.description, str(line.quantity), str(line.unit_price),
                 line.tax_code, line.nominal),
            )


def record_payment(conn, number, paid_on, amount):
    with conn:
        conn.execute("INSERT INTO payments (invoice, paid_on, amount) VALUES (?, ?, ?)",
                     (number, paid_on.isoformat(), str(D(amount))))


def load_invoice(conn, number):
    row = conn.execute("SELECT * FROM invoices WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise KeyError(number)
    lines = [
        InvoiceLine(r["description"], r["quantity"], r["unit_price"], r["tax_code"], r["nominal"])
        for r in conn.execute("SELECT * FROM lines WHERE invoice = ? ORDER BY pos", (number,))
    ]
    pays = conn.execute("SELECT paid_on, amount FROM payments WHERE invoice = ? ORDER BY paid_on",
                        (number,)).fetchall()
    paid = sum((D(p["amount"]) for p in pays), D("0"))
    inv = Invoice(row["number"], row["customer_id"], date.fromisoformat(row["issued"]), lines,
                  row["terms_days"], amount_paid=paid)
    if pays and paid >= inv.gross_total():
        inv.paid_on = date.fromisoformat(pays[-1]["paid_on"])
    return inv
