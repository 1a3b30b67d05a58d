"""Secret redaction applied to every text before it is stored, logged or sent anywhere (R15).

Two mechanisms, applied in this order:

1. *Exact values* registered with :meth:`Redactor.add_secret` (the configured API key, the
   values of environment variables named like ``*KEY*``/``*TOKEN*``/``*SECRET*``/``*PASSWORD*``).
   These catch secrets of any shape, including ones no pattern knows.
2. *Patterns* for well-known credential formats (provider prefixes, AWS ids, JWTs, PEM private
   keys, credentials in URLs and connection strings, Bearer tokens) and a guarded generic rule
   for high-entropy values assigned to names such as ``api_key``/``token``/``secret``.

Each match is replaced by ``[REDACTED:<kind>]``; for assignments only the value is replaced so
the text stays readable (``API_KEY=[REDACTED:assigned-secret]``). Redaction is idempotent.

Why hand-written patterns instead of a scanner library: scanners such as detect-secrets report
line numbers in files; Cairn needs span replacement on arbitrary text on every write, fast, and
with a measured false-positive rate on hashes, UUIDs and prose (see tests/unit/memory).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Exact secrets shorter than this are ignored: redacting "1" or "true" everywhere would
# destroy text while protecting nothing.
MIN_EXACT_SECRET_LENGTH = 6

# Registered secrets at least twice this long are also redacted half by half.
FRAGMENT_LENGTH = 8

# Environment variables whose values are treated as exact secrets.
SECRET_ENV_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)

# Names that make an assignment's value suspicious. ``_?key`` must end the word (``monkey``
# and ``keyboard`` are not keys); the others may appear anywhere in the name.
_SECRET_NAME = (
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*?(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|passphrase|credential"
    r"|private[_-]?key|access[_-]?key|auth[_-]?key|client[_-]?secret|(?<![a-z])key(?![a-z]))"
    r"[A-Za-z0-9_.-]*"
)


@dataclass(frozen=True)
class SecretPattern:
    """One credential format: its kind (used in the placeholder) and its regex.

    When the regex has a group named ``value`` only that group is replaced.
    """

    kind: str
    regex: re.Pattern[str]
    hints: tuple[str, ...]  # lower-case literals, one of which every match contains

    def replace(self, match: re.Match[str]) -> str:
        """The match with its secret part (the ``value`` group, else all) replaced."""
        placeholder = f"[REDACTED:{self.kind}]"
        if "value" in match.re.groupindex and match.group("value") is not None:
            start, end = (i - match.start() for i in match.span("value"))
            whole = match.group(0)
            return whole[:start] + placeholder + whole[end:]
        return placeholder


# Cheap pre-filter: a pattern runs only when one of its literals occurs in the text, which
# makes redacting ordinary text ~10x faster (it runs on every write).
_HINTS: dict[str, tuple[str, ...]] = {
    "private-key": ("private key",),
    "anthropic-key": ("sk-ant-",),
    "openai-project-key": ("sk-proj-",),
    "openai-key": ("sk-",),
    "stripe-key": ("_live_", "_test_"),
    "stripe-webhook-secret": ("whsec_",),
    "google-api-key": ("aiza",),
    "google-oauth-token": ("ya29.",),
    "google-oauth-secret": ("gocspx-",),
    "huggingface-token": ("hf_",),
    "github-token": ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "gitlab-token": ("glpat-",),
    "npm-token": ("npm_",),
    "pypi-token": ("pypi-",),
    "aws-key": ("akia", "asia", "abia", "acca"),
    "aws-secret-key": ("aws",),
    "slack-token": ("xox",),
    "slack-webhook": ("hooks.slack.com",),
    "sendgrid-key": ("sg.",),
    "digitalocean-token": ("_v1_",),
    "telegram-bot-token": (":aa",),
    "jwt": ("eyj",),
    "encoded-json": ("eyj",),
    "url-password": ("://",),
    "connection-password": ("pwd=", "passw"),
    "bearer-token": ("bearer",),
    "basic-auth": ("basic",),
}
_ASSIGNMENT_HINTS = ("key", "secret", "token", "passw", "pwd", "credential", "passphrase")
_ALL_HINTS = sorted({h for hs in _HINTS.values() for h in hs} | set(_ASSIGNMENT_HINTS), key=len, reverse=True)
# A lookahead finds the longest hint starting at every position (overlaps included); a found
# hint also implies every hint it contains ("sk-ant-" implies "sk-").
_HINT_SCAN = re.compile("(?=(" + "|".join(re.escape(h) for h in _ALL_HINTS) + "))")
_IMPLIED = {h: frozenset(g for g in _ALL_HINTS if g in h) for h in _ALL_HINTS}


def _p(kind: str, pattern: str, flags: int = 0) -> SecretPattern:
    return SecretPattern(kind, re.compile(pattern, flags), _HINTS[kind])


# Token boundaries: a secret must not be glued to other token characters on its left.
_L = r"(?<![A-Za-z0-9_\-])"
_R = r"(?![A-Za-z0-9_\-])"

# Order matters: specific formats before the generic ones that would also match them.
# Minimum lengths are below the real formats' lengths on purpose: a reply cut off mid-stream
# is stored as an incomplete message and must not keep the first half of a key.
PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "private-key",
        r"-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
        r"(?:.*?-----END (?P=label)-----|.*\Z)",
        re.DOTALL,
    ),
    _p("anthropic-key", _L + r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    _p("openai-project-key", _L + r"sk-proj-[A-Za-z0-9_\-]{20,}"),
    # OpenAI keys are random base62: requiring a digit spares prose such as "sk-learn-...".
    _p("openai-key", _L + r"sk-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{20,}" + _R),
    _p("stripe-key", _L + r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}" + _R),
    _p("stripe-webhook-secret", _L + r"whsec_[A-Za-z0-9]{24,}" + _R),
    _p("google-api-key", _L + r"AIza[0-9A-Za-z_\-]{20,}" + _R),
    _p("google-oauth-token", _L + r"ya29\.[0-9A-Za-z_\-]{20,}"),
    _p("google-oauth-secret", _L + r"GOCSPX-[0-9A-Za-z_\-]{20,}"),
    _p("huggingface-token", _L + r"hf_(?=[A-Za-z]*[0-9])[A-Za-z0-9]{12,}" + _R),
    _p("github-token", _L + r"github_pat_[A-Za-z0-9_]{22,}" + _R),
    _p("github-token", _L + r"gh[pousr]_[A-Za-z0-9]{12,}" + _R),
    _p("gitlab-token", _L + r"glpat-[A-Za-z0-9_\-]{10,}" + _R),
    _p("npm-token", _L + r"npm_[A-Za-z0-9]{20,}" + _R),
    _p("pypi-token", _L + r"pypi-AgE[A-Za-z0-9_\-]{20,}"),
    _p("aws-key", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,16}(?![A-Z0-9])"),
    _p(
        "aws-secret-key",
        r"(?i:aws[A-Za-z0-9_.\-]{0,30}?(?:secret|key)[A-Za-z0-9_.\-]*)[\"']?\s*[:=]\s*[\"']?"
        r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
    ),
    _p("slack-token", _L + r"xox[abposre]-[A-Za-z0-9\-]{10,}"),
    _p("slack-webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"),
    _p("sendgrid-key", _L + r"SG\.[A-Za-z0-9_\-]{16,}(?:\.[A-Za-z0-9_\-]*)?" + _R),
    _p("digitalocean-token", _L + r"do[opr]_v1_[a-f0-9]{12,}" + _R),
    _p("telegram-bot-token", r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_\-]{25,}" + _R),
    _p(
        "jwt",
        _L + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*)?" + _R,
    ),
    # Other base64-encoded JSON objects ('{"' encodes as "eyJ"): docker "auths", Kubernetes
    # secrets and cut-off JWTs carry credentials in exactly this shape.
    _p("encoded-json", _L + r"eyJ[A-Za-z0-9_\-+/]{16,}={0,2}" + _R),
    # user:password@host in any URL; the scheme and user name are kept. At the very end of a
    # text (a stream cut after the password) the "@" may be missing, but there "host:8081" is
    # far likelier than a numeric password: a port-like value there is left alone.
    _p(
        "url-password",
        r"[A-Za-z][A-Za-z0-9+.\-]{0,20}://[^\s:/@\"'<>]+:"
        r"(?P<value>(?!\d{1,5}\Z)[^\s@/\"'<>]{3,})(?:@|\Z)",
    ),
    # password=...; in ODBC/ADO/libpq connection strings and query strings. No spaces around
    # "=" and a separator after the value, so Python's f(password=password) is left alone.
    _p(
        "connection-password",
        r"(?i:(?<![A-Za-z0-9_])(?:password|passwd|pwd)=)(?P<value>[^\s;&'\"(),]{3,})"
        r"(?=[;&\s]|\Z)",
    ),
    # A digit is required so prose such as "Bearer authentication-scheme" is left alone.
    _p(
        "bearer-token",
        r"(?i:\bbearer\s+)(?P<value>(?=[A-Za-z0-9._~+/\-]*[0-9])[A-Za-z0-9._~+/\-]{10,}=*)",
    ),
    _p(
        "basic-auth",
        r"(?i:\bauthorization\s*[:=]\s*[\"']?basic\s+)(?P<value>[A-Za-z0-9+/]{8,}={0,2})",
    ),
)

# name = "value" / name: value / "name": "value" (JSON, YAML, .env, shell, Python).
_ASSIGNMENT = re.compile(
    r"(?P<name>" + _SECRET_NAME + r")(?P<q1>\\?[\"']?)\s*(?::=|=>|[:=])\s*"
    r"(?:(?P<q2>\\?[\"'`])(?P<qvalue>[^\"'`\n\\]{3,200})(?=\\?[\"'`]|\Z)"
    r"|(?P<value>[^\s\"'`,;}\])\\]{3,}))",
    re.IGNORECASE,
)

_PLACEHOLDER_VALUE = re.compile(
    r"^(?:\[REDACTED:[a-z\-]+\]|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%\(?[A-Za-z_]\w*\)?s?"
    r"|\{\{.*\}\}|x{4,}|\*{3,}|\.{3,}|None|null|true|false|undefined|changeme|placeholder"
    r"|your[_\-].*|example.*|dummy.*|test|redacted)$",
    re.IGNORECASE,
)
# A bare value that reads like code (a call, attribute access, a plain identifier).
_CODE_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(.*)?$")
# An environment variable's name (TOKEN_ENV = "HEARTHD_MQTT_TOKEN", api_key_var: STRIPE_API_KEY)
# names where a credential lives, it is not one: upper-case words joined by underscores. Keys and
# tokens mix cases or run long without a separator.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]{1,15}(?:_[A-Z0-9]{1,15})+$")


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0 for an empty string)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_secret(name: str, value: str, quoted: bool) -> bool:
    """Whether ``value`` assigned to ``name`` is likely a credential rather than code/prose."""
    if _PLACEHOLDER_VALUE.match(value) or "[REDACTED:" in value:
        return False
    is_password = re.search(r"passw|pwd|passphrase", name, re.IGNORECASE) is not None
    if not quoted and _CODE_LIKE.match(value) and not any(c.isdigit() for c in value):
        return False  # token = self.next_token / password: hunter (prose)
    if is_password:
        return True
    if _ENV_NAME.match(value):
        return False
    if len(value) < 8:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    if len(value) < 12:
        return classes >= 3 and shannon_entropy(value) >= 2.8
    return classes >= 2 and shannon_entropy(value) >= 3.0


class Redactor:
    """Replaces secrets in text and nested data with ``[REDACTED:<kind>]`` placeholders."""

    def __init__(self, secrets: Iterable[str] = (), *, patterns: bool = True) -> None:
        self._secrets: set[str] = set()
        self._exact: re.Pattern[str] | None = None
        self._patterns = PATTERNS if patterns else ()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str, *, fragments: bool = False) -> None:
        """Redact this exact value (and its JSON-escaped form) wherever it appears.

        ``fragments``: also each half of a long value, for keys that providers echo partly
        masked (only for real keys: halves of an ordinary value such as a path would redact
        unrelated text)."""
        if not isinstance(value, str):
            raise TypeError(f"secret must be str, not {type(value).__name__}")
        value = value.strip()
        if len(value) < MIN_EXACT_SECRET_LENGTH:
            log.debug("ignoring a registered secret shorter than %d characters", MIN_EXACT_SECRET_LENGTH)
            return
        variants = {value, value.replace("\\", "\\\\").replace('"', '\\"')}
        if fragments and len(value) >= 2 * FRAGMENT_LENGTH:
            # Providers echo a key partly masked ("sk-abc...xyz1234"): each half alone is
            # still the user's secret.
            half = len(value) // 2
            variants |= {value[:half], value[half:]}
        if variants <= self._secrets:
            return
        self._secrets |= variants
        # Longest first so a secret containing another is replaced whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._exact = re.compile("|".join(re.escape(s) for s in ordered))

    def _redact_cut_tail(self, text: str) -> str:
        # A stream cut inside a registered secret leaves its first characters at the end.
        for secret in self._secrets:
            for size in range(min(len(secret) - 1, len(text)), MIN_EXACT_SECRET_LENGTH - 1, -1):
                if text.endswith(secret[:size]):
                    return text[:-size] + "[REDACTED:secret]"
        return text

    def add_env_secrets(self, environ: Mapping[str, str] | None = None) -> int:
        """Register the values of variables named like KEY/TOKEN/SECRET/PASSWORD; returns count."""
        environ = os.environ if environ is None else environ
        added = 0
        for name, value in environ.items():
            if SECRET_ENV_NAME.search(name) and len(value.strip()) >= MIN_EXACT_SECRET_LENGTH:
                self.add_secret(value)
                added += 1
        return added

    def redact(self, text: str) -> str:
        """``text`` with every known secret replaced by a ``[REDACTED:<kind>]`` placeholder."""
        if not text:
            return text
        if self._exact is not None:
            text = self._exact.sub("[REDACTED:secret]", text)
            text = self._redact_cut_tail(text)
        found = set(_HINT_SCAN.findall(text.lower()))  # one C-speed pass over the text
        if not found:
            return text
        present = set().union(*(_IMPLIED[h] for h in found))
        for pattern in self._patterns:
            if present.intersection(pattern.hints):
                text = pattern.regex.sub(pattern.replace, text)
        if present.intersection(_ASSIGNMENT_HINTS):
            text = _ASSIGNMENT.sub(_redact_assignment, text)
        return text

    def redact_obj(self, obj: Any) -> Any:
        """A copy of ``obj`` (dicts, lists, tuples, strings) with every string redacted.

        A string value under a secret-looking key (``{"api_key": "..."}``) is replaced whole,
        whatever its shape. Other types are returned unchanged.
        """
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            out = {}
            for key, value in obj.items():
                if (
                    isinstance(value, str)
                    and isinstance(key, str)
                    and re.fullmatch(_SECRET_NAME, key, re.IGNORECASE)
                    and value
                    and not _PLACEHOLDER_VALUE.match(value)
                    and len(value) >= 4
                ):
                    out[key] = "[REDACTED:assigned-secret]"
                else:
                    out[key] = self.redact_obj(value)
            return out
        if isinstance(obj, list):
            return [self.redact_obj(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.redact_obj(item) for item in obj)
        return obj


def _redact_assignment(match: re.Match[str]) -> str:
    group = "qvalue" if match.group("qvalue") is not None else "value"
    if not _looks_secret(match.group("name"), match.group(group), quoted=group == "qvalue"):
        return match.group(0)
    start, end = (i - match.start() for i in match.span(group))
    whole = match.group(0)
    return whole[:start] + "[REDACTED:assigned-secret]" + whole[end:]


class RedactingLogFilter(logging.Filter):
    """Rewrites each log record's final message (and traceback) through a :class:`Redactor`.

    Attached to log handlers and to third-party loggers that have handlers of their own, so no
    configured secret reaches stderr, a log file or the editor's log (R15). Never drops a record.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.redactor.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redactor.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_default = Redactor()


def default_redactor() -> Redactor:
    """The process-wide redactor: the one the server, `cairn ask`, the model layer and the
    memory store share (register exact secrets on it; it also backs :func:`redact`)."""
    return _default


def process_redactor() -> Redactor:
    """The process-wide redactor with the values of secret-named environment variables
    registered (idempotent): what every front end starts from."""
    _default.add_env_secrets()
    return _default


def redact(text: str) -> str:
    """Redact ``text`` with the process-wide default :class:`Redactor`."""
    return _default.redact(text)
