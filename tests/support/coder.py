"""A scripted coder for `cairn skills eval` tests: small execution-graded tasks whose right
answer depends on whether the skill in the system prompt carries `RULE`.

In process, `ScriptedCoder` is a chat model object (the CLI's model factory); in a subprocess
(the editor's command runs `cairn skills eval` as a child of the server),
``CAIRN_MODEL=scripted/... CAIRN_SCRIPT=tests.support.coder:answer`` plays the same part.
"""

from __future__ import annotations

import json
from pathlib import Path

from cairn.skills.optimize.ports import Usage

RULE = "Handle the empty list first."
FUNCTIONS = {  # name: (prefix, correct body, body that forgets the empty list, test)
    f"first_{i}": (
        f'def first_{i}(xs):\n    """The first item plus {i}, or None for an empty list."""\n',
        f"    return xs[0] + {i} if xs else None\n",
        f"    return xs[0] + {i}\n",
        f"def check(candidate):\n    assert candidate([1]) == 1 + {i}\n    assert candidate([]) is None\n",
    )
    for i in range(6)
}


def write_tasks(path: Path) -> Path:
    """The six tasks as a JSONL task file."""
    rows = [
        {
            "id": name,
            "input": f"Complete:\n{prefix}",
            "expected": None,
            "grader": {"type": "execution", "prefix": prefix, "test": test, "entry_point": name},
        }
        for name, (prefix, _, _, test) in FUNCTIONS.items()
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def reply(messages: list[dict]) -> str:
    """The correct body when the system prompt carries RULE, except for first_0, which comes
    out right only without a skill (so both flip directions occur)."""
    name = str(messages[-1]["content"]).split("def ", 1)[1].split("(", 1)[0]
    _, good, bad, _ = FUNCTIONS[name]
    with_rule = messages[0]["role"] == "system" and RULE in str(messages[0]["content"])
    right = (not with_rule) if name == "first_0" else with_rule
    return f"```python\n{good if right else bad}```"


def answer(request: dict) -> dict:
    """`CAIRN_SCRIPT` callback: one turn per request."""
    return {"text": reply(request["messages"])}


class ScriptedCoder:
    """A chat model object (``complete`` and cumulative ``usage``) that answers with `reply`."""

    def __init__(self, name: str) -> None:
        self.name, self.usage = name, Usage()

    async def complete(self, messages, *, max_tokens=None):
        self.usage = self.usage + Usage(20, 7)
        return reply(messages)
