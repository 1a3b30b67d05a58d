"""Typed, fully-defaulted settings, resolved once from layered sources.

Sources, lowest precedence first: built-in defaults, environment variables (``CAIRN_*``), the
editor's ``initializationOptions``, then ``workspace/configuration`` (section ``cairn``). Each
value is validated on its own: a bad value is reported as a :class:`SettingsProblem` and the
value from the layer below is kept, so one typo never discards the rest of the configuration.

Security (R16): a workspace must not be able to point the agent at another provider, swap its
key, widen its permissions or declare itself trusted. ``workspace/configuration`` carries
workspace-level values (``.vscode/settings.json``), so keys marked ``machine`` are never taken
from it and keys marked ``sensitive`` are taken from it only once the workspace is trusted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

# Where a value may come from. "machine": only the user's own environment or editor startup
# options; "sensitive": also the workspace, but only when it is trusted; "any": everywhere.
Scope = Literal["machine", "sensitive", "any"]

ShellPolicy = Literal["ask", "allow", "deny"]
LogLevel = Literal["debug", "info", "warning", "error"]


def _scope(scope: Scope, env: str | None = None) -> dict[str, Any]:
    return {"scope": scope, "env": env}


class Settings(BaseModel):
    """The resolved configuration. Every field has a default, so ``Settings()`` is valid."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")

    model: str = Field(
        default="",
        description="litellm model string (e.g. 'openai/gpt-4.1', 'ollama/qwen2.5-coder'); "
        "empty means the embedded local model when installed.",
        json_schema_extra=_scope("sensitive", "CAIRN_MODEL"),
    )
    api_base: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible or self-hosted provider.",
        json_schema_extra=_scope("sensitive", "CAIRN_API_BASE"),
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="Provider API key. Never logged, never stored.",
        json_schema_extra=_scope("sensitive", "CAIRN_API_KEY"),
    )
    action_protocol: Literal["auto", "native", "json"] = Field(
        default="auto",
        description="How the model acts: native tool calls, or JSON actions under a schema (small "
        "local models); auto picks native when litellm knows the model supports tools.",
        json_schema_extra=_scope("any", "CAIRN_ACTION_PROTOCOL"),
    )
    context_window: int | None = Field(
        default=None,
        ge=1024,
        le=10_000_000,
        description="Override of the model's context window in tokens.",
        json_schema_extra=_scope("any", "CAIRN_CONTEXT_WINDOW"),
    )
    memory_path: str | None = Field(
        default=None,
        description="SQLite file for this workspace's memory (default: a per-workspace file "
        "in the user data directory).",
        json_schema_extra=_scope("sensitive", "CAIRN_MEMORY_PATH"),
    )
    trusted: bool = Field(
        default=False,
        description="Whether the user trusts this workspace (shell, workspace skills, workspace overrides).",
        json_schema_extra=_scope("machine", "CAIRN_TRUSTED"),
    )
    shell: ShellPolicy = Field(
        default="ask",
        description="Shell commands proposed by the agent: ask each time, allow, or deny.",
        json_schema_extra=_scope("sensitive", "CAIRN_SHELL"),
    )
    shell_timeout: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="Seconds before a shell command is killed.",
        json_schema_extra=_scope("any", "CAIRN_SHELL_TIMEOUT"),
    )
    approval_timeout: float = Field(
        default=120.0,
        gt=0,
        le=86_400,
        description="Seconds to wait for the user to approve a shell command; no answer means no.",
        json_schema_extra=_scope("any", "CAIRN_APPROVAL_TIMEOUT"),
    )
    max_steps: int = Field(
        default=400,
        ge=1,
        le=100_000,
        description="Upper bound on agent steps per request.",
        json_schema_extra=_scope("any", "CAIRN_MAX_STEPS"),
    )
    request_timeout: float = Field(
        default=600.0,
        gt=0,
        le=86_400,
        description="Deadline in seconds for one model call, retries included.",
        json_schema_extra=_scope("any", "CAIRN_REQUEST_TIMEOUT"),
    )
    log_level: LogLevel = Field(
        default="info",
        description="Lowest level forwarded to the editor's log.",
        json_schema_extra=_scope("any", "CAIRN_LOG_LEVEL"),
    )

    def public_view(self) -> dict[str, Any]:
        """Settings as camelCase JSON with secrets reduced to whether they are set."""
        data = self.model_dump(by_alias=True, mode="json")
        data["apiKey"] = "set" if self.api_key and self.api_key.get_secret_value() else "not set"
        return data


