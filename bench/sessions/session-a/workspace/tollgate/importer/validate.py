"""Row validation for parsed manifests.

A row that parses can still be nonsense: unknown event codes, zero pieces,
scans dated after the batch, absurd weights. validate_row() returns the list
of problems with a row (empty list = fine). validate_rows() raises on the
first bad row, which is what nightly.py relies on today.
"""

import re
from datetime import datetime, time, timedelta, timezone

MAX_WEIGHT_KG = 20000          # anything heavier is a unit mix-up (lb vs kg)
FUTURE_SLACK = timedelta(hours=30)
US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
DE_PLZ = re.compile(r"^\d{5}$")
POSTAL_FORMATS = {"MRDH": US_ZIP, "NRTX": US_ZIP, "PKLX": DE_PLZ}


class ManifestValidationError(Exception):
    def __init__(self, filename, line_no, problems):
        self.filename = filename
        self.line_no = line_no
        self.problems = problems
        super().__init__(f"{filename} row {line_no}: {'; '.join(problems)}")


def validate_row(row, batch_date, max_weight_kg=MAX_WEIGHT_KG):
    problems = []
    if not row.carrier_ref:
        problems.append("missing shipment reference")
    if row.event_code is None:
        problems.append(f"unknown event code {row.raw_code!r}")
    if row.scanned_at is None:
        problems.append("missing scan time")
    else:
        batch_end = datetime.combine(batch_date, time.max, tzinfo=timezone.utc)
        if row.scanned_at > batch_end + FUTURE_SLACK:
            problems.append(f"scan time {row.scanned_at:%Y-%m-%d %H:%M}Z is after the batch date")
    if row.weight_kg is not None and not (0 < row.weight_kg <= max_weight_kg):
        problems.append(f"weight_kg out of range: {row.weight_kg}")
    if row.pieces is not None and row.pieces < 1:
        problems.append(f"pieces must be >= 1, got {row.pieces}")
    pattern = POSTAL_FORMATS.get(row.carrier)
    if pattern and row.postal_code and not pattern.match(row.postal_code):
        problems.append(f"bad postal code {row.postal_code!r}")
    return problems


def validate_rows(filename, rows, batch_date, max_weight_kg=MAX_WEIGHT_KG):
    """Raise ManifestValidationError on the first invalid row."""
    for row in rows:
        problems = validate_row(row, batch_date, max_weight_kg)
        if problems:
            raise ManifestValidationError(filename, row.line_no, problems)
    return rows
