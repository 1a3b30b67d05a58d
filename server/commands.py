"""Command ids and titles, and the `cairn/stream` notification: the contract with clients/.

Every command takes at most one argument, a JSON object validated by the model named here and
defined in command_args.py. The VS Code extension and the Neovim plugin use exactly these ids;
clients/vscode/src/protocol.ts and clients/nvim/lua/cairn/protocol.lua mirror this file (a test
keeps them in sync). Light on purpose: the server imports it before answering ``initialize``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

# Custom notification carrying streamed text from server to client. Sent only to clients that opt
# in, with ``"streamNotifications": true`` in initializationOptions or
# ``capabilities.experimental.cairn.stream``; other clients get a run's outcome through
# ``window/showDocument`` / ``window/showMessage`` and ``cairn.result``.
STREAM_NOTIFICATION = "cairn/stream"
STREAM_OPT_IN = "streamNotifications"
# A client plugin that answers ``workspace/applyEdit`` for an LSP library that declares
# ``applyEdit: false`` and cannot declare otherwise (ALE: the Vim plugin) sets this to true in
# initializationOptions.
APPLY_EDITS_OPT_IN = "applyEdits"
# ``text``: append to the answer; ``status``: a transient line (a tool being run); ``error``: the
# run failed (``text`` says why); ``done``: the stream is finished, nothing follows.
STREAM_KINDS = ("text", "status", "error", "done")


def stream_event(stream_id: str, kind: str, text: str = "") -> dict[str, str]:
    """The params of one ``cairn/stream`` notification (see command_args.StreamEvent)."""
    if kind not in STREAM_KINDS:
        raise ValueError(f"unknown stream event kind {kind!r}")
    return {"streamId": stream_id, "kind": kind, "text": text}


@dataclass(frozen=True)
class CommandSpec:
    """One command: its id, its argument model, and its palette title.

    ``arguments`` names a model of cairn.server.command_args (or is the class itself); ``args``
    resolves it on first use, so importing this module never imports pydantic.
    """

    id: str
    arguments: str | type[BaseModel]
    title: str

    @property
    def args(self) -> type[BaseModel]:
        """The argument model; `TypeError` when ``arguments`` names no model (a bug of ours)."""
        if not isinstance(self.arguments, str):
            return self.arguments
        from pydantic import BaseModel

        model = getattr(importlib.import_module("cairn.server.command_args"), self.arguments, None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{self.id}: {self.arguments!r} is not an argument model of command_args")
        return model


STATUS = CommandSpec(id="cairn.status", arguments="NoArgs", title="Cairn: Show Status")
CHAT = CommandSpec(id="cairn.chat", arguments="ChatArgs", title="Cairn: Chat")
RUN_ACTION = CommandSpec(id="cairn.runAction", arguments="RunActionArgs", title="Cairn: Run Action")
CANCEL = CommandSpec(id="cairn.cancel", arguments="CancelArgs", title="Cairn: Cancel")
RESULT = CommandSpec(id="cairn.result", arguments="ResultArgs", title="Cairn: Show Result")
NEW_SESSION = CommandSpec(id="cairn.newSession", arguments="NoArgs", title="Cairn: New Session")
MEMORY_CONSOLIDATE = CommandSpec(
    id="cairn.memory.consolidate", arguments="NoArgs", title="Cairn: Consolidate Memory"
)
MEMORY_SHOW = CommandSpec(id="cairn.memory.show", arguments="NoArgs", title="Cairn: Show Memory")
MEMORY_SEARCH = CommandSpec(
    id="cairn.memory.search", arguments="MemorySearchArgs", title="Cairn: Search Memory"
)
MEMORY_FORGET = CommandSpec(id="cairn.memory.forget", arguments="MemoryForgetArgs", title="Cairn: Forget")
SKILLS_LIST = CommandSpec(id="cairn.skills.list", arguments="NoArgs", title="Cairn: List Skills")
SKILLS_OPEN = CommandSpec(id="cairn.skills.open", arguments="SkillOpenArgs", title="Cairn: Open Skill")
SKILLS_EVAL = CommandSpec(id="cairn.skills.eval", arguments="SkillEvalArgs", title="Cairn: Evaluate Skill")
SKILLS_EVAL_RESULT = CommandSpec(
    id="cairn.skills.evalResult", arguments="SkillEvalResultArgs", title="Cairn: Show Skill Evaluation"
)

ALL_COMMANDS: tuple[CommandSpec, ...] = (
    STATUS,
    CHAT,
    RUN_ACTION,
    CANCEL,
    RESULT,
    NEW_SESSION,
    MEMORY_CONSOLIDATE,
    MEMORY_SHOW,
    MEMORY_SEARCH,
    MEMORY_FORGET,
    SKILLS_LIST,
    SKILLS_OPEN,
    SKILLS_EVAL,
    SKILLS_EVAL_RESULT,
)
