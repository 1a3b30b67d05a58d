"""Adapters from a chat model object (``complete(messages, max_tokens=...)``) to the trainer ports.

The lead's model adapter builds such objects for any litellm model, the embedded one included;
``cairn skills train --backend model`` receives them through the CLI's ``model_factory``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cairn.skills.frontmatter import split_skill_text
from cairn.skills.optimize.ports import RunResult, Usage
from cairn.skills.optimize.tasks import Task
from cairn.skills.textstats import approx_tokens

SYSTEM_TEMPLATE = "Follow these instructions when you answer.\n\n{body}"


def skill_messages(skill_text: str, task: Task) -> list[dict[str, str]]:
    """The target's conversation: the skill's body as the system prompt, the task as the user.

    An empty ``skill_text`` is the bare model (``cairn skills eval --without``): no system prompt.
    """
    if not skill_text.strip():
        return [{"role": "user", "content": task.input}]
    body = split_skill_text(skill_text).body.strip() or skill_text
    return [
        {"role": "system", "content": SYSTEM_TEMPLATE.format(body=body)},
        {"role": "user", "content": task.input},
    ]


class ModelTargetRunner:
    """A :class:`TargetRunner` over a chat model object.

    Token usage, most exact first: ``complete_with_usage`` returning ``(text, usage)``; else a
    cumulative ``usage`` attribute (calls are then serialised so the difference is this call's);
    else an estimate from the text.
    """

    def __init__(self, model: Any, *, max_tokens: int) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self._lock = asyncio.Lock()

    async def run(self, skill_text: str, task: Task) -> RunResult:
        messages = skill_messages(skill_text, task)
        if hasattr(self.model, "complete_with_usage"):
            text, usage = await self.model.complete_with_usage(messages, max_tokens=self.max_tokens)
            return RunResult(text, Usage.from_any(usage) or Usage())
        if hasattr(self.model, "usage"):
            async with self._lock:
                before = Usage.from_any(self.model.usage) or Usage()
                text = await self.model.complete(messages, max_tokens=self.max_tokens)
                after = Usage.from_any(self.model.usage) or Usage()
            return RunResult(text, after - before)
        text = await self.model.complete(messages, max_tokens=self.max_tokens)
        prompt = sum(approx_tokens(m["content"]) for m in messages)
        return RunResult(text, Usage(prompt, approx_tokens(text)))
