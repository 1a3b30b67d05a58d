"""Settings loader.

Settings are read from config/settings.ini and can be overridden from the
environment with variables named TOLLGATE_<SECTION>_<KEY>, upper-cased, e.g.

    TOLLGATE_API_PORT=9000
    TOLLGATE_DATABASE_URL=postgresql:///tollgate

Carrier definitions live in config/carriers.ini (one section per carrier code).

`python3 -m tollgate.config --print` dumps the effective settings.
"""

import argparse
import configparser
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = ROOT / "config" / "settings.ini"
CARRIERS_FILE = ROOT / "config" / "carriers.ini"
ENV_PREFIX = "TOLLGATE_"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Settings:
    """Thin wrapper over ConfigParser that applies env overrides on read."""

    def __init__(self, parser, source):
        self._parser = parser
        self.source = source

    @staticmethod
    def env_name(section, key):
        return f"{ENV_PREFIX}{section}_{key}".upper()

    def get(self, section, key, default=None):
        env = self.env_name(section, key)
        if env in os.environ:
            return os.environ[env]
        return self._parser.get(section, key, fallback=default)

    def getint(self, section, key, default=None):
        value = self.get(section, key)
        return default if value is None else int(value)

    def getfloat(self, section, key, default=None):
        value = self.get(section, key)
        return default if value is None else float(value)

    def getbool(self, section, key, default=False):
        value = self.get(section, key)
        if value is None:
            return default
        value = value.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"{section}.{key}: not a boolean: {value!r}")

    def path(self, section, key, default=None):
        """A filesystem path; relative paths are resolved against the repo root."""
        value = self.get(section, key, default)
        if value is None:
            return None
        p = Path(value)
        return p if p.is_absolute() else ROOT / p

    def items(self):
        for section in self._parser.sections():
            for key in self._parser[section]:
                yield section, key, self.get(section, key)


def load(path=None):
    path = Path(path or os.environ.get("TOLLGATE_SETTINGS", DEFAULT_SETTINGS))
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    with open(path, encoding="utf-8") as fh:
        parser.read_file(fh)
    return Settings(parser, path)


def load_carriers(path=None):
    """Return {carrier_code: {option: value}} for every active carrier."""
    # no inline comments here: ';' is a legitimate delimiter value
    parser = configparser.ConfigParser(interpolation=None)
    with open(path or CARRIERS_FILE, encoding="utf-8") as fh:
        parser.read_file(fh)
    carriers = {}
    for code in parser.sections():
        opts = dict(parser[code])
        if opts.get("active", "true").lower() in _FALSE:
            continue
        opts["code"] = code
        carriers[code] = opts
    return carriers


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tollgate.config")
    ap.add_argument("--print", action="store_true", help="print effective settings")
    ap.add_argument("--settings", help="alternate settings file")
    args = ap.parse_args(argv)
    settings = load(args.settings)
    if args.print:
        print(f"# source: {settings.source.relative_to(ROOT) if settings.source.is_relative_to(ROOT) else settings.source}")
        for section, key, value in settings.items():
            overridden = " (env)" if Settings.env_name(section, key) in os.environ else ""
            print(f"{section}.{key} = {value}{overridden}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
