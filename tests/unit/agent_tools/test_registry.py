"""Tool schemas generated from signatures and docstrings; the registry's call contract."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import pytest
from pydantic import Field

from cairn.server.agent.tools.base import Tool, ToolRegistry, ToolResult, truncate_middle
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.errors import ToolError


async def sample(
    ctx: ToolContext,
    path: str,
    count: Annotated[int, Field(ge=1, le=10)] = 3,
    mode: Literal["fast", "slow"] = "fast",
    tags: list[str] | None = None,
    verbose: bool = False,
) -> str:
    """Do a sample thing.

    A longer explanation for the model.

    Args:
        path: Where to do it.
        count: How many times,
            at most ten.
        mode: Speed.
    """
    return json.dumps({"path": path, "count": count, "mode": mode, "tags": tags, "verbose": verbose})


async def failing(ctx: ToolContext, kind: str) -> str:
    """Fail in the requested way.

    Args:
        kind: tool, os or bug.
    """
    if kind == "tool":
        raise ToolError("a helpful explanation")
    if kind == "os":
        raise FileNotFoundError(2, "No such file or directory")
    raise RuntimeError("a real bug")


async def chatty(ctx: ToolContext, size: int) -> ToolResult:
    """Return a lot of text.

    Args:
        size: Characters to return.
    """
    return ToolResult("x" * (size // 2) + "y" * (size - size // 2), data={"size": size})


def test_schema_from_signature_and_docstring() -> None:
    tool = Tool.from_function(sample)
    spec = tool.spec()
    assert spec["type"] == "function"
    function = spec["function"]
    assert function["name"] == "sample"
    assert function["description"] == "Do a sample thing.\n\nA longer explanation for the model."
    params = function["parameters"]
    assert params["type"] == "object"
    assert params["required"] == ["path"]
    assert params["additionalProperties"] is False
    props = params["properties"]
    assert "ctx" not in props
    assert props["path"] == {"type": "string", "description": "Where to do it."}
    assert props["count"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
        "default": 3,
        "description": "How many times, at most ten.",
    }
    assert props["mode"]["enum"] == ["fast", "slow"] and props["mode"]["default"] == "fast"
    assert props["tags"]["default"] is None
    assert {"type": "array", "items": {"type": "string"}} in props["tags"]["anyOf"]
    assert props["verbose"] == {"type": "boolean", "default": False}
    assert "title" not in json.dumps(params), "pydantic titles are noise for the model"
    json.dumps(spec)  # serialisable as sent to the provider


def test_builtin_tools_have_described_parameters() -> None:
    registry = workspace_registry()
    assert registry.names() == [
        "read_file",
        "list_files",
        "search",
        "propose_edit",
        "create_file",
        "run_command",
    ]
    for spec in registry.specs():
        function = spec["function"]
        assert function["description"]
        for name, prop in function["parameters"]["properties"].items():
            assert prop.get("description"), f"{function['name']}.{name} has no description"
    assert "run_command" not in workspace_registry(shell=False)
    assert workspace_registry(edits=False).names() == ["read_file", "list_files", "search", "run_command"]


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda: _sync, "async"),
        (lambda: _no_ctx, "first parameter"),
        (lambda: _untyped, "needs a type"),
        (lambda: _varargs, "must be named"),
        (lambda: _undocumented, "docstring"),
    ],
)
def test_functions_that_cannot_be_tools(bad, message) -> None:
    with pytest.raises(TypeError, match=message):
        Tool.from_function(bad())


def _sync(ctx, path: str) -> str:
    """Doc."""


async def _no_ctx(path: str) -> str:
    """Doc."""


async def _untyped(ctx, path) -> str:
    """Doc."""


async def _varargs(ctx, *paths: str) -> str:
    """Doc."""


async def _undocumented(ctx, path: str) -> str:
    pass


async def test_call_validates_and_coerces_arguments() -> None:
    registry = ToolRegistry([Tool.from_function(sample)])
    result = await registry.call("sample", {"path": "a.py", "count": "4"}, ctx=None)
    assert not result.is_error
    assert json.loads(result.content) == {
        "path": "a.py",
        "count": 4,
        "mode": "fast",
        "tags": None,
        "verbose": False,
    }
    as_json = await registry.call("sample", '{"path": "b.py", "mode": "slow"}', ctx=None)
    assert json.loads(as_json.content)["mode"] == "slow"


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ({}, "path: Field required"),
        ({"path": "a", "count": 0}, "count: Input should be greater than or equal to 1"),
        ({"path": "a", "mode": "medium"}, "mode: Input should be 'fast' or 'slow'"),
        ({"path": "a", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
async def test_bad_arguments_become_error_results(arguments, expected) -> None:
    registry = ToolRegistry([Tool.from_function(sample)])
    result = await registry.call("sample", arguments, ctx=None)
    assert result.is_error
    assert expected in result.content
    assert "Parameters: path, count, mode, tags, verbose" in result.content or "JSON" in expected


async def test_unknown_tool_lists_the_available_ones() -> None:
    registry = ToolRegistry([Tool.from_function(sample)])
    result = await registry.call("smaple", {}, ctx=None)
    assert result.is_error and "Unknown tool 'smaple'" in result.content and "sample" in result.content


async def test_expected_failures_become_results_and_bugs_propagate() -> None:
    registry = ToolRegistry([Tool.from_function(failing)])
    tool_error = await registry.call("failing", {"kind": "tool"}, ctx=None)
    assert tool_error == ToolResult("a helpful explanation", is_error=True)
    os_error = await registry.call("failing", {"kind": "os"}, ctx=None)
    assert os_error.is_error and "No such file or directory" in os_error.content
    with pytest.raises(RuntimeError, match="a real bug"):
        await registry.call("failing", {"kind": "bug"}, ctx=None)


async def test_huge_output_is_truncated_with_a_note() -> None:
    registry = ToolRegistry([Tool.from_function(chatty)], max_output_chars=1000)
    small = await registry.call("chatty", {"size": 999}, ctx=None)
    assert len(small.content) == 999
    big = await registry.call("chatty", {"size": 50_000}, ctx=None)
    assert len(big.content) <= 1100
    assert big.content.startswith("x") and big.content.endswith("y")
    assert "characters truncated" in big.content
    assert big.data == {"size": 50_000}, "structured data is kept"


def test_truncate_middle_keeps_head_and_tail() -> None:
    text = "".join(f"{i:05d}\n" for i in range(10_000))
    cut = truncate_middle(text, 2000)
    assert cut.startswith("00000\n") and cut.endswith("09999\n")
    assert len(cut) < 2100


def test_registries_compose_and_reject_duplicate_names() -> None:
    base = ToolRegistry([Tool.from_function(sample)], max_output_chars=123)
    more = [Tool.from_function(failing), Tool.from_function(chatty)]
    merged = base.merged(more)
    assert merged.names() == ["sample", "failing", "chatty"]
    assert merged.max_output_chars == 123
    assert merged.without("failing").names() == ["sample", "chatty"]
    assert "sample" in merged and len(merged) == 3 and merged.get("nope") is None
    with pytest.raises(ValueError, match="two tools are named 'sample'"):
        merged.merged(base)
    with pytest.raises(TypeError, match="must match"):
        Tool.from_function(sample, name="memory.search")
    renamed = Tool.from_function(sample, name="sample_two", description="Another.")
    assert base.merged([renamed]).get("sample_two").description == "Another."


async def test_output_with_lone_surrogates_is_made_valid_text() -> None:
    async def odd_names(ctx: ToolContext) -> str:
        """List an undecodable file name (as os.listdir returns it)."""
        return "caf\udce9.txt"

    registry = ToolRegistry([Tool.from_function(odd_names)])
    result = await registry.call("odd_names", {}, ctx=None)
    assert result.content == "caf?.txt"
    result.content.encode("utf-8")


def test_tools_that_change_the_workspace_say_so():
    from cairn.server.agent.tools.catalog import workspace_registry

    registry = workspace_registry(shell=True)
    assert {name for name in registry.names() if registry.is_mutating(name)} == {
        "propose_edit",
        "create_file",
        "run_command",
    }
    assert not registry.is_mutating("no_such_tool")


async def test_the_models_room_caps_output_below_the_registrys_own_cap(tmp_path) -> None:
    registry = ToolRegistry([Tool.from_function(chatty)], max_output_chars=30_000)
    ctx = ToolContext.create(tmp_path, output_chars=1500)
    try:
        big = await registry.call("chatty", {"size": 20_000}, ctx=ctx)
    finally:
        ctx.workspace.close()
    assert len(big.content) <= 1600 and "characters truncated" in big.content
    assert big.content.startswith("x") and big.content.endswith("y")


async def wrapped(ctx: ToolContext, query: str) -> str:
    """Search everything memory holds: long-term memories, the checkpoints
    of every session and session notes.

    Each hit says where its text came from.

    Args:
        query: Words to look for.
    """
    return query


def test_a_summary_sentence_wrapped_over_two_lines_stays_one_sentence() -> None:
    """The docstring parser splits a summary at its first line break: the model read
    "...the checkpoints" as the whole of recall's compact description."""
    tool = Tool.from_function(wrapped)
    assert tool.spec()["function"]["description"] == (
        "Search everything memory holds: long-term memories, the checkpoints of every session "
        "and session notes.\n\nEach hit says where its text came from."
    )
    assert tool.spec(compact=True)["function"]["description"] == (
        "Search everything memory holds: long-term memories, the checkpoints of every session "
        "and session notes."
    )


