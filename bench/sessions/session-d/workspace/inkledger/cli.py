"""Command line entry point: python3 -m inkledger <command> ..."""
import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from . import __version__, export, pricing, reminders, tax
from .config import load_settings
from .customers import load_customers
from .invoice import in_quarter, load_invoices
from .money import format_gbp, quantize

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INVOICES = ROOT / "data" / "invoices_2024Q2.json"
DEFAULT_CUSTOMERS = ROOT / "data" / "customers.csv"

log = logging.getLogger("inkledger")


def _as_of(text):
    return date.today() if text == "today" else date.fromisoformat(text)


def _quarter(text):
    if text != "current":
        return text
    today = date.today()
    return "%dQ%d" % (today.year, (today.month - 1) // 3 + 1)


def cmd_quote(args):
    quote = pricing.quote_job(args.stock, args.sheets, args.colours, tuple(args.finish))
    print("Stock:   %s (%s, %s, %sgsm)" % (quote.stock.code, quote.stock.description,
                                           quote.stock.size, quote.stock.gsm))
    print("Sheets:  %d   Colours: %s   Process: %s" % (quote.sheets, quote.colours, quote.stock.process))
    if args.verbose:
        print(pricing.explain(quote))
    print("Quote total: %s (ex VAT)" % format_gbp(quote.net))
    return 0


def cmd_show(args):
    invoices = {inv.number: inv for inv in load_invoices(args.invoices)}
    inv = invoices[args.number]
    print("%s  customer %s  issued %s  due %s" % (inv.number, inv.customer_id, inv.issued, inv.due))
    for line in inv.lines:
        print("  %-52s %6s x %-10s net %9s vat %7s %s" % (
            line.description[:52], line.quantity, line.unit_price, line.net, line.vat, line.tax_code))
    print("Net %s   VAT %s   Gross %s" % (inv.net_total(), inv.vat_total(), inv.gross_total()))
    return 0


def cmd_export(args):
    quarter = _quarter(args.quarter)
    invoices = [i for i in load_invoices(args.invoices) if in_quarter(i, quarter)]
    customers = load_customers(args.customers)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = export.write_export(out, invoices, customers)
    print("exported %d rows for %d invoices to %s" % (n, len(invoices), out))
    return 0


def cmd_tax_summary(args):
    invoices = [i for i in load_invoices(args.invoices) if in_quarter(i, args.quarter)]
    lines = [line for inv in invoices for line in inv.lines]
    summary = tax.summarize(lines)
    print("%-12s %12s %12s" % ("code", "net", "vat"))
    total_net = total_vat = quantize(0)
    for code, (net, vat) in summary.items():
        print("%-12s %12s %12s" % (code, net, vat))
        total_net += net
        total_vat += vat
    print("%-12s %12s %12s" % ("total", total_net, total_vat))
    print("%d invoices in %s" % (len(invoices), args.quarter))
    print("VAT due for %s: %s" % (args.quarter, format_gbp(total_vat)))
    return 0


def cmd_outstanding(args):
    as_of = _as_of(args.as_of)
    customers = load_customers(args.customers)
    invoices = load_invoices(args.invoices)
    rows = []
    total = quantize(0)
    for inv in invoices:
        if inv.is_paid(as_of):
            continue
        if inv.issued > as_of:
            continue
        balance = inv.balance()
        if balance <= 0:
            continue
        cust = customers[inv.customer_id]
        overdue = inv.days_overdue(as_of)
        flag = ""
        if overdue > 60:
            flag = "!!"
        elif overdue > 30:
            flag = "!"
        rows.append((overdue, inv.number, cust.name, inv.due, balance, flag))
        total += balance
    rows.sort(key=lambda r: (-r[0], r[1]))
    for overdue, number, name, due, balance, flag in rows:
        print("%-18s %-28s due %s %4d days %11s %s" % (number, name[:28], due, overdue, format_gbp(balance), flag))
    print("Outstanding as of %s: %d invoices, %s" % (as_of, len(rows), format_gbp(total)))
    return 0


def cmd_reminders(args):
    as_of = _as_of(args.as_of)
    settings = load_settings()
    customers = load_customers(args.customers)
    invoices = load_invoices(args.invoices)
    if args.invoice:
        invoices = [i for i in invoices if i.number == args.invoice]
        if not invoices:
            print("no such invoice: %s" % args.invoice, file=sys.stderr)
            return 2
    messages = []
    for inv in invoices:
        n = reminders.due_reminder(inv, as_of)
        nxt = reminders.next_reminder(inv, as_of)
        if args.invoice:
            print("%s: due %s, balance %s" % (inv.number, inv.due, format_gbp(inv.balance())))
            for k, when in reminders.reminder_dates(inv):
                print("  reminder #%d on %s" % (k, when))
            if nxt:
                print("  next: #%d on %s" % nxt)
        if n is None:
            continue
        msg = reminders.render(inv, n, customers[inv.customer_id], settings.shop_name)
        messages.append(msg)
        if not args.send:
            print("--- would send #%d to %s: %s" % (n, msg["To"], msg["Subject"]))
            if args.invoice:
                print(msg.get_content())
    if args.send:
        reminders.send_all(messages, settings)
    print("%d reminder(s) %s" % (len(messages), "sent" if args.send else "pending (dry run)"))
    return 0


def cmd_serve(args):
    from . import server
    settings = load_settings()
    server.serve(settings)
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="inkledger", description="Halftone & Hare quoting and invoicing")
    p.add_argument("--version", action="version", version="inkledger " + __version__)
    p.add_argument("--invoices", default=str(DEFAULT_INVOICES))
    p.add_argument("--customers", default=str(DEFAULT_CUSTOMERS))
    sub = p.add_subparsers(dest="command", required=True)

    q = sub.add_parser("quote", help="price a job")
    q.add_argument("--stock", required=True)
    q.add_argument("--sheets", type=int, required=True)
    q.add_argument("--colours", default="4/0")
    q.add_argument("--finish", action="append", default=[])
    q.add_argument("--verbose", "-v", action="store_true")
    q.set_defaults(func=cmd_quote)

    s = sub.add_parser("show", help="show one invoice")
    s.add_argument("number")
    s.set_defaults(func=cmd_show)

    e = sub.add_parser("export", help="write the Ledgerline CSV for a quarter")
    e.add_argument("--quarter", required=True)
    e.add_argument("--out", required=True)
    e.set_defaults(func=cmd_export)

    t = sub.add_parser("tax-summary", help="VAT totals for a quarter")
    t.add_argument("--quarter", required=True)
    t.set_defaults(func=cmd_tax_summary)

    o = sub.add_parser("outstanding", help="unpaid invoices")
    o.add_argument("--as-of", required=True)
    o.set_defaults(func=cmd_outstanding)

    r = sub.add_parser("reminders", help="payment reminders (dry run unless --send)")
    r.add_argument("--as-of", required=True)
    r.add_argument("--invoice")
    r.add_argument("--send", action="store_true")
    r.set_defaults(func=cmd_reminders)

    v = sub.add_parser("serve", help="run the counter API")
    v.set_defaults(func=cmd_serve)
    return p


def main(argv=None):
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)
