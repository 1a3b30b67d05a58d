"""Scripted-model turns for the editor-client tests, chosen by the prompt.

`CAIRN_SCRIPT=tests.e2e.clients.model_script:by_prompt` with `CAIRN_CLIENT_TURNS` naming a JSON
object ``{"keyword": [turn, ...]}``: a request whose latest user message contains ``keyword``
gets that list's turn for its step (the number of assistant messages since that user message).
Turns depend on the request, not on the order requests arrive in, so the node and Neovim tests
can share one server (one import of the model library) and still be independent. Memory's
background requests get a generic narrative.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.scripts import NARRATIVE, is_background

TURNS_ENV = "CAIRN_CLIENT_TURNS"


def _text(content) -> str:
    if isinstance(content, list):  # content parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def by_prompt(request: dict):
    """The turn for ``request``, or None (the scripted model then fails the request clearly)."""
    if is_background(request):
        return NARRATIVE
    table = json.loads(Path(os.environ[TURNS_ENV]).read_text(encoding="utf-8"))
    messages = request.get("messages") or []
    users = [index for index, message in enumerate(messages) if message.get("role") == "user"]
    if not users:
        return None
    prompt = _text(messages[users[-1]].get("content"))
    step = sum(1 for message in messages[users[-1] + 1 :] if message.get("role") == "assistant")
    for keyword, turns in table.items():
        if keyword in prompt:
            return turns[step] if step < len(turns) else None
    return None
