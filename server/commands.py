"""Command ids, argument types and notification shapes: the contract with clients/.

Every command takes at most one argument, a JSON object validated by the pydantic model
registered for it here (camelCase keys; unknown keys are rejected so typos surface as
-32602 instead of being silently ignored). The VS Code extension and the Neovim plugin use
exactly these ids; clients/vscode/src/protocol.ts mirrors this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Custom notification carrying streamed text from server to client.
STREAM_NOTIFICATION = "cairn/stream"


class CommandArgs(BaseModel):
    """Base of every command's argument object."""

    # defer_build: schemas are compiled on first use, not at import (initialize must be fast)
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )


class Position(CommandArgs):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(CommandArgs):
    start: Position
    end: Position


class NoArgs(CommandArgs):
    """For commands that take nothing."""


class Streamed(CommandArgs):
    """Arguments shared by commands whose output is streamed through ``cairn/stream``.

    ``stream_id`` is chosen by the client so it can route notifications to the right view
    before the command's response arrives; the server makes one up when it is missing.
    """

    stream_id: str | None = Field(default=None, max_length=200)


class ChatArgs(Streamed):
    prompt: str = Field(min_length=1, max_length=200_000)
    uri: str | None = None
    range: Range | None = None
    session_id: str | None = None


ActionName = Literal["explain", "fix", "refactor", "docstring", "tests"]


class Diagnostic(CommandArgs):
    """The subset of an LSP diagnostic the fix action needs."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )

    range: Range
    message: str
    severity: int | None = None
    source: str | None = None
    code: int | str | None = None


class RunActionArgs(Streamed):
    action: ActionName
    uri: str
    range: Range
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    instructions: str | None = Field(default=None, max_length=20_000)


class CancelArgs(CommandArgs):
    """Cancel one stream's work, or everything running when no id is given."""

    stream_id: str | None = None


class MemorySearchArgs(CommandArgs):
    query: str = Field(min_length=1, max_length=2_000)
    limit: int = Field(default=20, ge=1, le=200)


class MemoryForgetArgs(CommandArgs):
    id: int = Field(ge=1)


class SkillOpenArgs(CommandArgs):
    name: str = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class CommandSpec:
    """One command: its id, the argument model, and its palette title."""

    id: str
    args: type[CommandArgs]
    title: str


STATUS = CommandSpec(id="cairn.status", args=NoArgs, title="Cairn: Show Status")
CHAT = CommandSpec(id="cairn.chat", args=ChatArgs, title="Cairn: Chat")
RUN_ACTION = CommandSpec(id="cairn.runAction", args=RunActionArgs, title="Cairn: Run Action")
CANCEL = CommandSpec(id="cairn.cancel", args=CancelArgs, title="Cairn: Cancel")
NEW_SESSION = CommandSpec(id="cairn.newSession", args=NoArgs, title="Cairn: New Session")
MEMORY_CONSOLIDATE = CommandSpec(
    id="cairn.memory.consolidate", args=NoArgs, title="Cairn: Consolidate Memory"
)
MEMORY_SHOW = CommandSpec(id="cairn.memory.show", args=NoArgs, title="Cairn: Show Memory")
MEMORY_SEARCH = CommandSpec(
    id="cairn.memory.search", args=MemorySearchArgs, title="Cairn: Search Memory"
)
MEMORY_FORGET = CommandSpec(id="cairn.memory.forget", args=MemoryForgetArgs, title="Cairn: Forget")
SKILLS_LIST = CommandSpec(id="cairn.skills.list", args=NoArgs, title="Cairn: List Skills")
SKILLS_OPEN = CommandSpec(id="cairn.skills.open", args=SkillOpenArgs, title="Cairn: Open Skill")

ALL_COMMANDS: tuple[CommandSpec, ...] = (
    STATUS,
    CHAT,
    RUN_ACTION,
    CANCEL,
    NEW_SESSION,
    MEMORY_CONSOLIDATE,
    MEMORY_SHOW,
    MEMORY_SEARCH,
    MEMORY_FORGET,
    SKILLS_LIST,
    SKILLS_OPEN,
)


class StreamEvent(BaseModel):
    """Params of a ``cairn/stream`` notification.

    ``kind``: ``text`` (append to the answer), ``status`` (a transient line such as a tool
    being run), ``error`` (the run failed; ``text`` says why) and ``done`` (the stream is
    finished; no more events follow for this id).
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)

    stream_id: str
    kind: Literal["text", "status", "error", "done"]
    text: str = ""
