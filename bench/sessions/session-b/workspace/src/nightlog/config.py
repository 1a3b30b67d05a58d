"""Configuration: built-in defaults plus an optional user file.

Search order for the user file (first one found wins, later ones are not
merged in):

1. the path given with ``nightlog -c FILE``
2. ``$NIGHTLOG_CONFIG``
3. ``./nightlog.ini``
4. ``~/.config/nightlog/nightlog.ini``
5. ``/etc/nightlog/nightlog.ini``

``$NIGHTLOG_SITE`` overrides ``[report] site`` whatever file is used. There
are deliberately no other environment overrides.
"""

import configparser
import os

from .sites import get_site

ENV_CONFIG = "NIGHTLOG_CONFIG"
ENV_SITE = "NIGHTLOG_SITE"
SEARCH_PATH = (
    "./nightlog.ini",
    "~/.config/nightlog/nightlog.ini",
    "/etc/nightlog/nightlog.ini",
)
DEFAULTS_FILE = os.path.join(os.path.dirname(__file__), "defaults.ini")

FILTERS = ("B", "V", "R", "I")


class ConfigError(ValueError):
    pass


class Config:
    """Typed view of the merged configuration."""

    def __init__(self, parser, path=None):
        self.path = path
        cal = parser["calibration"]
        rep = parser["report"]
        try:
            self.gain = cal.getfloat("gain_e_per_adu")
            self.bias_keyword = cal.get("bias_keyword").strip().upper()
            self.extinction = {
                f: cal.getfloat("extinction_%s" % f.lower()) for f in FILTERS
            }
            self.max_airmass = cal.getfloat("max_airmass")
            self.min_frames_per_filter = cal.getint("min_frames_per_filter")
            self.pixel_scale = rep.getfloat("pixel_scale")
            self.width = rep.getint("width")
            self.format = rep.get("format").strip()
        except ValueError as exc:
            raise ConfigError("%s: %s" % (path or "defaults", exc)) from None
        self.site_code = os.environ.get(ENV_SITE) or rep.get("site").strip()
        try:
            self.site = get_site(self.site_code)
        except KeyError as exc:
            raise ConfigError(exc.args[0]) from None
        if self.format not in ("text", "md", "csv"):
            raise ConfigError("[report] format must be text, md or csv, not %r" % self.format)

    def items(self):
        """(section.key, value) pairs for ``nightlog config``."""
        yield "calibration.gain_e_per_adu", self.gain
        yield "calibration.bias_keyword", self.bias_keyword
        for f in FILTERS:
            yield "calibration.extinction_%s" % f.lower(), self.extinction[f]
        yield "calibration.max_airmass", self.max_airmass
        yield "calibration.min_frames_per_filter", self.min_frames_per_filter
        yield "report.site", self.site_code
        yield "report.pixel_scale", self.pixel_scale
        yield "report.width", self.width
        yield "report.format", self.format


def _defaults():
    parser = configparser.ConfigParser(inline_comment_prefixes=("#",))
    with open(DEFAULTS_FILE, encoding="utf-8") as fh:
        parser.read_file(fh)
    return parser


def find_config(explicit=None):
    """Return the user config path to use, or ``None``."""
    if explicit:
        return explicit
    env = os.environ.get(ENV_CONFIG)
    if env:
        return env
    for candidate in SEARCH_PATH:
        path = os.path.expanduser(candidate)
        if os.path.isfile(path):
            return path
    return None


def load_config(path=None):
    """Load defaults, overlay the user file (if any) and return a :class:`Config`."""
    parser = _defaults()
    path = find_config(path)
    if path:
        user = configparser.ConfigParser(inline_comment_prefixes=("#",))
        try:
            with open(path, encoding="utf-8") as fh:
                user.read_file(fh)
        except OSError as exc:
            raise ConfigError("cannot read config %s: %s" % (path, exc.strerror)) from None
        for section in user.sections():
            if section not in parser:
                raise ConfigError("%s: unknown section [%s]" % (path, section))
            for key, value in user[section].items():
                if key not in parser[section]:
                    raise ConfigError("%s: unknown key %s.%s" % (path, section, key))
                parser[section][key] = value
    return Config(parser, path)
