"""The memory-less context policy: what it keeps, and that a step counts only what is new."""

from __future__ import annotations

from cairn.server.agent.context_window import BLANKED, TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation


class CountingCounter:
    """A token counter (one token per 4 characters, 3 per message) that records how many
    messages and texts it was asked to count."""

    def __init__(self) -> None:
        self.items = 0

    def __call__(self, messages_or_text) -> int:
        if isinstance(messages_or_text, str):
            self.items += 1
            return len(messages_or_text) // 4
        self.items += len(messages_or_text)
        return 3 + sum(3 + len(str(m.get("content") or "")) // 4 for m in messages_or_text)


async def _step(conversation: InMemoryConversation, i: int, output_chars: int = 400) -> None:
    call = {"id": f"c{i}", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}
    await conversation.add({"role": "assistant", "content": f"reading {i}", "tool_calls": [call]})
    await conversation.add(
        {"role": "tool", "tool_call_id": f"c{i}", "name": "read_file", "content": "x" * output_chars}
    )


async def test_keeps_the_first_request_and_the_newest_messages_and_blanks_old_tool_output():
    conversation = InMemoryConversation()
    await conversation.add({"role": "user", "content": "Never touch the migrations."})
    for i in range(40):
        await _step(conversation, i, output_chars=200)
    context = TruncatingContext(CountingCounter())
    messages = await context.messages("system", conversation, request="go", budget=600)
    assert messages[0] == {"role": "system", "content": "system"}
    assert messages[1]["content"] == "Never touch the migrations."
    assert messages[-1]["content"] == "x" * 200  # the newest tool output is whole
    assert messages[2]["role"] == "assistant"  # no orphaned tool result after the first request
    assert any(m.get("content") == BLANKED for m in messages)
    assert "reading 39" in [m.get("content") for m in messages]
    counter = CountingCounter()
    assert counter(messages) <= 600
    whole = await TruncatingContext(CountingCounter()).messages(
        "system", conversation, request="go", budget=10**6
    )
    assert len(whole) == 1 + 1 + 80  # everything fits: nothing dropped


async def test_a_step_counts_only_the_new_messages_however_long_the_session():
    conversation = InMemoryConversation()
    await conversation.add({"role": "user", "content": "Read everything."})
    counter = CountingCounter()
    context = TruncatingContext(counter)
    per_step = []
    for i in range(400):
        await _step(conversation, i)
        before = counter.items
        await context.messages("system", conversation, request="Read everything.", budget=2_000)
        per_step.append(counter.items - before)
    assert max(per_step[-50:]) <= max(per_step[10:60]) <= 6


async def test_history_is_the_conversations_own_list_not_a_copy_per_call():
    conversation = InMemoryConversation()
    await conversation.add({"role": "user", "content": "hi"})
    first = await conversation.history()
    await conversation.add({"role": "assistant", "content": "hello"})
    assert await conversation.history() is first and [m["role"] for m in first] == ["user", "assistant"]
