"""The json action protocol: schema, history rewriting, streaming the answer, decoding."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.server.agent.actions import (
    ANSWER_ACTION,
    AnswerStream,
    PlainStream,
    action_schema,
    decode_action,
    json_request,
    parse_arguments,
    rewrite_history,
    simple_action_schema,
)

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
    },
    {
        "type": "function",
        "function": {
            "name": "list_dir",
            "description": "List a folder.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def test_schema_has_one_alternative_per_tool_plus_the_answer():
    schema = action_schema(TOOLS)
    alternatives = schema["oneOf"]
    assert [a["properties"]["tool"]["const"] for a in alternatives] == [
        "read_file",
        "list_dir",
        ANSWER_ACTION,
    ]
    assert alternatives[0]["properties"]["arguments"] == TOOLS[0]["function"]["parameters"]
    assert list(alternatives[0]["properties"]) == ["tool", "arguments"]  # name streams first
    assert simple_action_schema(TOOLS)["properties"]["tool"]["enum"] == [
        "read_file",
        "list_dir",
        ANSWER_ACTION,
    ]


def test_a_tool_may_not_shadow_the_answer_action():
    shadow = [{"type": "function", "function": {"name": ANSWER_ACTION, "parameters": {}}}]
    with pytest.raises(ValueError):
        action_schema(shadow)


def test_request_merges_the_instruction_into_the_system_message():
    messages = [{"role": "system", "content": "You are Cairn."}, {"role": "user", "content": "hi"}]
    sent, response_format = json_request(messages, TOOLS)
    assert sent[0]["role"] == "system" and sent[0]["content"].startswith("You are Cairn.")
    assert "read_file" in sent[0]["content"] and ANSWER_ACTION in sent[0]["content"]
    assert "{tools}" not in sent[0]["content"]
    assert response_format["type"] == "json_schema"
    assert messages[0]["content"] == "You are Cairn."  # the caller's list is not modified
    no_system, _ = json_request([{"role": "user", "content": "hi"}], TOOLS)
    assert no_system[0]["role"] == "system" and no_system[1] == {"role": "user", "content": "hi"}


def test_history_with_tool_calls_becomes_plain_messages():
    history = [
        {"role": "user", "content": "what is in a.py?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "a.py"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "x = 1"},
        {"role": "assistant", "content": "It sets x."},
        {"role": "user", "content": [{"type": "text", "text": "thanks"}]},
    ]
    rewritten = rewrite_history(history)
    assert [m["role"] for m in rewritten] == ["user", "assistant", "user", "assistant", "user"]
    assert json.loads(rewritten[1]["content"]) == {"tool": "read_file", "arguments": {"path": "a.py"}}
    assert 'read_file({"path": "a.py"})' in rewritten[2]["content"]
    assert "x = 1" in rewritten[2]["content"]
    assert json.loads(rewritten[3]["content"]) == {"tool": ANSWER_ACTION, "arguments": {"text": "It sets x."}}
    assert rewritten[4]["content"] == "thanks"


ANSWERS = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@given(
    answer=ANSWERS,
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    ascii_only=st.booleans(),
)
def test_answer_stream_shows_exactly_the_answer_for_any_chunking(answer, cuts, ascii_only):
    document = json.dumps({"tool": ANSWER_ACTION, "arguments": {"text": answer}}, ensure_ascii=ascii_only)
    points = sorted({min(c, len(document)) for c in cuts})
    pieces = [document[a:b] for a, b in zip([0, *points], [*points, len(document)])]
    seen: list[str] = []
    sink = AnswerStream(seen.append)
    for piece in pieces:
        sink.feed(piece)
    action = decode_action(document)
    sink.finish(action.answer)
    assert action.tool is None and action.answer == answer
    assert "".join(seen) == answer


def test_answer_stream_shows_nothing_for_a_tool_action():
    seen: list[str] = []
    sink = AnswerStream(seen.append)
    for piece in ['{"tool": "read_', 'file", "arguments": {"path": "a.py"}}']:
        sink.feed(piece)
    assert seen == [] and not sink.emitted


def test_plain_stream_forwards_and_remembers():
    seen: list[str] = []
    sink = PlainStream(seen.append)
    sink.feed("a")
    sink.feed("")
    sink.feed("b")
    assert seen == ["a", "b"] and sink.shown_text() == "ab" and sink.emitted
    silent = PlainStream(None)
    silent.feed("x")
    assert not silent.emitted  # nobody saw it, so a retry is safe


@pytest.mark.parametrize(
    "text, tool, arguments",
    [
        ('{"tool": "read_file", "arguments": {"path": "a"}}', "read_file", {"path": "a"}),
        ('```json\n{"tool": "list_dir", "arguments": {}}\n```', "list_dir", {}),
        ('Sure! {"name": "read_file", "args": {"path": "b"}} done', "read_file", {"path": "b"}),
        ('{"tool": "read_file", "arguments": "{\\"path\\": \\"c\\"}"}', "read_file", {"path": "c"}),
    ],
)
def test_decode_tool_actions(text, tool, arguments):
    action = decode_action(text)
    assert (action.tool, action.arguments, action.error) == (tool, arguments, None)


def test_decode_falls_back_to_text_and_reports_bad_arguments():
    assert decode_action("just words").answer == "just words"
    assert decode_action("[1, 2]").tool is None
    bad = decode_action('{"tool": "read_file", "arguments": [1]}')
    assert bad.tool == "read_file" and bad.arguments == {} and "JSON object" in bad.error


def test_parse_arguments():
    assert parse_arguments('{"a": 1}') == ({"a": 1}, None)
    assert parse_arguments("") == ({}, None)
    assert parse_arguments("[1]")[1] == "arguments must be a JSON object, got list"
    assert "not valid JSON" in parse_arguments("{oops")[1]


def test_deeply_nested_model_output_is_an_error_for_the_model_not_a_crash():
    # json raises RecursionError (not ValueError) past its nesting limit.
    assert parse_arguments("[" * 100_000) == ({}, "arguments are nested too deeply to be valid JSON")
    action = decode_action('{"tool": "read_file", "arguments": ' + "[" * 100_000)
    assert action.tool is None and not action.parsed
