"""Scripted-model callbacks for server subprocesses (`CAIRN_SCRIPT=tests.support.scripts:agent`).

`agent` plays the turns in the JSON file named by `CAIRN_TEST_TURNS` for the agent's own
requests, and answers memory's background requests (checkpoint narratives, consolidation
wording) with a generic narrative, so tests do not depend on when those run.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

NARRATIVE = "The session continues the user's task; details are in the exact-value sections."
_lock = threading.Lock()
_turns: list | None = None


def is_background(request: dict) -> bool:
    """A request from memory's background work rather than the agent loop."""
    messages = request.get("messages") or []
    system = str(messages[0].get("content") or "") if messages else ""
    return not request.get("tools") and not system.startswith("You are Cairn")


def agent(request: dict):
    """The next agent turn; memory's own requests get a narrative. None when turns run out."""
    global _turns
    if is_background(request):
        return NARRATIVE
    with _lock:
        if _turns is None:
            _turns = json.loads(Path(os.environ["CAIRN_TEST_TURNS"]).read_text())
        return _turns.pop(0) if _turns else None


def trainer(request: dict):
    """Plays both trainer roles for `cairn skills train --backend model`: the optimizer proposes
    the one rule that helps, and the target follows the skill it is given."""
    messages = request.get("messages") or []
    prompt = str(messages[-1].get("content") or "") if messages else ""
    if "Task: propose-edits" in prompt:
        return json.dumps({"edits": [{"op": "append", "text": "- Reply with the value only, no sentence."}]})
    if "Task: reflect" in prompt:
        return "Answers carry extra words around the value."
    skill = str(messages[0].get("content") or "") if messages else ""
    value = prompt.rsplit(" ", 1)[-1].rstrip(".")
    return value if "value only" in skill else f"The answer is: {value}"
