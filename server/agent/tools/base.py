"""Tools as plain typed async functions, their generated JSON schema, and the registry.

A tool is ``async def name(ctx: ToolContext, arg: type = default, ...) -> str | ToolResult``
with a Google-style docstring: the summary becomes the tool's description and the ``Args:``
entries describe the parameters. `Tool.from_function` builds a pydantic model from the
signature (``ctx`` excluded), which both produces the JSON schema sent to the model and
validates the arguments the model sends back (in pydantic's lax mode, so ``"5"`` is a fine
integer). `ToolRegistry.call` never raises for a model mistake: unknown tools, bad JSON, bad
arguments and `ToolError`/`OSError` from the tool all become error results the agent can read.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import docstring_parser
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from cairn.server.agent.tools.errors import MissingPath, PathNotFound, ToolError

if typing.TYPE_CHECKING:
    from cairn.server.agent.tools.context import ToolContext

log = logging.getLogger(__name__)

DEFAULT_MAX_OUTPUT_CHARS = 30_000
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what OpenAI-style providers accept


@dataclass(frozen=True)
class ToolResult:
    """What the model sees from a tool call; ``data`` carries structured extras for the host."""

    content: str
    is_error: bool = False
    data: Any = None


def error_result(message: str, data: Any = None) -> ToolResult:
    """An error result (the agent reads ``message`` and may retry)."""
    return ToolResult(message, is_error=True, data=data)


def truncate_middle(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its head and tail, with a note."""
    if len(text) <= limit:
        return text
    keep = max(limit - 100, 0)
    head, tail = text[: keep * 2 // 3], text[len(text) - keep // 3 :] if keep else ""
    omitted = len(text) - len(head) - len(tail)
    return f"{head}\n[... {omitted:,} characters truncated ...]\n{tail}"


ToolFunction = Callable[..., Awaitable["str | ToolResult"]]


@dataclass(frozen=True)
class Tool:
    """A named tool: description, JSON schema of its parameters, and the function to call."""

    name: str
    description: str
    parameters_schema: dict[str, Any]
    func: ToolFunction
    arguments_model: type[BaseModel]
    # Changes the workspace (an edit, a command): later reads may see something new.
    mutating: bool = False

    @classmethod
    def from_function(
        cls,
        func: ToolFunction,
        *,
        name: str | None = None,
        description: str | None = None,
        mutating: bool = False,
    ) -> Tool:
        """Build a tool from ``async def f(ctx, ...)``; its schema comes from the signature.

        Raises `TypeError` for functions that cannot be tools (not async, no ``ctx`` first,
        unannotated parameters, ``*args``/``**kwargs``, no docstring, an invalid name).
        """
        tool_name = name or func.__name__
        if not _TOOL_NAME.fullmatch(tool_name):
            raise TypeError(f"tool name {tool_name!r} must match {_TOOL_NAME.pattern}")
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"tool {tool_name!r} must be an async function")
        doc = docstring_parser.parse(inspect.getdoc(func) or "")
        model = _arguments_model(func, tool_name, doc)
        # `doc.description`, not short + long joined: a summary sentence wrapped over two lines
        # is split there by the parser, and the compact form keeps only the first part.
        text = description or unwrap(doc.description or "")
        if not text:
            raise TypeError(f"tool {tool_name!r} needs a docstring: it is the model's only guide")
        return cls(tool_name, text, _clean_schema(model.model_json_schema()), func, model, mutating)

    def spec(self, *, compact: bool = False) -> dict[str, Any]:
        """The OpenAI function-tool form of this tool.

        ``compact``: the description's first paragraph and each parameter's first sentence
        (every name, type, bound and default kept), for windows too small for the manual."""
        description, parameters = self.description, self.parameters_schema
        if compact:
            description = first_paragraph(description)
            parameters = _compact_schema(parameters)
        return {
            "type": "function",
            "function": {"name": self.name, "description": description, "parameters": parameters},
        }


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def first_paragraph(text: str) -> str:
    """What a description says before its first blank line."""
    return _PARAGRAPH_BREAK.split(text.strip(), maxsplit=1)[0]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`])")


def _compact_schema(node: Any) -> Any:
    """A parameters schema said in fewer tokens: descriptions cut to their first sentence, an
    optional parameter's ``anyOf [X, null]`` and ``default: null`` said as X (leaving it out
    means the same), no ``additionalProperties`` (the registry refuses unknown arguments)."""
    if isinstance(node, list):
        return [_compact_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = [option for option in options if option != {"type": "null"}]
        del node["anyOf"]
        node = {**kept, **node}
        if node.get("default", 0) is None:
            del node["default"]
    node.pop("additionalProperties", None)
    out = {}
    for key, value in node.items():
        if key == "description" and isinstance(value, str):
            out[key] = _SENTENCE_END.split(value.strip(), maxsplit=1)[0]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _compact_schema(prop) for name, prop in value.items()}
        else:
            out[key] = _compact_schema(value)
    return out


def unwrap(text: str) -> str:
    """Docstring text with hard line wraps joined (paragraph breaks kept)."""
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _arguments_model(func: ToolFunction, tool_name: str, doc: docstring_parser.Docstring) -> type[BaseModel]:
    params = list(inspect.signature(func).parameters.values())
    if not params or params[0].name != "ctx":
        raise TypeError(f"tool {tool_name!r}: the first parameter must be 'ctx: ToolContext'")
    hints = _parameter_types(func, params[1:])
    described = {p.arg_name: unwrap(p.description) for p in doc.params if p.description}
    fields: dict[str, Any] = {}
    for param in params[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise TypeError(f"tool {tool_name!r}: parameter {param.name!r} must be named")
        if param.name not in hints:
            raise TypeError(f"tool {tool_name!r}: parameter {param.name!r} needs a type")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints[param.name], Field(default, description=described.get(param.name)))
    return create_model(f"{tool_name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


def _parameter_types(func: ToolFunction, params: list[inspect.Parameter]) -> dict[str, Any]:
    """Resolved annotations of ``params``; ``ctx`` is skipped so it may be a TYPE_CHECKING import."""
    holder = types.SimpleNamespace(
        __annotations__={p.name: p.annotation for p in params if p.annotation is not p.empty}
    )
    namespace = getattr(inspect.unwrap(func), "__globals__", {})
    return typing.get_type_hints(holder, globalns=namespace, include_extras=True)


def _clean_schema(node: Any) -> Any:
    """Drop pydantic's generated ``title`` annotations (noise in the model's context)."""
    if isinstance(node, dict):
        return {
            key: (
                {k: _clean_schema(v) for k, v in value.items()}
                if key == "properties"
                else _clean_schema(value)
            )
            for key, value in node.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_clean_schema(item) for item in node]
    return node


class ToolRegistry:
    """An ordered, composable set of tools with one entry point for calls.

    ``max_output_chars`` caps what one call returns to the model (head and tail are kept).
    """

    def __init__(
        self, tools: Iterable[Tool] = (), *, max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS
    ) -> None:
        self._tools: dict[str, Tool] = {}
        self.max_output_chars = max_output_chars
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            self._tools[tool.name] = tool

    def __iter__(self):
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, or None."""
        return self._tools.get(name)

    def is_mutating(self, name: str) -> bool:
        """Whether the tool called ``name`` changes the workspace (unknown names do not)."""
        tool = self._tools.get(name)
        return tool is not None and tool.mutating

    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._tools)

    def specs(self, *, compact: bool = False) -> list[dict[str, Any]]:
        """Every tool in the OpenAI function-tool format (``compact``: see `Tool.spec`)."""
        return [tool.spec(compact=compact) for tool in self._tools.values()]

    def merged(self, *others: ToolRegistry | Iterable[Tool]) -> ToolRegistry:
        """A new registry with this one's tools then the others' (names must stay unique)."""
        tools = list(self)
        for other in others:
            tools.extend(other)
        return ToolRegistry(tools, max_output_chars=self.max_output_chars)

    def without(self, *names: str) -> ToolRegistry:
        """A new registry lacking ``names`` (e.g. no ``run_command`` in untrusted workspaces)."""
        return ToolRegistry((t for t in self if t.name not in names), max_output_chars=self.max_output_chars)

    async def call(
        self, name: str, arguments: Mapping[str, Any] | str | None, ctx: ToolContext
    ) -> ToolResult:
        """Validate ``arguments`` (a dict or its JSON text), run the tool, cap its output."""
        tool = self._tools.get(name)
        if tool is None:
            return error_result(
                f"Unknown tool {name!r}. Available tools: {', '.join(self._tools) or 'none'}."
            )
        parsed = _parse_arguments(tool, arguments)
        if isinstance(parsed, ToolResult):
            return parsed
        try:
            output = await tool.func(ctx, **parsed)
        except PathNotFound as exc:  # the loop remembers it (an answer may not state it as fact)
            return error_result(str(exc), data=MissingPath(exc.path))
        except ToolError as exc:
            return error_result(str(exc))
        except OSError as exc:
            log.debug("tool %s failed with %r", name, exc)
            return error_result(f"{name} failed: {exc.strerror or exc}")
        result = output if isinstance(output, ToolResult) else ToolResult(str(output))
        content = _valid_unicode(result.content)
        if content is not result.content:
            result = ToolResult(content, result.is_error, result.data)
        limit = self.max_output_chars
        if ctx is not None and ctx.output_chars:
            limit = min(limit, ctx.output_chars)
        if len(result.content) > limit:
            result = ToolResult(truncate_middle(result.content, limit), result.is_error, result.data)
        return result


def _valid_unicode(text: str) -> str:
    """``text``, or a copy with lone surrogates (undecodable file names) replaced by '?'."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _parse_arguments(tool: Tool, arguments: Mapping[str, Any] | str | None) -> dict[str, Any] | ToolResult:
    if arguments is None or arguments == "":
        arguments = {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return error_result(f"Arguments for {tool.name} are not valid JSON ({exc}).")
    if not isinstance(arguments, Mapping):
        return error_result(f"Arguments for {tool.name} must be a JSON object.")
    try:
        validated = tool.arguments_model.model_validate(dict(arguments))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
        )
        expected = ", ".join(tool.parameters_schema.get("properties", {}))
        return error_result(
            f"Invalid arguments for {tool.name}: {problems}. Parameters: {expected or 'none'}."
        )
    return {field: getattr(validated, field) for field in type(validated).model_fields}
