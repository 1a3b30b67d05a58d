"""Default-model resolution, warm-up, and a reduced run of the overhead bench's own code."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from cairn.server.agent.local import catalog
from cairn.server.agent.model import (
    FALLBACK_CONTEXT_WINDOW,
    ModelClient,
    ModelConfig,
    resolve_default_model,
    warm_up,
)

BENCH = Path(__file__).resolve().parents[3] / "bench" / "model_overhead.py"


def test_configured_model_wins():
    assert resolve_default_model("  anthropic/claude-sonnet-4-5 ") == ("anthropic/claude-sonnet-4-5", None)


def test_embedded_model_is_the_default_when_installed(monkeypatch):
    monkeypatch.setattr(catalog, "installed_local_models", lambda: [catalog.QWEN_15B])
    assert resolve_default_model("") == ("cairn-local/qwen2.5-coder-1.5b", None)
    client = ModelClient(ModelConfig(model=""))
    assert client.embedded and client.action_protocol == "json"
    assert client.context_window() == catalog.QWEN_15B.n_ctx


def test_without_runtime_nothing_counts_as_installed(monkeypatch):
    monkeypatch.setattr(catalog, "runtime_installed", lambda: False)
    assert catalog.installed_local_models() == []
    model, message = resolve_default_model("")
    assert model == "" and "cairn.model" in message


def test_protocol_choice():
    assert ModelClient(ModelConfig(model="openai/gpt-4o")).action_protocol == "native"
    assert ModelClient(ModelConfig(model="openai/my-local-server")).action_protocol == "json"
    assert ModelClient(ModelConfig(model="ollama/qwen2.5-coder")).action_protocol == "json"
    assert ModelClient(ModelConfig(model="openai/gpt-4o", action_protocol="json")).action_protocol == "json"
    assert ModelClient(ModelConfig(model="ollama/x")).context_window() == FALLBACK_CONTEXT_WINDOW


def test_token_counting_is_offline_and_monotonic():
    client = ModelClient(ModelConfig(model="openai/gpt-4o"))
    short = client.count_tokens("hello")
    long = client.count_tokens("hello " * 100)
    assert 0 < short < long
    assert client.count_tokens([{"role": "user", "content": "hello " * 100}]) >= long


async def test_warm_up_is_idempotent():
    await warm_up()
    await warm_up()
    assert "litellm" in sys.modules


async def test_overhead_bench_runs_reduced():
    spec = importlib.util.spec_from_file_location("model_overhead_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = await bench.measure(3)
    assert set(figures) == {"direct_ms", "bare_ms", "litellm_ms"}
    assert all(value > 0 for value in figures.values())
