"""Payment reminders for overdue invoices.

Reminders are numbered 1..3 and go out REMINDER_OFFSETS_DAYS after the due
date.  The cron job on the till runs `inkledger reminders --send` once per
working day; anything that fell due since the last run is sent then.
"""
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from .money import format_gbp

log = logging.getLogger(__name__)

REMINDER_OFFSETS_DAYS = (10, 24, 38)

SUBJECTS = {
    1: "Invoice %(number)s from %(shop)s is now overdue",
    2: "Second reminder: invoice %(number)s (%(balance)s outstanding)",
    3: "Final reminder before we pause your account: invoice %(number)s",
}

BODY = """Dear %(contact)s,

Our records show that invoice %(number)s, issued on %(issued)s and due on
%(due)s, still has %(balance)s outstanding.

%(extra)s
You can pay by bank transfer (sort code 20-71-64, account 53918240, reference
%(number)s) or by card at the counter.

Thank you,
%(shop)s accounts
"""

EXTRA = {
    1: "If you have already paid, please ignore this message.\n",
    2: "Please let us know if there is a problem with the invoice.\n",
    3: "If we do not hear from you within 7 days we will pause new work on your account.\n",
}


def reminder_dates(invoice):
    return [(n, invoice.due + timedelta(days=off)) for n, off in enumerate(REMINDER_OFFSETS_DAYS, start=1)]


def due_reminder(invoice, as_of):
    """The highest-numbered reminder whose date has passed, or None."""
    if invoice.is_paid(as_of):
        return None
    latest = None
    for n, when in reminder_dates(invoice):
        if when <= as_of:
            latest = n
    return latest


def next_reminder(invoice, as_of):
    for n, when in reminder_dates(invoice):
        if when > as_of:
            return n, when
    return None


def render(invoice, n, customer, shop_name):
    fields = {
        "number": invoice.number,
        "shop": shop_name,
        "contact": customer.contact,
        "issued": invoice.issued.isoformat(),
        "due": invoice.due.isoformat(),
        "balance": format_gbp(invoice.balance()),
        "extra": EXTRA[n],
    }
    msg = EmailMessage()
    msg["Subject"] = SUBJECTS[n] % fields
    msg["To"] = customer.email
    msg.set_content(BODY % fields)
    return msg


def send_all(messages, settings):
    if not settings.smtp_password_file:
        raise RuntimeError("no SMTP password file configured")
    with open(settings.smtp_password_file, encoding="utf-8") as fh:
        password = fh.read().strip()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        smtp.starttls()
        smtp.login(settings.smtp_from, password)
        for msg in messages:
            msg["From"] = settings.smtp_from
            smtp.send_message(msg)
            log.info(f"sent reminder to {msg['To']}: {msg['Subject']}")