def test_compact_specs_keep_every_name_parameter_and_type_in_a_fraction_of_the_room() -> None:
    """A small window cannot spend a quarter of itself on tool manuals: the compact form keeps
    each tool's first paragraph, each parameter's first sentence, type, bounds and default, and
    says an optional parameter as its type (leaving it out means null)."""
    registry = workspace_registry(shell=True)
    full, compact = registry.specs(), registry.specs(compact=True)
    assert len(json.dumps(compact)) < 0.8 * len(json.dumps(full))
    for big, small in zip(full, compact, strict=True):
        big_fn, small_fn = big["function"], small["function"]
        assert small_fn["name"] == big_fn["name"]
        assert big_fn["description"].startswith(small_fn["description"]) and small_fn["description"]
        assert "\n\n" not in small_fn["description"]
        big_params, small_params = big_fn["parameters"], small_fn["parameters"]
        assert small_params.get("required") == big_params.get("required")
        assert small_params["properties"].keys() == big_params["properties"].keys()
        for name, prop in small_params["properties"].items():
            prop, original = dict(prop), dict(big_params["properties"][name])
            described, shown = original.pop("description", ""), prop.pop("description", "")
            assert described.startswith(shown) and (shown or not described)
            options = original.pop("anyOf", None)
            if options:  # Optional[X] = None: X alone, no default
                assert original.pop("default") is None
                original.update(next(o for o in options if o != {"type": "null"}))
            assert prop == original  # types, enums, bounds, defaults
