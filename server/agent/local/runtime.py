"""Runs the embedded model with llama-cpp-python: loaded on first use, one generation at a time.

Everything here blocks and must run in a worker thread. Generation stops promptly when the
caller's ``cancel`` event is set: a logits processor (called before every sampled token) raises,
and llama.cpp's abort callback interrupts a long prompt evaluation between graph nodes.
Decoding is greedy (temperature 0) unless a request asks for sampling, always with a seed: the
same request gives the same answer.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cairn.server.agent.local.catalog import LocalModelSpec
from cairn.server.agent.local.weights import ensure_weights

logger = logging.getLogger(__name__)


class GenerationCancelled(Exception):
    """The caller cancelled the generation."""


class PromptTooLong(Exception):
    """The prompt does not fit the model's context window."""


@dataclass
class GenerationStats:
    """Token counts of one generation, filled in while it runs."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Generation:
    """One request to the embedded model."""

    messages: list[dict]
    max_tokens: int
    json_schema: dict | None = None
    temperature: float = 0.0  # above 0: sampled with ``seed``, so still reproducible
    seed: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    stats: GenerationStats = field(default_factory=GenerationStats)


def physical_cores() -> int:
    """Physical CPU cores (hyper-threads slow llama.cpp down); falls back to logical CPUs."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return max(1, os.cpu_count() or 1)
    cores = set()
    physical = core = None
    for line in text.splitlines() + [""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            physical = value.strip()
        elif key == "core id":
            core = value.strip()
        elif not line.strip():
            if core is not None:
                cores.add((physical, core))
            physical = core = None
    return len(cores) or max(1, os.cpu_count() or 1)


class LocalRuntime:
    """One loaded embedded model. Thread-safe: generations are serialised by a lock."""

    def __init__(self, spec: LocalModelSpec, *, n_threads: int | None = None) -> None:
        self.spec = spec
        self.n_threads = n_threads or physical_cores()
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._current_cancel: threading.Event | None = None  # read by the abort callback
        self._abort_callback: Any = None  # keep the ctypes callback alive while the model lives

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._llama is not None

    def load(self) -> Any:
        """Assemble/verify the weights and load the model (once)."""
        with self._load_lock:
            if self._llama is None:
                from llama_cpp import Llama

                path = ensure_weights(self.spec)
                self._llama = Llama(
                    model_path=str(path),
                    n_ctx=self.spec.n_ctx,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    use_mmap=True,
                    seed=0,
                    verbose=False,
                )
                self._install_abort_callback()
        return self._llama

    def _install_abort_callback(self) -> None:
        try:
            import llama_cpp

            def should_abort(_data: object) -> bool:
                current = self._current_cancel
                return current is not None and current.is_set()

            self._abort_callback = llama_cpp.ggml_abort_callback(should_abort)
            llama_cpp.llama_set_abort_callback(self._llama._ctx.ctx, self._abort_callback, None)
        except Exception:  # only costs prompt-time cancellation latency
            logger.warning("llama.cpp abort callback unavailable; cancelling waits for the prompt")

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the model's own tokenizer (loads the model)."""
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, request: Generation) -> Iterator[dict]:
        """Yield llama-cpp chat chunks for ``request`` (raises GenerationCancelled/PromptTooLong)."""
        llama = self.load()
        while not self._run_lock.acquire(timeout=0.1):
            if request.cancel.is_set():
                raise GenerationCancelled()
        try:
            self._current_cancel = request.cancel
            watcher = _CancelWatcher(request)
            try:
                chunks = llama.create_chat_completion(
                    messages=request.messages,
                    stream=True,
                    temperature=request.temperature,
                    seed=request.seed,
                    max_tokens=request.max_tokens,
                    grammar=_grammar(request.json_schema),
                    logits_processor=[watcher],
                )
                try:
                    yield from chunks
                finally:
                    chunks.close()  # a consumer that stops early ends the generation here
            except ValueError as exc:
                if "exceed context window" in str(exc):
                    raise PromptTooLong(str(exc)) from None
                raise
            except RuntimeError as exc:
                if request.cancel.is_set():  # llama_decode aborted by our callback
                    raise GenerationCancelled() from None
                raise exc
        finally:
            self._current_cancel = None
            self._run_lock.release()


class _CancelWatcher:
    """A logits processor that counts tokens and stops generation when cancelled."""

    def __init__(self, request: Generation) -> None:
        self._request = request

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        stats = self._request.stats
        if stats.completion_tokens == 0:
            stats.prompt_tokens = len(input_ids)
        stats.completion_tokens += 1
        if self._request.cancel.is_set():
            raise GenerationCancelled()
        return scores


@cache
def _grammar_from_text(schema_text: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_text, verbose=False)


def _grammar(schema: dict | None) -> Any:
    """A llama.cpp grammar for ``schema``; the plain JSON grammar if the schema is too complex."""
    if schema is None:
        return None
    try:
        return _grammar_from_text(json.dumps(schema, sort_keys=False))
    except Exception:  # unsupported schema features
        logger.warning("schema not expressible as a grammar; constraining to plain JSON")
        from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)


@cache
def runtime_for(spec: LocalModelSpec) -> LocalRuntime:
    """The process-wide runtime of ``spec`` (the model is loaded on its first generation)."""
    return LocalRuntime(spec)
