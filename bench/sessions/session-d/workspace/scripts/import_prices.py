#!/usr/bin/env python3
"""Regenerate config/prices.csv from the supplier's trade sheet.

    python3 scripts/import_prices.py [SHEET]

SHEET defaults to the latest sheet we were sent (kept out of git in vendor/
because the supplier's terms forbid redistributing it).  The supplier quotes
per pack of 1000 sheets (250 for boards over 300gsm); we store cost per sheet
after our trade discount, to four decimals.

Rows we do not stock are skipped; `KEEP` lists the supplier codes we map and
the code we use for them.
"""
import csv
import sys
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHEET = ROOT / "vendor" / "antalis_trade_2024-05.csv"
OUT = ROOT / "config" / "prices.csv"

TRADE_DISCOUNT = Decimal("0.185")
BOARD_GSM = 300          # boards are sold in packs of 250
LITHO_SIZES = {"SRA2", "B2"}
LITHO_MIN_GSM_SRA3 = 300  # heavy SRA3 goes on the litho press (digital feeder jams)

FIELDS = ["code", "description", "size", "gsm", "cost_per_sheet", "process", "supplier_ref"]


def process_for(size, gsm):
    if size in LITHO_SIZES:
        return "litho"
    if size == "SRA3" and gsm >= LITHO_MIN_GSM_SRA3:
        return "litho"
    return "digital"


def per_sheet(pack_price, gsm):
    pack = 250 if gsm > BOARD_GSM else 1000
    cost = Decimal(pack_price) * (1 - TRADE_DISCOUNT) / pack
    return cost.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def convert(rows):
    out = []
    for row in rows:
        code = row.get("our_code", "").strip()
        if not code:
            continue
        gsm = int(row["gsm"])
        out.append({
            "code": code,
            "description": row["description"].strip(),
            "size": row["size"],
            "gsm": gsm,
            "cost_per_sheet": per_sheet(row["pack_price"], gsm),
            "process": process_for(row["size"], gsm),
            "supplier_ref": row["supplier_ref"],
        })
    return sorted(out, key=lambda r: r["code"])


def main(argv):
    sheet = Path(argv[0]) if argv else DEFAULT_SHEET
    if not sheet.exists():
        print("import_prices: %s not found (supplier sheets live in vendor/, not in git)" % sheet,
              file=sys.stderr)
        return 1
    with open(sheet, encoding="utf-8", newline="") as fh:
        rows = convert(csv.DictReader(fh))
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print("import_prices: wrote %d stocks to %s" % (len(rows), OUT.relative_to(ROOT)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
