"""Customer records (data/customers.csv on dev machines, the till DB in the shop)."""
import csv
from dataclasses import dataclass


@dataclass
class Customer:
    id: str
    name: str
    account_ref: str
    is_charity: bool
    terms_days: int
    email: str
    contact: str


def _flag(text):
    return str(text).strip().upper() in ("Y", "YES", "TRUE", "1")


def load_customers(path):
    out = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["id"]] = Customer(
                id=row["id"],
                name=row["name"],
                account_ref=row["account_ref"],
                is_charity=_flag(row["is_charity"]),
                terms_days=int(row["terms_days"]),
                email=row["email"],
                contact=row["contact"],
            )
    return out
