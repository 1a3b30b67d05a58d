"""The settings of a configuration file, for the repository map (`repo_symbols.py`).

A project fixes its hosts, images, buckets, ports and paths in INI, TOML, YAML, ``.env`` files
and Dockerfiles as often as in code. The map shows a Python module's short constants
(``DIM_DIVISOR_CM = 5000``); this shows a config file's settings the same way (``archive_bucket
= s3://…``, ``image = postgres:15.6-alpine3.19``), so a model sees them without reading the file
and a new session sees what yesterday's read.

Line-based on purpose: a config file that a parser rejects (a template, a half-edited file)
still shows what its lines say, and nothing here ever raises. Each setting is ``key = value``
with the value exactly as written (quotes kept, a trailing comment dropped); values that name
something a person looks up (a digit, ``.``, ``/``, ``:`` or ``@``) come before plain words and
booleans, file order within each group.
"""

from __future__ import annotations

import re

MAX_VALUE_CHARS = 48  # also a Python constant's cap (repo_symbols): longer is not a glance
MAX_SETTINGS = 12  # per file, before the map's own per-line cap
_LOOKED_UP = re.compile(r"[\d./:@]")

# Which grammar a file's lines follow, by suffix or name.
_KEY_EQUALS_SUFFIXES = frozenset({".ini", ".cfg", ".conf", ".toml", ".properties", ".env"})
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})

_KEY_EQUALS = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][\w.\-]*)\s*=\s*(.*?)\s*$")
_YAML_KEY = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.\-/]*)\s*:(?:\s+(.*?))?\s*$")
_YAML_LIST_ASSIGN = re.compile(r"^\s*-\s+['\"]?([A-Za-z_][\w.\-]*)=(.*?)['\"]?\s*$")
_DOCKER_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)
_DOCKER_ASSIGN = re.compile(r"^\s*(ENV|ARG)\s+(.*?)\s*$", re.IGNORECASE)
_DOCKER_EXPOSE = re.compile(r"^\s*EXPOSE\s+(.*?)\s*$", re.IGNORECASE)
_PAIR = re.compile(r"([A-Za-z_][\w.\-]*)=((?:\"[^\"]*\"|'[^']*'|\S)*)")
_COMMENT = re.compile(r"\s+[#;].*$")
_BLOCK_OPENERS = frozenset({"|", ">", "|-", ">-", "|+", ">+"})


def config_kind(path: str) -> str | None:
    """``"key_equals"``, ``"yaml"``, ``"dockerfile"`` or None (not a config file we read)."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower == ".env" or lower.startswith(".env."):
        return "key_equals"
    suffix = lower[lower.rfind(".") :] if "." in lower else ""
    if suffix in _KEY_EQUALS_SUFFIXES:
        return "key_equals"
    if suffix in _YAML_SUFFIXES:
        return "yaml"
    return None


def settings(path: str, text: str) -> tuple[str, ...]:
    """The settings of config file ``path`` worth showing (see the module docstring)."""
    kind = config_kind(path)
    if kind is None:
        return ()
    found: list[str] = []
    for line in text.splitlines():
        if len(line) > 4 * MAX_VALUE_CHARS + 80 or line.lstrip().startswith(("#", ";", "//")):
            continue
        if kind == "key_equals":
            found += _key_equals(line)
        elif kind == "yaml":
            found += _yaml(line)
        else:
            found += _dockerfile(line)
    looked_up: list[str] = []
    plain: list[str] = []
    for shown in dict.fromkeys(found):
        (looked_up if _LOOKED_UP.search(shown.split(" = ", 1)[1]) else plain).append(shown)
    return tuple((looked_up + plain)[:MAX_SETTINGS])


def _shown(key: str, raw: str) -> list[str]:
    value = _value(raw)
    if not value or len(value) > MAX_VALUE_CHARS:
        return []
    return [f"{key} = {value}"]


def _value(raw: str) -> str:
    """``raw`` as written, without a trailing comment: a quoted value ends at its closing quote."""
    raw = raw.strip()
    if raw.startswith(('"""', "'''")):
        return ""  # a multi-line string
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        return raw[: end + 1] if end > 0 else ""  # an unclosed quote goes on to the next line
    return _COMMENT.sub("", raw).strip()


def _key_equals(line: str) -> list[str]:
    match = _KEY_EQUALS.match(line)
    if match is None:
        return []
    key, raw = match.groups()
    if raw.startswith("{") or (raw.startswith("[") and not _value(raw).endswith("]")):
        return []  # an inline table, or an array that goes on over the next lines
    return _shown(key, raw)


def _yaml(line: str) -> list[str]:
    assign = _YAML_LIST_ASSIGN.match(line)
    if assign is not None:  # "- PGHOST=pg-01.int.example.net" in an env or args list
        return _shown(*assign.groups())
    match = _YAML_KEY.match(line)
    if match is None or not match.group(2):
        return []  # not a setting, or a key that opens a block
    key, raw = match.groups()
    value = _value(raw)
    if value in _BLOCK_OPENERS or (value[:1] in ("{", "[", "&", "*", "!") and not value.startswith("*/")):
        return []
    return _shown(key, raw)


def _dockerfile(line: str) -> list[str]:
    if match := _DOCKER_FROM.match(line):
        return _shown("FROM", match.group(1))
    if match := _DOCKER_EXPOSE.match(line):
        return _shown("EXPOSE", match.group(1))
    match = _DOCKER_ASSIGN.match(line)
    if match is None:
        return []
    rest = match.group(2)
    pairs = _PAIR.findall(rest)
    if pairs:
        return [s for key, value in pairs for s in _shown(key, value)]
    key, _, value = rest.partition(" ")  # the old form: ENV KEY value
    return _shown(key, value) if key and value else []
