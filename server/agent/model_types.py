"""The value types of the model adapter: configuration, tool calls, usage and replies.

They are re-exported by ``model.py`` (import them from there); kept apart so the adapter module
stays about calling models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

ActionProtocol = Literal["auto", "native", "json"]
ACTION_PROTOCOLS: dict[str, ActionProtocol] = {"auto": "auto", "native": "native", "json": "json"}


@dataclass(frozen=True)
class ModelConfig:
    """Which model to call and how; built from settings with :meth:`from_settings`."""

    model: str  # litellm model string; "" = embedded local model if installed
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never logged, never in repr
    context_window: int | None = None  # override
    request_timeout: float = 600.0  # ONE deadline for a call, retries included
    max_output_tokens: int = 4096
    # Extensions: "auto" picks native tool calls when litellm says the model supports them.
    action_protocol: ActionProtocol = "auto"
    # Seconds without any stream data before an attempt counts as stalled (None: deadline / 3).
    stall_timeout: float | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> ModelConfig:
        """Build from ``cairn.server.settings.Settings`` (duck-typed; SecretStr unwrapped)."""
        key = getattr(settings, "api_key", None)
        if key is not None and hasattr(key, "get_secret_value"):
            key = key.get_secret_value()
        # Settings already validated it; anything else falls back to the default, like a bad setting.
        protocol = ACTION_PROTOCOLS.get(getattr(settings, "action_protocol", "auto"), "auto")
        return cls(
            model=(getattr(settings, "model", "") or "").strip(),
            api_base=getattr(settings, "api_base", None) or None,
            api_key=key or None,
            context_window=getattr(settings, "context_window", None),
            request_timeout=float(getattr(settings, "request_timeout", 600.0)),
            max_output_tokens=int(getattr(settings, "max_output_tokens", 4096)),
            action_protocol=protocol,
        )

    def effective_stall_timeout(self) -> float:
        """Inactivity limit for one attempt (a third of the deadline unless set)."""
        return self.stall_timeout if self.stall_timeout else self.request_timeout / 3


@dataclass(frozen=True)
class ToolCall:
    """One action the model asked for. ``arguments`` is already JSON-decoded."""

    id: str
    name: str
    arguments: dict
    # Extension: set when the model's argument text was not a JSON object (arguments is then {}),
    # so the loop can tell the model instead of running the tool with nothing.
    arguments_error: str | None = None

    def as_json(self) -> dict:
        """The call in the OpenAI message format (arguments as a JSON string)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


@dataclass(frozen=True)
class Usage:
    """Token counts of one call; ``cost_usd`` is None when the price is unknown."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class ModelReply:
    """A complete reply: only built once the stream delivered its finish reason."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    usage: Usage

    def as_message(self) -> dict:
        """The OpenAI-format assistant message (tool-call arguments as JSON strings)."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [call.as_json() for call in self.tool_calls]
        return message
