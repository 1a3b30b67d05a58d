"""Exact values in text: what they are, what a statement says about them, and which are paths.

Ports, host:port, hostnames, URLs, paths, env assignments, backticked code, versions, ticket
ids, hashes and identifiers are recognised here and copied byte for byte by extraction. The
*shape* of a statement (its text with the values blanked) tells when two statements are about
the same subject with a changed value ("the orders service talks to Postgres on port 5432"
then "... 6543"), as opposed to two unrelated statements that merely look alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

CODE_EXTENSIONS = (
    "py|pyi|js|jsx|mjs|cjs|ts|tsx|go|rs|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|md|rst|txt|"
    "json|ya?ml|toml|cfg|ini|conf|env|sql|sh|bash|html|css|scss|lock|log|csv|xml|proto|tf|lua|vue"
)
# Top-level and internal domains: a dotted name ending in one of these is a host, not a file.
_TLDS = (
    "com|net|org|io|dev|app|ai|co|uk|de|fr|eu|us|ca|jp|cn|ru|nl|ch|au|br|"
    "internal|local|localdomain|lan|corp|intra|intranet|cloud|svc|cluster|example|"
    "invalid|gov|edu|info|biz|xyz|site|online|tech"
)

URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>()\]]+")
PATH = re.compile(
    r"(?<![\w/.:-])(?:\.{0,2}/)?(?:[\w.@-]+/)*[\w@-][\w.@-]*\.[A-Za-z][A-Za-z0-9]{0,7}(?![\w/])"
    r"|(?<![\w/.:-])(?:~?/)?(?:[\w.@-]+/){1,}[\w.@-]+/?(?![\w/])"
)
# /mnt/shared/quarantine, ~/.config/app: a place outside the workspace, a value all the same
ABSOLUTE_PATH = re.compile(r"^~?/[\w.@-]+(?:/[\w.@-]+)+/?$")
# host:port, but not grep's "file.py:123:" (a file name is not a host).
HOST_PORT = re.compile(
    r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[::1\]|"
    rf"[a-z][\w-]*(?:\.[\w-]+)*\.(?!(?:{CODE_EXTENSIONS})\b)[a-z]{{2,}}):\d{{2,5}}\b(?!:)"
)
HOSTNAME = re.compile(
    rf"(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?![\w-]|\.\w)", re.IGNORECASE
)
IP = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\w)")
PORT = re.compile(r"\bport\s+(?:number\s+)?(?:is\s+|=\s*|:\s*)?(\d{2,5})\b", re.IGNORECASE)
ENV_ASSIGN = re.compile(r"\b[A-Z][A-Z0-9_]{2,}=[^\s\"'`]+")
BACKTICK = re.compile(r"`([^`\n]{2,200})`")
# A sentence's final period is not part of a version ("… is rustc 1.80.1."): after the value
# comes neither a word character nor a dot that continues into one.
VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?(?!\w|\.\w)")
# requests[socks]==2.31.0, httpx>=0.27, "django~=4.2"
PIN = re.compile(r"(?<![\w.-])[A-Za-z0-9][\w.-]*(?:\[[\w,.-]+\])?(?:==|>=|<=|~=|!=)[\w.*+!-]+")
TICKET = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d{1,6}\b")  # LEDG-4471, GH-12
# A hexadecimal number written as an id: a device's IEEE address 0x00158d0005c1e9b4, a key id 0x7C3E91A4D2.
HEX_LITERAL = re.compile(r"\b0x[0-9A-Fa-f]{6,}\b")
HEX_ID = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,64}\b")  # SHAs, revisions
IDENT = re.compile(
    r"\b(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+){1,}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){1,})\b"
)
# A cron schedule ("40 6 * * *", "*/15 * * * 1-5"): five fields, at least one of them a star.
CRON = re.compile(r"(?<![\w*/,-])(?:[\d*/,-]+ ){4}[\d*/,-]+(?![\w*/,-])")
NUMBER = re.compile(r"(?<![\w.])\d{2,}(?:\.\d+)?(?!\w|\.\w)")
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)*")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# Dates and clock times: when something was said, not a value of the project.
DATE_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|(?<![\w.:])\d{1,2}:\d{2}(?::\d{2})?(?!\d|:\d)(?:\s*[ap]\.?m\.?\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b,?(?:\s+\d{{4}}\b)?"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
    rf"|\b{_MONTH}\s+\d{{4}}\b",
    re.IGNORECASE,
)
# A program's name, then not a file name's dot or dash: `pip.conf` and `make-release.md` are files.
COMMAND_START = re.compile(
    r"^(?:\$ )?(?:python3?(?:\.\d+)?|pip3?|pytest|npm|npx|node|yarn|pnpm|cargo|go|make|git|docker|"
    r"kubectl|uv|poetry|ruff|mypy|curl|psql|redis-cli|ls|cat|grep|rg|sed|export|cd|bash|sh)(?![\w.-])"
)


def _crons(text: str) -> list[str]:
    return [c for c in CRON.findall(text) if "*" in c]


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, empty ones left out."""
    return list(dict.fromkeys(i for i in items if i))


