"""Fixtures for the model layer: a fake OpenAI-compatible server and fast-retrying clients."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.server.agent.model import ModelClient, ModelConfig, load_litellm
from cairn.server.agent.retry import RetryPolicy

FAST_RETRIES = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=6, jitter=0.0)


@pytest.fixture(scope="session", autouse=True)
def litellm_loaded() -> None:
    """Import litellm once for the whole session (it takes seconds)."""
    load_litellm()


@pytest.fixture(autouse=True)
def no_env_script(monkeypatch) -> None:
    """Tests drive the scripted model explicitly, never through an inherited environment."""
    monkeypatch.delenv("CAIRN_SCRIPT", raising=False)
    monkeypatch.delenv("CAIRN_SCRIPT_RECORD", raising=False)


@pytest.fixture
def scripted_client():
    """``scripted_client(**config)`` -> a ModelClient on the scripted provider, fast retries."""

    def make(**overrides: Any) -> ModelClient:
        config = {"model": "scripted/test", "request_timeout": 5.0, **overrides}
        return ModelClient(ModelConfig(**config), retry_policy=FAST_RETRIES)

    return make


@pytest.fixture
def openai_client(fake_openai):
    """``openai_client(**config)`` -> a ModelClient for ``openai/fake-model`` on the fake server."""

    def make(**overrides: Any) -> ModelClient:
        config = {
            "model": "openai/fake-model",
            "api_base": fake_openai.api_base,
            "api_key": "sk-placeholder-key-000",
            "request_timeout": 5.0,
            **overrides,
        }
        return ModelClient(ModelConfig(**config), retry_policy=FAST_RETRIES)

    return make
