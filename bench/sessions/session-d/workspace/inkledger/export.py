"""Accountant export: Sage 50 audit-trail CSV for Ledgerline.

One row per invoice line.  Column names and order are fixed by Ledgerline's
import template (docs/ACCOUNTANT.md); do not reorder them.
"""
import csv
import logging

from .money import quantize

log = logging.getLogger(__name__)

NOMINAL_PRINT_SALES = "4020-PRT"
NOMINAL_FINISHING = "4030-FIN"
NOMINAL_SETUP = "4040-SET"
NOMINAL_DELIVERY = "4905-DEL"

NOMINALS = {
    "print": NOMINAL_PRINT_SALES,
    "finishing": NOMINAL_FINISHING,
    "setup": NOMINAL_SETUP,
    "delivery": NOMINAL_DELIVERY,
}

# our tax code -> Sage tax code
SAGE_TAX_CODES = {"T1": "T1", "T0-PRINTED": "T0", "T2": "T5", "T9": "T9"}

COLUMNS = [
    "Type",
    "Account Reference",
    "Nominal A/C Ref",
    "Date",
    "Reference",
    "Details",
    "Net Amount",
    "Tax Code",
    "Tax Amount",
]

ENCODING = "utf-8-sig"
DETAILS_MAX = 60


def export_rows(invoices, customers):
    for inv in invoices:
        cust = customers[inv.customer_id]
        for line in inv.lines:
            details = "%s - %s" % (cust.name, line.description)
            yield {
                "Type": "SI",
                "Account Reference": cust.account_ref,
                "Nominal A/C Ref": NOMINALS[line.nominal],
                "Date": inv.issued.strftime("%d/%m/%Y"),
                "Reference": inv.number,
                "Details": details[:DETAILS_MAX],
                "Net Amount": str(quantize(line.net)),
                "Tax Code": SAGE_TAX_CODES[line.tax_code],
                "Tax Amount": str(line.vat),
            }


def write_export(path, invoices, customers):
    """Write the CSV; returns the number of rows written."""
    count = 0
    with open(path, "w", encoding=ENCODING, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in export_rows(invoices, customers):
            writer.writerow(row)
            count += 1
    log.info("wrote %d export rows to %s", count, path)
    return count