@dataclass(frozen=True)
class SettingsProblem:
    """One rejected or ignored value, reported to the user instead of raising."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.message}"


@dataclass(frozen=True)
class ResolvedSettings:
    """Settings plus where each non-default value came from and what was rejected."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)
    problems: tuple[SettingsProblem, ...] = ()


# Layer names, lowest precedence first. Only the last one is workspace-controlled.
DEFAULTS = "default"
ENVIRONMENT = "environment"
INIT_OPTIONS = "initializationOptions"
WORKSPACE_CONFIG = "workspace/configuration"

_FIELDS = Settings.model_fields
_ALIAS_TO_NAME = {(info.alias or name): name for name, info in _FIELDS.items()}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _extra(name: str) -> dict[str, Any]:
    extra = _FIELDS[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def env_layer(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the ``CAIRN_*`` variables that map to settings (strings; validated later)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in _FIELDS:
        var = _extra(name).get("env")
        if var and var in environ:
            raw = environ[var]
            if name == "trusted":
                lowered = raw.strip().lower()
                values[name] = True if lowered in _TRUE else False if lowered in _FALSE else raw
            else:
                values[name] = raw
    return values


def _admissible(name: str, source: str, trusted: bool) -> str | None:
    """Why ``source`` may not set ``name``, or None when it may."""
    if source != WORKSPACE_CONFIG:
        return None
    scope = _extra(name).get("scope", "any")
    if scope == "machine":
        return "can only be set by the user (environment or editor start-up options)"
    if scope == "sensitive" and not trusted:
        return "ignored until the workspace is trusted"
    return None


def _validate_one(name: str, value: Any) -> Any:
    """Validate one field in isolation, including the field's own constraints."""
    checked = Settings.model_validate({name: value})  # runs the field's ge/le/Literal checks
    return getattr(checked, name)


def resolve(layers: list[tuple[str, Mapping[str, Any] | None]]) -> ResolvedSettings:
    """Merge ``layers`` (lowest precedence first) into settings, collecting problems.

    Keys may be camelCase (editor JSON) or snake_case. ``trusted`` is decided from the
    non-workspace layers first, because it gates what the workspace layer may set.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[SettingsProblem] = []

    normalized: list[tuple[str, dict[str, Any]]] = []
    for source, raw in layers:
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            problems.append(SettingsProblem(source, "*", "expected an object of settings"))
            continue
        layer: dict[str, Any] = {}
        for key, value in raw.items():
            name = _ALIAS_TO_NAME.get(key, key if key in _FIELDS else None)
            if name is None:
                problems.append(SettingsProblem(source, str(key), "unknown setting, ignored"))
                continue
            layer[name] = value
        normalized.append((source, layer))

    trusted = False
    for source, layer in normalized:
        if "trusted" in layer and source != WORKSPACE_CONFIG:
            try:
                trusted = bool(_validate_one("trusted", layer["trusted"]))
            except ValidationError:
                pass

    for source, layer in normalized:
        for name, value in layer.items():
            if value is None and _FIELDS[name].default is not None:
                continue  # editors send null for "unset": keep the lower layer
            reason = _admissible(name, source, trusted)
            if reason:
                problems.append(SettingsProblem(source, _FIELDS[name].alias or name, reason))
                continue
            try:
                values[name] = _validate_one(name, value)
                sources[name] = source
            except ValidationError as exc:
                message = "; ".join(err["msg"] for err in exc.errors()) or str(exc)
                shown = "<hidden>" if name == "api_key" else repr(value)[:80]
                problems.append(
                    SettingsProblem(
                        source, _FIELDS[name].alias or name, f"{message} (got {shown}); default kept"
                    )
                )

    return ResolvedSettings(Settings(**values), sources, tuple(problems))


def describe_fields() -> list[dict[str, Any]]:
    """One row per setting (for the README, `cairn status` and client manifests)."""
    rows = []
    for name, info in _FIELDS.items():
        default = info.default
        rows.append(
            {
                "key": info.alias or name,
                "env": _extra(name).get("env"),
                "scope": _extra(name).get("scope", "any"),
                "default": default.get_secret_value() if isinstance(default, SecretStr) else default,
                "description": info.description or "",
            }
        )
    return rows
