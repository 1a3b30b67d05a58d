"""The argument objects of Cairn's commands and the `cairn/stream` event, as pydantic models.

Kept apart from the ids in commands.py so that answering ``initialize`` never pays for pydantic
(R20): these models are imported by the first command that runs, or in the background at startup.
Arguments are camelCase JSON; unknown keys are rejected so typos surface as -32602.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from cairn.server.action_specs import ACTION_IDS


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
    """Arguments shared by the commands that start a run (answered at once with its run id).

    ``stream_id`` becomes the run id; a client that streams chooses it so it can route
    ``cairn/stream`` notifications to the right view before the command's response arrives.
    The server makes one up when it is missing.
    """

    stream_id: str | None = Field(default=None, max_length=200)


class ChatArgs(Streamed):
    prompt: str = Field(min_length=1, max_length=200_000)
    uri: str | None = None
    range: Range | None = None
    session_id: str | None = None


# The ids of server/action_specs.py's table, so an action added there is accepted here.
ActionName = Literal[ACTION_IDS]  # type: ignore[valid-type]


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


class ResultArgs(CommandArgs):
    """The outcome of one run (running or finished), or of the latest run when no id is given."""

    run_id: str | None = Field(default=None, max_length=200)


class MemorySearchArgs(CommandArgs):
    query: str = Field(min_length=1, max_length=2_000)
    limit: int = Field(default=20, ge=1, le=200)


class MemoryForgetArgs(CommandArgs):
    id: int = Field(ge=1)


class SkillOpenArgs(CommandArgs):
    name: str = Field(min_length=1, max_length=64)


class SkillEvalArgs(CommandArgs):
    """Evaluate the SKILL.md at ``uri`` (its open text, unsaved edits included) on ``tasks`` (a
    named set such as ``humaneval``, or a JSONL file relative to the workspace) against the skill
    ``against`` (a name or path) or, without it, against no skill; ``limit`` tasks, seeded."""

    uri: str = Field(min_length=1, max_length=8_192)
    tasks: str = Field(min_length=1, max_length=4_096)
    against: str | None = Field(default=None, min_length=1, max_length=4_096)
    limit: int | None = Field(default=20, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0)
    eval_id: str | None = Field(default=None, min_length=1, max_length=200)


class SkillEvalResultArgs(CommandArgs):
    """The state or report of one skill evaluation, or of the latest when no id is given."""

    eval_id: str | None = Field(default=None, max_length=200)


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