def exact_values(text: str, *, code_spans: bool = True) -> list[str]:
    """Ports, host:port, hostnames, URLs, paths, env assignments, cron schedules, backticked code,
    versions, version pins, ticket ids, hashes and identifiers, in that order of kind.

    ``code_spans=False`` leaves out whole backticked spans (their parts are still found).
    """
    found: list[str] = []
    found += URL.findall(text)
    found += HOST_PORT.findall(text)
    found += [f"port {p}" for p in PORT.findall(text)]
    found += ENV_ASSIGN.findall(text)
    found += _crons(text)
    if code_spans:
        found += BACKTICK.findall(text)
    without_urls = URL.sub(" ", text)
    found += PIN.findall(without_urls)
    hosts = HOSTNAME.findall(without_urls) + IP.findall(without_urls)
    found += hosts
    found += [p for p in PATH.findall(without_urls) if not VERSION.fullmatch(p) and p not in hosts]
    found += VERSION.findall(without_urls)
    found += TICKET.findall(without_urls)
    found += HEX_ID.findall(without_urls)
    found += IDENT.findall(without_urls)
    return unique(v.rstrip(".,;:") for v in found)


def strong_values(text: str) -> list[str]:
    """The values that identify something (URLs, hosts, versions, ids, code, names), leaving
    out file paths and bare numbers, which chatter is full of ("18 callers", "reading
    src/x.py"). Trimming drops statements without any of these first."""
    hosts = set(HOSTNAME.findall(text))
    paths = {p for p in PATH.findall(URL.sub(" ", text)) if p not in hosts}
    return [v for v in exact_values(text) if v not in paths]


_ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")


# An exception the way Python and most runtimes print it ("ValueError: could not convert string to
# float: '1,240.5'", "psycopg.OperationalError: connection refused"): what broke, worth keeping
# though it names no port, path or pin.
ERROR_REPORT = re.compile(r"^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception)\b: \S")


def reports_an_error(text: str) -> bool:
    """Whether ``text`` is an exception's line ("ValueError: could not convert ...")."""
    return ERROR_REPORT.match(text.strip()) is not None


def key_values(text: str) -> list[str]:
    """The values a person would want remembered: ports, hosts, URLs, paths (the workspace's and
    absolute ones), version pins, env variables, ticket ids, hexadecimal ids (``0x...``), cron
    schedules and commands. Bare numbers, decimals and code identifiers, which assistant prose
    and tables are full of, are not among them."""
    if TABLE_ROW.match(text):
        return []
    text = without_dates(text)
    found: list[str] = []
    found += URL.findall(text)
    found += HOST_PORT.findall(text)
    found += [f"port {p}" for p in PORT.findall(text)]
    found += ENV_ASSIGN.findall(text) + _ENV_NAME.findall(text)
    found += [c for c in BACKTICK.findall(text) if COMMAND_START.match(c)] + _crons(text)
    rest = URL.sub(" ", text)
    found += PIN.findall(rest) + HOSTNAME.findall(rest) + IP.findall(rest) + TICKET.findall(rest)
    found += HEX_LITERAL.findall(rest)
    found += [p for p in PATH.findall(rest) if looks_like_path(p) or ABSOLUTE_PATH.match(p)]
    found += [v for v in VERSION.findall(rest) if v.count(".") >= 2 or v.startswith("v")]  # not "21.357"
    return unique(v.rstrip(".,;:") for v in found)


_EXTRAS = re.compile(r"\[[^\]]*\]")


def keyed_values(text: str) -> dict[str, str]:
    """What ``text`` sets that holds one value at a time: a package's exact pin (``name==1.2``;
    PEP 503 name, extras left out) and a named host's port (``pkgs.example.net:3141``; not
    localhost or an address, where many services live). A key given two values in one text is
    left out (a host serving two ports says nothing about either)."""
    found: dict[str, set[str]] = {}
    rest = URL.sub(" ", text)
    for pin in PIN.findall(rest):
        name, sep, version = pin.partition("==")
        if sep and version:
            package = re.sub(r"[-_.]+", "-", _EXTRAS.sub("", name)).lower()
            found.setdefault(f"pin {package}", set()).add(version.rstrip(".,;:"))
    for address in HOST_PORT.findall(rest):
        host, _, port = address.rpartition(":")
        if HOSTNAME.fullmatch(host):
            found.setdefault(f"port of {host.lower()}", set()).add(port)
    for schedule in CRON.findall(rest):
        found.setdefault(CRON_KEY, set()).add(" ".join(schedule.split()))
    return {key: values.pop() for key, values in found.items() if len(values) == 1}


CRON_KEY = "cron schedule"


def _topic_words(text: str) -> frozenset[str]:
    shape, _ = statement_shape(text)
    return frozenset(w for w in re.findall(r"[a-z][a-z0-9_]{3,}", shape) if w not in _NOT_TOPIC)


# Words that say nothing about which thing a value belongs to.
_NOT_TOPIC = frozenset(
    "value that this with from into have been will would should could just also then than them "
    "they there their here what when where which while same moved move change changed changes "
    "update updated now it's its".split()
)


