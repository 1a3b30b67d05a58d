"""The scripted provider through the real litellm path, and the adapter's behaviour on it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import pytest

from cairn.server.agent.errors import (
    AgentError,
    ContextWindowExceeded,
    IncompleteReply,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailable,
)
from cairn.server.agent.model import ModelClient, ModelConfig, load_litellm
from cairn.server.agent.testing import ScriptedModel

USER = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
            },
        },
    }
]


async def test_text_reply(scripted_client):
    with ScriptedModel(turns=["Hello there."]):
        reply = await scripted_client().reply(USER)
    assert reply.text == "Hello there." and reply.finish_reason == "stop"
    assert reply.tool_calls == ()
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0  # counted offline
    assert reply.as_message() == {"role": "assistant", "content": "Hello there."}


async def test_streamed_text_reaches_on_text_in_order(scripted_client):
    seen: list[str] = []
    with ScriptedModel(
        turns=[{"chunks": ["a", "b", "c", "d"], "usage": {"prompt_tokens": 11, "completion_tokens": 4}}]
    ):
        reply = await scripted_client().reply(USER, on_text=seen.append)
    assert seen == ["a", "b", "c", "d"] and reply.text == "abcd"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 4)


async def test_native_tool_calls(scripted_client):
    with ScriptedModel(
        turns=[
            {
                "text": "Let me look.",
                "tool_calls": [
                    {"name": "read_file", "arguments": {"path": "a.py"}, "id": "c1"},
                    {"name": "read_file", "arguments": {"path": "b.py"}},
                ],
            }
        ]
    ):
        reply = await scripted_client().reply(USER, tools=TOOLS)
    assert reply.finish_reason == "tool_calls" and reply.text == "Let me look."
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("read_file", {"path": "a.py"}),
        ("read_file", {"path": "b.py"}),
    ]
    assert reply.tool_calls[0].id == "c1" and reply.tool_calls[1].id
    message = reply.as_message()
    assert json.loads(message["tool_calls"][1]["function"]["arguments"]) == {"path": "b.py"}


async def test_invalid_tool_arguments_are_reported_not_dropped(scripted_client):
    with ScriptedModel(turns=[{"tool_calls": [{"name": "read_file", "arguments": "{path: a"}]}]):
        reply = await scripted_client().reply(USER, tools=TOOLS)
    [call] = reply.tool_calls
    assert call.arguments == {} and "not valid JSON" in call.arguments_error


async def test_non_streaming_litellm_call_carries_tool_calls():
    """The provider also answers plain (non-streamed) litellm calls, tool calls included."""
    litellm = load_litellm()
    from cairn.server.agent.model import _register_provider

    _register_provider("scripted/x")
    with ScriptedModel(turns=[{"tool_calls": [{"name": "read_file", "arguments": {"path": "x"}}]}]):
        response = await litellm.acompletion(model="scripted/x", messages=USER, tools=TOOLS)
    call = response.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("read_file", {"path": "x"})
    assert response.choices[0].finish_reason == "tool_calls"


async def test_json_protocol_tool_action(scripted_client):
    with ScriptedModel(turns=[{"action": {"tool": "read_file", "arguments": {"path": "a.py"}}}]) as script:
        reply = await scripted_client(action_protocol="json").reply(USER, tools=TOOLS)
    assert reply.finish_reason == "tool_calls" and reply.text == ""
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("read_file", {"path": "a.py"})]
    request = script.requests[0]
    assert request["tools"] is None  # the json protocol never sends native tools
    schema = request["params"]["response_format"]["json_schema"]["schema"]
    assert [alt["properties"]["tool"]["const"] for alt in schema["oneOf"]] == ["read_file", "final_answer"]
    assert "read_file" in request["messages"][0]["content"]


async def test_json_protocol_answer_streams_only_the_answer_text(scripted_client):
    seen: list[str] = []
    chunks = [
        '{"tool": "fin',
        'al_answer", "argu',
        'ments": {"text": "It ',
        'prints \\"hi',
        '\\" and a newline\\n."}}',
    ]
    with ScriptedModel(turns=[{"chunks": chunks}]):
        reply = await scripted_client(action_protocol="json").reply(USER, tools=TOOLS, on_text=seen.append)
    assert reply.text == 'It prints "hi" and a newline\n.'
    assert "".join(seen) == reply.text and len(seen) > 1  # streamed, not dumped at the end
    assert reply.tool_calls == () and reply.finish_reason == "stop"


async def test_json_protocol_answer_cut_by_max_tokens_keeps_its_text(scripted_client):
    seen: list[str] = []
    with ScriptedModel(
        turns=[
            {
                "chunks": ['{"tool": "final_answer", "arguments": {"text": "', "The first half of"],
                "finish_reason": "length",
            }
        ]
    ):
        reply = await scripted_client(action_protocol="json").reply(USER, tools=TOOLS, on_text=seen.append)
    assert reply.text == "The first half of" == "".join(seen)
    assert reply.finish_reason == "length" and reply.tool_calls == ()


async def test_json_protocol_plain_text_output_becomes_the_answer(scripted_client):
    seen: list[str] = []
    with ScriptedModel(turns=["I could not produce JSON."]):
        reply = await scripted_client(action_protocol="json").reply(USER, tools=TOOLS, on_text=seen.append)
    assert reply.text == "I could not produce JSON." == "".join(seen)


async def test_requests_are_recorded_in_memory_and_to_a_file(scripted_client, tmp_path):
    record = tmp_path / "requests.jsonl"
    with ScriptedModel(turns=["one", "two"], record=record) as script:
        client = scripted_client()
        await client.reply(USER, tools=TOOLS, max_tokens=77)
        await client.complete([{"role": "user", "content": "summarise"}])
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines == json.loads(json.dumps(script.requests))
    assert lines[0]["messages"] == USER and lines[0]["tools"] == TOOLS
    assert lines[0]["params"]["max_tokens"] == 77
    assert lines[1]["tools"] is None and lines[1]["params"]["max_tokens"] == 4096


async def test_callback_turns_see_each_request(scripted_client):
    def answer(request: dict) -> str:
        return f"you said {request['messages'][-1]['content']}"

    with ScriptedModel(callback=answer):
        reply = await scripted_client().reply([{"role": "user", "content": "ping"}])
    assert reply.text == "you said ping"


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("context_window", ContextWindowExceeded),
        ("auth", ModelConfigError),
        ("permission_denied", ModelConfigError),
        ("not_found", ModelConfigError),
        ("bad_request", ModelRequestError),
        ("content_policy", ModelRequestError),
    ],
)
async def test_errors_not_worth_retrying_map_to_the_family(scripted_client, kind, expected):
    with ScriptedModel(turns=[{"error": kind}, "never reached"]) as script:
        with pytest.raises(expected) as caught:
            await scripted_client().reply(USER)
    assert len(script.requests) == 1 and script.turns_left == 1
    assert caught.value.user_message.startswith("Model 'scripted/test':")


@pytest.mark.parametrize("kind", ["rate_limit", "service_unavailable", "timeout", "internal", "connection"])
async def test_transient_errors_are_retried(scripted_client, kind):
    with ScriptedModel(turns=[{"error": kind}, {"error": kind}, "recovered"]) as script:
        reply = await scripted_client().reply(USER)
    assert reply.text == "recovered" and len(script.requests) == 3


async def test_transient_errors_until_the_deadline_are_unavailable(scripted_client):
    with ScriptedModel(callback=lambda request: {"error": "service_unavailable"}) as script:
        with pytest.raises(ModelUnavailable) as caught:
            await scripted_client(request_timeout=1.0).reply(USER)
    assert len(script.requests) >= 2
    # The last problem named is the provider's "unavailable", or, when the deadline cut the last
    # retry on a loaded machine, the timeout: either way the user is told to try again later.
    message = caught.value.user_message
    assert "did not answer within the 1 s deadline" in message and "Try again later" in message
    assert "unavailable" in message or "timed out" in message


async def test_cut_stream_is_incomplete_when_text_was_shown(scripted_client):
    seen: list[str] = []
    with ScriptedModel(turns=[{"chunks": ["Par", "tial"], "cut": True}, "unused"]) as script:
        with pytest.raises(IncompleteReply) as caught:
            await scripted_client().reply(USER, on_text=seen.append)
    assert caught.value.partial_text == "Partial" and len(script.requests) == 1


async def test_stream_ending_without_finish_reason_is_never_complete(scripted_client):
    """litellm invents finish_reason='stop' for such custom streams; the adapter does not."""
    with ScriptedModel(turns=[{"chunks": ["Half"], "end_early": True}]):
        with pytest.raises(IncompleteReply):
            await scripted_client().reply(USER, on_text=lambda _text: None)
    with ScriptedModel(turns=[{"chunks": ["Half"], "end_early": True}, "Whole"]) as script:
        reply = await scripted_client().reply(USER)
    assert reply.text == "Whole" and len(script.requests) == 2


async def test_stalled_stream_is_retried_then_unavailable(scripted_client):
    with ScriptedModel(callback=lambda request: {"stall": True}) as script:
        with pytest.raises(ModelUnavailable):
            await scripted_client(request_timeout=1.5, stall_timeout=0.3).reply(USER)
    assert len(script.requests) >= 2


async def test_cancelling_a_reply_stops_promptly(scripted_client):
    with ScriptedModel(turns=[{"chunks": ["x"], "stall": True}]):
        task = asyncio.create_task(scripted_client().reply(USER, on_text=lambda _t: None))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 2)


async def test_exhausted_script_says_so(scripted_client):
    with ScriptedModel(turns=["only"]):
        client = scripted_client()
        await client.reply(USER)
        with pytest.raises(ModelRequestError) as caught:
            await client.reply(USER)
    assert "no turn left for request #2" in (caught.value.detail or "")


async def test_every_error_is_an_agent_error(scripted_client):
    with ScriptedModel(turns=[{"error": "auth"}]):
        with pytest.raises(AgentError):
            await scripted_client().reply(USER)


async def test_unknown_provider_is_a_config_error():
    with pytest.raises(ModelConfigError) as caught:
        await ModelClient(ModelConfig(model="nosuchprovider/some-model")).reply(USER)
    assert "provider/model" in caught.value.user_message


async def test_environment_script_file(tmp_path, monkeypatch, scripted_client):
    script = tmp_path / "turns.json"
    script.write_text(json.dumps({"turns": [{"chunks": ["from ", "file"]}]}))
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("CAIRN_SCRIPT", str(script))
    monkeypatch.setenv("CAIRN_SCRIPT_RECORD", str(record))
    reply = await scripted_client().reply(USER)
    assert reply.text == "from file"
    assert json.loads(record.read_text())["messages"] == USER


def test_environment_script_callable_in_a_subprocess(tmp_path):
    """What e2e tests do: the real process reads CAIRN_SCRIPT=module:callable."""
    (tmp_path / "my_script.py").write_text(
        textwrap.dedent("""
        def turn(request):
            return {"tool_calls": [{"name": "read_file", "arguments": {"path": "x.py"}}]}
    """)
    )
    program = textwrap.dedent("""
        import asyncio, json
        from cairn.server.agent.model import ModelClient, ModelConfig
        reply = asyncio.run(ModelClient(ModelConfig(model="scripted/e2e")).reply(
            [{"role": "user", "content": "go"}]))
        print(json.dumps([[c.name, c.arguments] for c in reply.tool_calls]))
    """)
    env = {
        **os.environ,
        "CAIRN_SCRIPT": "my_script:turn",
        "CAIRN_SCRIPT_RECORD": str(tmp_path / "rec.jsonl"),
        "PYTHONPATH": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [["read_file", {"path": "x.py"}]]
    assert len((tmp_path / "rec.jsonl").read_text().splitlines()) == 1


async def test_complete_with_usage_gives_the_reply_and_its_token_counts(scripted_client):
    from cairn.skills.optimize.model_backend import ModelTargetRunner
    from cairn.skills.optimize.tasks import parse_task

    with ScriptedModel(turns=["four words right here", "four words right here"]):
        client = scripted_client()
        text, usage = await client.complete_with_usage([{"role": "user", "content": "count"}], max_tokens=9)
        task = parse_task({"id": "t", "input": "count", "expected": "x", "grader": "exact"})
        run = await ModelTargetRunner(client, max_tokens=9).run("", task)
    assert text == "four words right here" and usage.completion_tokens > 0 and usage.prompt_tokens > 0
    # the skill trainer's runner charges these counts, not an estimate from the text
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
