"""R20 at this layer: importing the adapter is cheap and offline; litellm never talks."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import ScriptedModel

# Runs in a fresh interpreter: every socket connect is refused and recorded.
PROBE = textwrap.dedent("""
    import json, socket, sys, time
    attempts = []
    def refuse(self, address, *args):
        attempts.append(repr(address))
        raise OSError("network disabled in this test")
    socket.socket.connect = refuse
    socket.create_connection = lambda address, *a, **k: refuse(None, address)
    started = time.perf_counter()
    from cairn.server.agent import model
    client = model.ModelClient(model.ModelConfig(model="openai/gpt-4o", api_key="sk-x"))
    client.describe()
    import_seconds = time.perf_counter() - started
    imported_early = "litellm" in sys.modules
    model.load_litellm()
    client.count_tokens("hello world")
    client.context_window()
    client.action_protocol
    print(json.dumps({"imported_early": imported_early, "attempts": attempts,
                      "import_seconds": import_seconds,
                      "window": client.context_window()}), file=sys.stderr)
""")


def test_adapter_import_is_lazy_and_nothing_touches_the_network():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM")}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["imported_early"] is False  # building a client does not import litellm
    assert result["attempts"] == []  # no network at import nor for offline lookups
    assert result["window"] == 128000  # from litellm's bundled map, not a download
    assert done.stdout == ""  # stdout is the server's JSON-RPC channel


def test_no_model_configured_and_none_installed_says_how_to_configure(monkeypatch):
    from cairn.server.agent.local import catalog

    monkeypatch.setattr(catalog, "installed_local_models", lambda: [])
    client = ModelClient(ModelConfig(model=""))
    described = client.describe()
    assert described["model"] == "" and "CAIRN_MODEL" in described["problem"]
    assert "cairn-lsp[local]" in described["problem"]


def test_key_never_in_repr_or_describe(scripted_client):
    key = "sk-ant-api03-canaryKEY-0123456789abcdef"
    config = ModelConfig(model="scripted/t", api_key=key)
    assert key not in repr(config)
    assert key not in json.dumps(scripted_client(api_key=key).describe())


async def test_key_scrubbed_from_litellm_and_adapter_logs(scripted_client, caplog):
    from cairn.server.agent.errors import ModelConfigError

    key = "zz9-plural-z-alpha-canary-0123456789"  # a shape litellm's own redaction misses
    caplog.set_level(logging.DEBUG)
    client = scripted_client(api_key=key)
    with ScriptedModel(turns=[{"error": "auth", "message": f"Incorrect API key {key}"}]):
        try:
            await client.reply([{"role": "user", "content": "hi"}])
        except ModelConfigError as exc:
            assert key not in exc.user_message and key not in (exc.detail or "")
    logging.getLogger("LiteLLM").warning("provider said: %s", key)  # litellm's own logger
    logging.getLogger("LiteLLM").warning("masked echo: %s...", key[: len(key) // 2])
    assert "provider said: [REDACTED:secret]" in caplog.text  # the one redactor's marker
    assert "masked echo: [REDACTED:secret]..." in caplog.text
    assert key not in caplog.text


def test_from_settings_unwraps_the_secret():
    from cairn.server.settings import Settings

    settings = Settings(
        model=" openai/gpt-4o ",
        api_key="sk-secret-value-1234",
        api_base="http://127.0.0.1:9/v1",
        request_timeout=30,
    )
    config = ModelConfig.from_settings(settings)
    assert config.model == "openai/gpt-4o" and config.api_key == "sk-secret-value-1234"
    assert config.api_base == "http://127.0.0.1:9/v1" and config.request_timeout == 30
    assert config.action_protocol == "auto" and config.context_window is None
    assert "sk-secret" not in repr(config)
