"""The agent loop: ask the model, run the tools it asks for, repeat until it answers.

Every exit is either a :class:`RunResult` or an exception of the :class:`AgentError` family
(``CancelledError`` passes through untouched). The user's message is stored before the first
model call and every step is stored as it completes, so a crash or a cancel loses at most the
reply being streamed (never stored as complete: the model layer guarantees it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cairn.server.agent.answer_code import AnswerCodeGuard, Replacement, replacement_for
from cairn.server.agent.edit_check import EditCheck, ExampleRun
from cairn.server.agent.errors import ContextWindowExceeded, IncompleteReply, StepLimitReached
from cairn.server.agent.focused_repair import MAX_TOKENS as REPAIR_MAX_TOKENS
from cairn.server.agent.focused_repair import FocusedRepair
from cairn.server.agent.missing_paths import MissingPathGuard
from cairn.server.agent.model import ModelClient, ModelReply, ToolCall
from cairn.server.agent.ports import ContextPolicy, Conversation, RunObserver
from cairn.server.agent.repo_map import RepoMap
from cairn.server.agent.tools.base import ToolRegistry, ToolResult
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.errors import ToolError
from cairn.server.agent.tools.textfiles import read_current
from cairn.server.agent.tools.workspace import FileShown

logger = logging.getLogger(__name__)

REDACTION_MEMO_SIZE = 4096
# One tool result may take a third of the input budget: the system prompt, memory, the request
# and the results before it need the rest (older results are shortened first, see
# cairn.memory.context_tail). Characters per token are counted low (code and values tokenise
# densely), so a result fits whatever the tokenizer; a floor keeps tiny windows usable.
TOOL_OUTPUT_SHARE = 1 / 3
TOOL_OUTPUT_CHARS_PER_TOKEN = 3
MIN_TOOL_OUTPUT_CHARS = 2000
# Tool specs beyond this share of the window are sent compact (first paragraphs, first
# sentences): the room is worth more to the conversation and memory than to the tools' manual.
FULL_SPECS_SHARE = 0.10
FINAL_ANSWER_NUDGE = (
    "Stop calling tools. Using the tool results above, answer my request now, in plain words: {request}"
)


@dataclass
class RunResult:
    """How a run ended: the answer, and what it cost."""

    text: str
    steps: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    tool_calls: list[str] = field(default_factory=list)

    def add_usage(self, reply: ModelReply) -> None:
        self.prompt_tokens += reply.usage.prompt_tokens
        self.completion_tokens += reply.usage.completion_tokens
        if self.cost_usd is not None and reply.usage.cost_usd is not None:
            self.cost_usd += reply.usage.cost_usd
        else:
            self.cost_usd = None  # one unknown price makes the total unknown


@dataclass
class Agent:
    """One agent bound to a model, tools, a conversation and a context policy."""

    model: ModelClient
    tools: ToolRegistry
    tool_context: ToolContext | None  # None without a workspace, where there are no tools
    conversation: Conversation
    context: ContextPolicy
    observer: RunObserver
    system_prompt: str
    max_steps: int = 400
    redact: Callable[[Any], Any] | None = None  # applied to every request before it leaves
    # The workspace's map (the context policy shows it): edits mark files changed in it, and a
    # path reported missing is answered with the map's closest names.
    repo_map: RepoMap | None = None
    # Each distinct message is redacted once: a context repeats most of its messages every step.
    _redacted: dict[str, dict] = field(default_factory=dict, init=False, repr=False)

    async def run(self, prompt: str, *, user_text: str | None = None) -> RunResult:
        """Answer ``prompt`` within ``max_steps`` model calls.

        ``user_text``: the user's own words inside ``prompt`` when Cairn wrote the rest (memory
        takes instructions only from them); None when the prompt is all the user's."""
        await self.model.prepare()
        await self.conversation.add(
            {"role": "user", "content": prompt}, tokens=self.model.count_tokens(prompt), user_text=user_text
        )
        result = RunResult(text="", steps=0)
        specs, schema_tokens = self._specs()  # once per run
        if self.tool_context is not None:  # a result must fit beside the rest of the context
            budget = self._budget(self.model.context_window(), schema_tokens)
            self.tool_context.output_chars = tool_output_chars(budget)
        repeats = RepeatGuard(self.tools.is_mutating)
        missing = MissingPathGuard(self._exists, self.repo_map.similar if self.repo_map else lambda p: [])
        unapplied = AnswerCodeGuard(prompt)  # code left in an answer instead of the file
        edits = EditCheck()  # the changed definitions' docstring examples, run by Cairn
        repairs = FocusedRepair()  # Cairn's own short model calls to fix what the check found
        correction: str | None = None
        for step in range(1, self.max_steps + 1):
            result.steps = step
            self.observer.step(step)
            await self._update_map()
            # A model that keeps repeating itself must answer with what it has (no tools).
            if repeats.exhausted:
                nudge = correction or FINAL_ANSWER_NUDGE.format(request=prompt)
                reply = await self._ask([], prompt, 0, nudge=nudge)
            else:
                reply = await self._ask(specs, prompt, schema_tokens, nudge=correction)
            correction = None
            result.add_usage(reply)
            stated = [] if reply.tool_calls else missing.stated(reply.text)
            if stated and not missing.corrected and step < self.max_steps:
                # One corrective turn: the model is told which path does not exist (see
                # missing_paths.py); the answer it gave stays in the transcript as given.
                await self.conversation.add(reply.as_message(), tokens=reply.usage.completion_tokens)
                correction = missing.correction(stated)
                self.observer.text(missing.retraction(stated))
                continue
            if stated:  # corrected once already: the answer carries a note instead
                annotated = missing.annotated(reply.text, stated)
                self.observer.text(annotated[len(reply.text) :] if annotated.startswith(reply.text) else "")
                reply = dataclasses.replace(reply, text=annotated)
            await self.conversation.add(reply.as_message(), tokens=reply.usage.completion_tokens)
            if not reply.tool_calls:
                if step < self.max_steps:
                    correction = await self._after_answer(unapplied, edits, repairs, reply.text, result)
                    if correction is not None:  # one turn to check or fix what changed
                        continue
                result.text = reply.text
                return result
            for call in reply.tool_calls:
                result.tool_calls.append(call.name)
                outcome = repeats.refusal(call)
                if outcome is not None:  # shown, so a step is never silent
                    self.observer.status(f"{describe_call(call)} (repeated, not run)")
                else:
                    outcome = await self._run_tool(call)
                repeats.ran(call, outcome)
                missing.observe(call.name, outcome)
                unapplied.observe(
                    call.name, call.arguments, self.tools.is_mutating(call.name), outcome.is_error
                )
                edits.observe(self.tools.is_mutating(call.name), outcome)
                await self._record_tool_result(call, outcome)
        raise StepLimitReached(
            f"The agent stopped after {self.max_steps} steps without finishing. Ask it to continue, "
            "or raise cairn.maxSteps."
        )

    async def _ask(
        self, specs: list[dict], request: str, schema_tokens: int, nudge: str | None = None
    ) -> ModelReply:
        """One model call; on a context overflow, compact once and retry once.

        ``nudge`` is appended as a last user message for this call only (never stored). The
        context policy reads the conversation itself: the loop never re-reads the session."""
        window = self.model.context_window()
        compacted = False
        while True:
            messages = await self.context.messages(
                self.system_prompt,
                self.conversation,
                request=request,
                budget=self._budget(window, schema_tokens),
            )
            if nudge:
                messages = [*messages, {"role": "user", "content": nudge}]
            if self.redact is not None:
                messages = self._redact_messages(messages)
            try:
                return await self.model.reply(messages, tools=specs or None, on_text=self.observer.text)
            except IncompleteReply as exc:
                if exc.partial_text:  # kept for the record, never as a complete reply
                    await self.conversation.add(
                        {"role": "assistant", "content": exc.partial_text}, complete=False
                    )
                raise
            except ContextWindowExceeded:
                if compacted or not await self.context.compact(self.model.count_tokens(messages)):
                    raise
                compacted = True
                self.observer.status("Context full: compacted the conversation, retrying")

    async def _record_tool_result(self, call: ToolCall, outcome: ToolResult) -> None:
        self._note_change(call, outcome)
        await self.conversation.add(
            {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": outcome.content},
            tokens=self.model.count_tokens(outcome.content),
        )

    async def _after_answer(
        self,
        guard: AnswerCodeGuard,
        edits: EditCheck,
        repairs: FocusedRepair,
        answer: str,
        result: RunResult,
    ) -> str | None:
        """The note for one more turn after an answer, or None when the answer stands.

        Code the answer holds is applied (answer_code.py), then the changed definitions'
        examples are run (edit_check.py), and what fails gets Cairn's focused repair calls
        (focused_repair.py): the verdict on what the file then holds replaces the answer-code
        guard's "check it" turn, so one answer never earns two notes."""
        applied = await self._apply_answer_code(guard, edits, answer, result)
        runs = await edits.run(self.tool_context, self.observer.status)
        if not runs and not applied and guard.awaits_code():  # asked for a change, none made
            runs = await edits.run_unchanged(
                self.tool_context, self.observer.status, guard.paths(), guard.request
            )
        if not runs:
            return guard.applied_note(*applied) if applied else None
        runs = await self._repair(edits, repairs, runs, result)
        code_applies = (
            edits.asks_fix(runs) and guard.invite([r.path for r in runs]) and "propose_edit" in self.tools
        )
        fix = edits.correction(runs, answer_code_applies=code_applies)
        self.observer.text(edits.shown(runs, asking=fix is not None))
        if fix is None:
            return None
        return guard.applied_note(*applied, checked=fix) if applied else fix

    async def _repair(
        self, edits: EditCheck, repairs: FocusedRepair, runs: list[ExampleRun], result: RunResult
    ) -> list[ExampleRun]:
        """``runs`` after Cairn's focused repair of a failing definition (focused_repair.py)."""
        ctx = self.tool_context
        if ctx is None or "propose_edit" not in self.tools or all(run.passed for run in runs):
            return runs

        async def ask(prompt: str, sample: int) -> str:
            # Only this message: the agent's context is what the model did not act on.
            messages = [{"role": "user", "content": prompt}]
            if self.redact is not None:
                messages = self._redact_messages(messages)
            limit = min(REPAIR_MAX_TOKENS, self.model.config.max_output_tokens)
            reply = await self.model.reply(messages, max_tokens=limit, sample=sample)
            result.add_usage(reply)
            return reply.text

        async def apply(replacement: Replacement, description: str) -> ToolResult:
            return await self._propose(
                replacement, f"cairn-repair-{len(result.tool_calls) + 1}", description, result
            )

        before = len(repairs.outcomes)
        runs = await repairs.repair(ctx, edits, runs, ask, apply, self.observer.status)
        for outcome in repairs.outcomes[before:]:
            self.observer.text(repairs.shown(outcome))
        return runs

    async def _propose(
        self, replacement: Replacement, call_id: str, description: str, result: RunResult
    ) -> ToolResult:
        """Run ``propose_edit`` for an edit Cairn makes itself, recorded as the call it stands
        for, so the transcript and memory see the edit."""
        call = ToolCall(
            id=call_id,
            name="propose_edit",
            arguments={
                "path": replacement.path,
                "old_text": replacement.old_text,
                "new_text": replacement.new_text,
                "description": description,
            },
        )
        await self.conversation.add({"role": "assistant", "content": None, "tool_calls": [call.as_json()]})
        result.tool_calls.append(call.name)
        outcome = await self._run_tool(call)
        await self._record_tool_result(call, outcome)
        return outcome

    async def _apply_answer_code(
        self, guard: AnswerCodeGuard, edits: EditCheck, answer: str, result: RunResult
    ) -> tuple[Replacement, str] | None:
        """Apply the code a final answer holds to the file it was asked to change (see
        answer_code.py); what was applied and the edit's outcome, or None."""
        ctx = self.tool_context
        if ctx is None or "propose_edit" not in self.tools:
            return None
        for path in guard.candidates(answer):
            try:
                current = await read_current(ctx, path)
            except ToolError:
                continue
            replacement = replacement_for(current.path, current.text, answer)
            if replacement is None:
                continue
            self.observer.text(guard.shown(replacement))
            call_id = f"cairn-apply-{guard.applied + 1}"
            outcome = await self._propose(
                replacement, call_id, "the code from the answer, applied by Cairn", result
            )
            if outcome.is_error:
                return None
            guard.applied += 1
            edits.observe(True, outcome)
            return replacement, outcome.content.split("\n", 1)[0]
        return None

    def _exists(self, path: str) -> bool:
        """Whether ``path`` exists now, on disk or as an open (or staged) buffer."""
        ctx = self.tool_context
        if ctx is None:
            return False
        try:
            rel = ctx.workspace.relpath(path)
            return ctx.buffers.get(rel) is not None or ctx.workspace.kind(rel) is not None
        except ToolError:
            return False

    def _note_change(self, call: ToolCall, outcome: ToolResult) -> None:
        """A tool that changed a file: the map looks at that file again before the next step."""
        path = (call.arguments or {}).get("path")
        if self.repo_map is not None and self.tools.is_mutating(call.name) and not outcome.is_error:
            if isinstance(path, str):
                self.repo_map.mark_changed([path])

    async def _update_map(self) -> None:
        if self.repo_map is not None and self.repo_map.stale and self.tool_context is not None:
            await asyncio.to_thread(self.repo_map.update, self.tool_context.workspace)

    def _redact_messages(self, messages: list[dict]) -> list[dict]:
        """``redact`` applied message by message, each distinct message once (R15, R18)."""
        assert self.redact is not None
        redacted = []
        for message in messages:
            key = json.dumps(message, sort_keys=True, default=str)
            clean = self._redacted.get(key)
            if clean is None:
                clean = self.redact(message)
                if len(self._redacted) >= REDACTION_MEMO_SIZE:
                    self._redacted.pop(next(iter(self._redacted)))  # the oldest first
                self._redacted[key] = clean
            redacted.append(dict(clean))  # a copy: the memo must not change under the model layer
        return redacted

    def _specs(self) -> tuple[list[dict], int]:
        """The tool specs for this model and their tokens: compact when the full manual would
        take more than ``FULL_SPECS_SHARE`` of the window (an 8k window: about a quarter)."""
        specs = self.tools.specs()
        tokens = self.model.count_tokens(json.dumps(specs)) if specs else 0
        if tokens > FULL_SPECS_SHARE * self.model.context_window():
            specs = self.tools.specs(compact=True)
            tokens = self.model.count_tokens(json.dumps(specs))
        return specs, tokens

    def _budget(self, window: int, schema_tokens: int) -> int:
        """Input tokens available for messages: the window less the reply and tool schemas."""
        reserve = min(self.model.config.max_output_tokens, window // 4)
        return max(1024, window - reserve - schema_tokens)

    async def _run_tool(self, call: ToolCall) -> ToolResult:
        if call.arguments_error:
            return ToolResult(
                f"Your arguments for {call.name} were not a JSON object "
                f"({call.arguments_error}). Call the tool again with valid JSON.",
                True,
            )
        if self.tool_context is None:
            return ToolResult(f"No tools without an open workspace; {call.name} cannot run.", True)
        self.observer.status(describe_call(call))
        result = await self.tools.call(call.name, call.arguments, self.tool_context)
        if result.is_error:
            logger.info("tool %s returned an error: %s", call.name, result.content[:200])
        return result


class RepeatGuard:
    """Catches a model calling the same tool with the same arguments again (small models loop).

    A repeat is answered with a reminder instead of running the tool; after ``limit`` repeats the
    next model call gets no tools, so the run ends with an answer. Reading a file the run was
    shown whole (`FileShown`) is a repeat whatever range it asks for: small models page through
    a short file again and again with new line numbers (HumanEval runs hit their timeout so).
    Tools that change the workspace (``Tool.mutating``) reset the memory: reading a file again
    after editing it is no repeat.
    """

    def __init__(self, mutating: Callable[[str], bool], limit: int = 2) -> None:
        self.mutating = mutating
        self.limit = limit
        self._seen: set[str] = set()
        self._whole: set[tuple[str, str]] = set()  # (tool, path): files shown whole, unchanged since
        self.repeated = 0

    @property
    def exhausted(self) -> bool:
        return self.repeated >= self.limit

    @staticmethod
    def _signature(call: ToolCall) -> str:
        return call.name + json.dumps(call.arguments, sort_keys=True, default=str)

    @staticmethod
    def _file(call: ToolCall, path: object) -> tuple[str, str] | None:
        return (
            (call.name, posixpath.normpath(path.strip())) if isinstance(path, str) and path.strip() else None
        )

    def refusal(self, call: ToolCall) -> ToolResult | None:
        shown = self._file(call, (call.arguments or {}).get("path"))
        if shown is not None and shown in self._whole:
            self.repeated += 1
            return ToolResult(
                f"You already read all of {shown[1]} and it has not changed since: its text is "
                "earlier in this conversation. Do not read it again: use it, call another tool, "
                "or give your final answer now.",
                is_error=True,
            )
        if self._signature(call) not in self._seen:
            return None
        self.repeated += 1
        return ToolResult(
            f"You already called {call.name} with exactly these arguments; its result is "
            "earlier in this conversation. Do not repeat the call: use that result, call "
            "another tool, or give your final answer now.",
            is_error=True,
        )

    def ran(self, call: ToolCall, outcome: ToolResult) -> None:
        if self.mutating(call.name) and not outcome.is_error:
            self._seen.clear()
            self._whole.clear()
            return
        self._seen.add(self._signature(call))
        if isinstance(outcome.data, FileShown) and outcome.data.whole:
            for path in ((call.arguments or {}).get("path"), outcome.data.path):
                shown = self._file(call, path)
                if shown is not None:
                    self._whole.add(shown)


def tool_output_chars(budget_tokens: int) -> int:
    """The most characters one tool result may take in a context of ``budget_tokens``."""
    return max(MIN_TOOL_OUTPUT_CHARS, int(budget_tokens * TOOL_OUTPUT_SHARE) * TOOL_OUTPUT_CHARS_PER_TOKEN)


def describe_call(call: ToolCall) -> str:
    """A short human line for a tool call (progress, status bar, the CLI)."""
    args: dict[str, Any] = call.arguments or {}
    target = args.get("path") or args.get("query") or args.get("command") or args.get("name") or ""
    target = str(target)
    if len(target) > 60:
        target = target[:57] + "…"
    return f"{call.name} {target}".strip()
