"""R15 (redaction half): canaries in 20+ formats are removed; innocent text is left alone."""

from __future__ import annotations

import json

import pytest

from cairn.memory import redaction
from cairn.memory.redaction import Redactor, redact
from cairn.memory.testing import false_positive_corpus, secret_canaries

ENV_SECRET = "q7!Shapeless-Server-Key~93"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_canary_format_is_redacted(seed):
    redactor = Redactor([ENV_SECRET])
    canaries = secret_canaries(seed, env_secret=ENV_SECRET)
    assert len({c.kind for c in canaries}) >= 20
    for canary in canaries:
        out = redactor.redact(canary.text)
        assert canary.needle not in out, (canary.kind, out)
        assert "[REDACTED:" in out, canary.kind


def test_placeholder_names_the_kind_and_keeps_context():
    out = redact("aws_access_key_id = AKIAIOSFODNN7EXAMPL2 and more")
    assert out == "aws_access_key_id = [REDACTED:aws-key] and more"
    out = redact("postgres://admin:S3cr3tPass@db.local:5432/app")
    assert out == "postgres://admin:[REDACTED:url-password]@db.local:5432/app"


def test_redaction_is_idempotent():
    redactor = Redactor([ENV_SECRET])
    for canary in secret_canaries(5, env_secret=ENV_SECRET):
        once = redactor.redact(canary.text)
        assert redactor.redact(once) == once


def test_exact_secrets_from_environment():
    redactor = Redactor(patterns=False)
    added = redactor.add_env_secrets(
        {"MY_SERVICE_TOKEN": "plainwordsecret", "PATH": "/usr/bin", "SHORT_KEY": "1"}
    )
    assert added == 1
    assert redactor.redact("use plainwordsecret now") == "use [REDACTED:secret] now"
    assert redactor.redact("/usr/bin and 1") == "/usr/bin and 1"


def test_exact_secret_json_escaped_form_is_redacted():
    secret = 'ab"cd\\ef-123456'
    redactor = Redactor([secret])
    encoded = json.dumps({"text": f"key is {secret}"})
    assert "cd\\\\ef" not in redactor.redact(encoded)
    assert "[REDACTED:secret]" in redactor.redact(encoded)


def test_short_registered_secret_is_ignored_not_applied():
    redactor = Redactor(["abc"])
    assert redactor.redact("abc abc") == "abc abc"


def test_redact_obj_walks_nested_tool_calls():
    key = "sk-proj-" + "Ab3dEfGh12" * 5
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "shell", "arguments": json.dumps({"cmd": f"export K={key}"})},
            }
        ],
        "meta": ({"password": "pw1234"}, 7, None),
    }
    out = Redactor().redact_obj(message)
    assert key not in json.dumps(out)
    assert out["meta"][0]["password"] == "[REDACTED:assigned-secret]"
    assert out["meta"][1:] == (7, None)
    assert out["tool_calls"][0]["function"]["name"] == "shell"
    assert message["tool_calls"][0]["function"]["arguments"].count(key) == 1  # input untouched


def test_code_and_prose_that_mention_secrets_are_left_alone():
    for text in [
        "def f(password=password, token=self.token): pass",
        "token = self.next_token()",
        "password = get_password()",
        "The password must be long. The token: expires soon.",
        "monkey = 'abcdefgh12345678XYZ'",
        "Bearer authentication-scheme is documented",
        "pip install scikit-learn; sk-learn-compatible-interface",
    ]:
        assert redact(text) == text


def test_false_positive_rate_is_at_most_one_percent():
    corpus = false_positive_corpus(n_per_kind=400, seed=11)
    total = changed = 0
    per_kind = {}
    for kind, items in corpus.items():
        bad = [item for item in items if redact(item) != item]
        per_kind[kind] = len(bad) / len(items)
        total += len(items)
        changed += len(bad)
    assert total >= 2000
    assert changed / total <= 0.01, per_kind
    assert all(rate <= 0.01 for rate in per_kind.values()), per_kind


def test_module_level_redact_uses_the_default_instance():
    redaction.default_redactor().add_secret("registered-default-secret-1")
    try:
        assert redact("x registered-default-secret-1 y") == "x [REDACTED:secret] y"
    finally:
        redaction._default = Redactor()  # keep other tests independent of this registration


def test_non_string_secret_is_rejected_clearly():
    with pytest.raises(TypeError):
        Redactor().add_secret(123)  # type: ignore[arg-type]


@pytest.mark.parametrize("cut", [0.35, 0.5, 0.75, 0.9])
def test_a_stream_cut_inside_a_secret_keeps_no_long_piece_of_it(cut):
    """Partial replies are stored as incomplete messages: their cut-off secrets must go too."""
    import re as _re

    redactor = Redactor([ENV_SECRET])
    for canary in secret_canaries(7, env_secret=ENV_SECRET):
        start = canary.text.index(canary.needle)
        partial = canary.text[: start + int(len(canary.needle) * cut)]
        out = redactor.redact(partial)
        piece = partial[start:]
        runs = [r for r in _re.findall(r"[A-Za-z0-9]{12,}", piece)]
        assert not any(r in out for r in runs), (canary.kind, out)


def test_a_url_ending_in_a_port_is_not_a_password():
    from cairn.memory.redaction import redact

    assert (
        redact("schema registry lives at http://schemas.orbit.svc:8081")
        == "schema registry lives at http://schemas.orbit.svc:8081"
    )
    assert "s3cr3tpass" not in redact("mysql://root:s3cr3tpass")  # a cut-off stream still hides it
    assert "hunter2" not in redact("postgres://user:hunter2@db:5432/app")


def test_the_name_of_an_environment_variable_is_not_a_secret():
    """A renamed token variable (TOKEN_ENV = "HEARTHD_MQTT_TOKEN") was stored as
    [REDACTED:assigned-secret], and memory lost the very name the user asked for next day."""
    from cairn.memory.redaction import redact

    for text in [
        'TOKEN_ENV = "HEARTHD_MQTT_TOKEN"',
        "api_key_var: STRIPE_API_KEY",
        "SECRET_NAME='AWS_SECRET_ACCESS_KEY_2'",
    ]:
        assert redact(text) == text
    assert "Zq8_X2kP_9vLm" not in redact('token = "Zq8_X2kP_9vLm4Rt7"')  # mixed case stays a secret
    assert "hunter2_PROD" not in redact('password = "hunter2_PROD"')