def rekeyed(older: str, newer: str) -> bool:
    """Whether ``newer`` gives the one single-valued key ``older`` sets (see ``keyed_values``)
    another value: a package's new pin; a host's new port when the two also share a word that
    says what runs there ("devpi ... :3141" / "devpi moved ... :3180", not "Postgres ... :5432"
    / "pgbouncer ... :6432"); a new cron schedule when what one says the job is, the other says
    too ("the CronJob schedule" / "the schedule of the base CronJob", not "the backup CronJob" /
    "the import CronJob")."""
    old = keyed_values(older)
    if len(old) != 1:
        return False
    ((key, value),) = old.items()
    new = keyed_values(newer).get(key)
    if new is None or new == value:
        return False
    if key.startswith("pin "):
        return True
    words, other = _topic_words(older), _topic_words(newer)
    if key == CRON_KEY:
        return bool(words & other) and (words <= other or other <= words)
    return bool(words & other)


def without_dates(text: str) -> str:
    """``text`` with dates and clock times blanked (a timestamp is not a value)."""
    return DATE_TIME.sub(" ", text)


def has_exact_value(sentence: str) -> bool:
    """Whether a sentence carries a value worth keeping verbatim (dates and times aside)."""
    text = without_dates(sentence)
    return bool(exact_values(text)) or NUMBER.search(text) is not None


def is_host(value: str) -> bool:
    """A hostname, IP address or host:port (never a file path)."""
    return bool(HOSTNAME.fullmatch(value) or IP.fullmatch(value) or HOST_PORT.fullmatch(value))


def looks_like_path(value: str) -> bool:
    """Whether a value could name a file or folder: a slash or a known file extension, and
    none of URL, host, version, version pin, e-mail or command line."""
    value = value.strip("`'\"")
    if not value or " " in value or "://" in value or "@" in value or value.startswith(("/", "~")):
        return False
    if is_host(value) or VERSION.fullmatch(value) or PIN.fullmatch(value) or ENV_ASSIGN.fullmatch(value):
        return False
    return "/" in value or re.search(rf"\.(?:{CODE_EXTENSIONS})$", value, re.IGNORECASE) is not None


def _maximal(values: list[str]) -> list[str]:
    # "port 8080" and "8080" are one value: keep the longest of overlapping ones.
    return [v for v in values if not any(v != other and v in other for other in values)]


@lru_cache(maxsize=8192)  # merges compare every new item with every kept one
def statement_shape(text: str) -> tuple[str, tuple[str, ...]]:
    """The statement with its values blanked, and its values in the order they appear."""
    found = unique(exact_values(text, code_spans=False) + _BARE_NUMBER.findall(text))
    found = _maximal([v for v in found if v in text])  # "port 8080" may stand for "Port is 8080"
    ordered = sorted(found, key=lambda v: (text.find(v), -len(v)))
    shape = text
    for value in sorted(ordered, key=len, reverse=True):
        shape = shape.replace(value, "\x00")
    words = re.sub(r"[^\w\x00]+", " ", shape.lower()).split()
    return " ".join("VALUE" if "\x00" in w else w for w in words), tuple(ordered)


def skeleton(text: str) -> tuple[str, tuple[str, ...]]:
    """The statement with its values blanked, and those values (sorted, de-duplicated)."""
    values = exact_values(text, code_spans=False) + _BARE_NUMBER.findall(text)
    shape = text
    for value in sorted(set(values), key=len, reverse=True):
        shape = shape.replace(value, "\x00")
    words = re.sub(r"[^\w\x00]+", " ", shape.lower()).split()
    return " ".join("VALUE" if "\x00" in w else w for w in words), tuple(sorted(set(values)))


_LINE_REF = re.compile(r"(— from .+?):\d+$")
# Words that say a value changed, not what it is ("... port 9443 now" restates "... port 8443").
_TIMELESS = re.compile(r"\b(?:now|actually|currently|instead|anymore|from now on)\b\s*")


def same_subject(older: str, newer: str) -> bool:
    """Whether ``newer`` restates ``older`` with one value changed (same words, same place).

    Two commands, or two statements differing in more than one value, are not about the
    same subject; a line read again from the same file is, whatever line it moved to.
    """
    if rekeyed(older, newer):
        return True
    shape_a, values_a = statement_shape(_LINE_REF.sub(r"\1", older))
    shape_b, values_b = statement_shape(_LINE_REF.sub(r"\1", newer))
    shape_a, shape_b = _TIMELESS.sub("", shape_a).strip(), _TIMELESS.sub("", shape_b).strip()
    if shape_a != shape_b or len(values_a) != len(values_b) or not values_a:
        return False
    if any(COMMAND_START.match(code) for code in BACKTICK.findall(older)):
        return False
    if not re.search(r"[a-z]{2,}", shape_a.replace("VALUE", "")):
        return False  # nothing says what the value is
    return sum(a != b for a, b in zip(values_a, values_b, strict=True)) == 1
