"""Settings loader.

Reads config/settings.ini (or the file named by INKLEDGER_SETTINGS on the
till) and exposes a flat Settings object.  Secrets never live in the ini file:
they come from files named by environment variables.
"""
import configparser
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SETTINGS = Path(__file__).resolve().parent.parent / "config" / "settings.ini"


@dataclass
class Settings:
    shop_name: str
    vat_number: str
    payment_terms_days: int
    counter_bind: str
    counter_port: int
    db_path: str
    export_dir: str
    export_format: str
    smtp_host: str
    smtp_port: int
    smtp_from: str
    smtp_password_file: str
    log_level: str


def settings_path():
    return Path(os.environ.get("INKLEDGER_SETTINGS", DEFAULT_SETTINGS))


def load_settings(path=None):
    path = Path(path) if path else settings_path()
    cp = configparser.ConfigParser(interpolation=None)
    with open(path, encoding="utf-8") as fh:
        cp.read_file(fh)
    return Settings(
        shop_name=cp.get("shop", "name"),
        vat_number=cp.get("shop", "vat_number"),
        payment_terms_days=cp.getint("shop", "payment_terms_days"),
        counter_bind=cp.get("counter", "bind"),
        counter_port=cp.getint("counter", "port"),
        db_path=cp.get("storage", "db_path"),
        export_dir=cp.get("export", "export_dir"),
        export_format=cp.get("export", "format"),
        smtp_host=cp.get("smtp", "host"),
        smtp_port=cp.getint("smtp", "port"),
        smtp_from=cp.get("smtp", "from"),
        smtp_password_file=os.environ.get("INKLEDGER_SMTP_PASS_FILE", ""),
        log_level=os.environ.get("INKLEDGER_LOG_LEVEL", cp.get("logging", "level", fallback="INFO")),
    )
