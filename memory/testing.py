"""Deterministic test material for memory and for the rest of Cairn (no network, no model).

- :func:`secret_canaries`: one fresh, realistic-looking secret per format (R15). Other parts of
  Cairn use the same canaries to check requests sent to the model and the logs.
- :func:`false_positive_corpus`: strings that must survive redaction untouched (git SHAs,
  sha256 hashes, UUIDs, base64 of ordinary text, prose, code).
- :class:`FakeTextModel`: a :class:`~cairn.memory.ports.TextModel` that answers from a function
  and records every call, so tests can count summarisations.
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

_B62 = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Canary:
    """A planted secret: ``text`` is what gets written, ``needle`` must never be found again."""

    kind: str
    text: str
    needle: str


def _rand(rng: random.Random, n: int, alphabet: str = _B62) -> str:
    # Always include a digit and both cases so shape-checking patterns see a realistic key.
    body = [rng.choice(alphabet) for _ in range(n)]
    if alphabet == _B62 and n >= 3:
        body[0], body[1], body[2] = rng.choice("ABCDEFGH"), rng.choice("abcdefgh"), rng.choice("23456789")
    return "".join(body)


def secret_canaries(seed: int = 0, env_secret: str | None = None) -> list[Canary]:
    """Canaries in 20+ formats, each embedded in a realistic line of text.

    ``env_secret`` (optional) is a value registered as an exact secret (e.g. the configured API
    key); it is planted as a shapeless value that only exact-match redaction can catch.
    """
    rng = random.Random(seed)
    upper = string.ascii_uppercase + string.digits
    hexd = "0123456789abcdef"
    items: list[tuple[str, str, str]] = []  # kind, text, needle

    def add(kind: str, secret: str, template: str = "{}", needle: str | None = None) -> None:
        items.append((kind, template.format(secret), needle or secret))

    add("anthropic", "sk-ant-api03-" + _rand(rng, 80), "ANTHROPIC_API_KEY={}")
    add("openai-project", "sk-proj-" + _rand(rng, 60), "export OPENAI_API_KEY='{}'")
    add("openai", "sk-" + _rand(rng, 48), 'client = OpenAI(api_key="{}")')
    add("google", "AIza" + _rand(rng, 35), "maps url ?key={}&q=paris")
    add("huggingface", "hf_" + _rand(rng, 34), "huggingface-cli login --token {}")
    add("github-pat", "github_pat_11" + _rand(rng, 20) + "_" + _rand(rng, 59), "GH_TOKEN={}")
    add("github-ghp", "ghp_" + _rand(rng, 36), "git remote set-url origin https://x:{}@github.com/a/b")
    add("github-gho", "gho_" + _rand(rng, 36), "oauth token {} in the log")
    add("aws-access-key", "AKIA" + "".join(rng.choice(upper) for _ in range(16)), "aws_access_key_id = {}")
    add("aws-secret-key", _rand(rng, 30) + "/" + _rand(rng, 9), "aws_secret_access_key = {}")
    add(
        "slack",
        "xoxb-" + "".join(rng.choice(string.digits) for _ in range(12)) + "-" + _rand(rng, 24),
        "SLACK_BOT_TOKEN: {}",
    )
    add("stripe", "sk_live_" + _rand(rng, 32), "stripe.api_key = '{}'")
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    payload = (
        base64.urlsafe_b64encode(('{"sub":"' + _rand(rng, 12) + '","name":"canary"}').encode())
        .rstrip(b"=")
        .decode()
    )
    add(
        "jwt",
        f"{header}.{payload}.{_rand(rng, 43, _B62 + '-_')}",
        "curl -H 'Cookie: session={}' http://127.0.0.1:8000/",
    )
    pem_body = "\n".join(_rand(rng, 64, _B62 + "+/") for _ in range(6))
    items.append(
        (
            "pem-private-key",
            f"cat id_rsa\n-----BEGIN OPENSSH PRIVATE KEY-----\n{pem_body}\n"
            "-----END OPENSSH PRIVATE KEY-----\n",
            pem_body.splitlines()[2],
        )
    )
    add("url-password", "P4ss" + _rand(rng, 14), "DATABASE_URL=postgres://app:{}@db.internal:5432/app")
    add(
        "connection-string",
        "Pw" + _rand(rng, 14),
        "Server=tcp:db,1433;Database=app;User Id=sa;Password={};Encrypt=true",
    )
    add("bearer", _rand(rng, 40, _B62 + "._-"), "Authorization: Bearer {}")
    add("generic-assignment", _rand(rng, 32), 'config.yaml:\n  client_secret: "{}"')
    add("gitlab", "glpat-" + _rand(rng, 20), "CI_JOB_TOKEN glpat: {}")
    add("npm", "npm_" + _rand(rng, 36), "//registry.npmjs.org/:_authToken={}")
    add("sendgrid", "SG." + _rand(rng, 22) + "." + _rand(rng, 43), "mail key {}")
    add("digitalocean", "dop_v1_" + "".join(rng.choice(hexd) for _ in range(64)), "doctl auth {}")
    add("password-assignment", "hunter" + _rand(rng, 6), "DB_PASSWORD='{}'")
    if env_secret:
        add("exact-env-secret", env_secret, "the server was started with {} as its key")
    return [Canary(kind, text, needle) for kind, text, needle in items]


_WORDS = (
    "the build failed because the cache was stale and the migration ran twice so we rolled "
    "back and added a lock around the schema upgrade then the tests passed again on both "
    "machines while the editor kept its session open and memory stayed consistent across "
    "restarts of the language server process with its background writer"
).split()

_PROSE_TEMPLATES = (
    "The token count was {n} after compaction.",
    "Please keep the secret of good tests: they must be able to fail.",
    "Password rules: at least twelve characters, and the key idea is entropy.",
    "We use a key-value store; the primary key is the session id.",
    "Bearer of bad news: the {w} step is slow.",
    "The API key must never be logged, so we redact it before {w}.",
    "Monkey patching the tokenizer fixed {w}.",
    "She said the password was in the vault, not in the repo.",
)


def false_positive_corpus(n_per_kind: int = 200, seed: int = 0) -> dict[str, list[str]]:
    """Innocent strings grouped by kind; redaction must leave (almost) all of them unchanged."""
    rng = random.Random(seed)
    corpus: dict[str, list[str]] = {
        k: [] for k in ("git-sha", "sha256", "uuid", "base64-text", "prose", "code")
    }
    for i in range(n_per_kind):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 16)))
        sha = hashlib.sha1(f"{seed}-{i}".encode()).hexdigest()
        corpus["git-sha"].append(
            rng.choice(["commit {}", "Merge {} into main", "git checkout {}", "fixed in {}", "{}"]).format(
                sha if rng.random() < 0.7 else sha[:12]
            )
        )
        digest = hashlib.sha256(words.encode()).hexdigest()
        corpus["sha256"].append(
            rng.choice(["sha256:{}", "{}  dist/cairn.whl", "checksum {}", 'digest = "{}"']).format(digest)
        )
        corpus["uuid"].append(
            rng.choice(["session {}", "id={}", "request_id: {}", "{}"]).format(
                uuid.UUID(int=rng.getrandbits(128), version=4)
            )
        )
        corpus["base64-text"].append(base64.b64encode(words.encode()).decode())
        corpus["prose"].append(
            rng.choice(_PROSE_TEMPLATES).format(n=rng.randint(1, 99999), w=rng.choice(_WORDS))
            + " "
            + words.capitalize()
            + "."
        )
        corpus["code"].append(
            rng.choice(
                [
                    "def refresh_token(self, token): return self.client.refresh(token)",
                    "password = getpass.getpass()",
                    "key = (path, mtime)",
                    "for key, value in sorted(items.items()):",
                    "tokens = tokenizer.encode(text)",
                    "secret_name = settings.secret_name",
                    f"max_tokens={rng.randint(16, 8192)}",
                    "cache_key = f'{user}:{path}'",
                    "if not api_key: raise ValueError('missing key')",
                    "connect(host=host, password=password, timeout=5)",
                ]
            )
        )
    return corpus


@dataclass
class FakeTextModel:
    """A deterministic ``TextModel``: ``reply(messages) -> str``; every call is recorded."""

    reply: Callable[[list[dict]], str] = lambda messages: "Work continues as planned."
    calls: list[list[dict]] = field(default_factory=list)

    async def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        """Record the call and answer with ``reply(messages)``."""
        self.calls.append(messages)
        return self.reply(messages)
