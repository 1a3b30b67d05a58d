"""When Cairn's check of a change finds failing examples, Cairn asks the model for a fix itself.

Measured with the embedded 0.5B model (issue 13): the edit check (edit_check.py) found failing
examples in half the changes it ran, but the model's corrective turn, inside the full agent
context (system prompt, tools, history), mostly gave the same code back; the same model asked
only for the function, with nothing else in its context, writes better code. So after a failing
check Cairn makes a short, focused call of its own:

- the message holds only the failing definition (its current text, with the docstring it had
  before the run: its examples are the spec), the failing calls with what they gave and what
  the docstring expects, and the instruction to reply with the whole corrected definition in
  one block: no system prompt, no tools, no history, a bounded reply (``MAX_TOKENS``);
- the reply's code is turned into an edit by answer_code.py's `replacement_for` and run
  against the same examples on the text it would give, before anything is written; it is
  applied (through the loop's ``propose_edit`` path, so approval, confinement and the
  transcript are those of any edit) only when it passes more examples than the best version
  seen, so the file never ends worse than it was;
- at most ``MAX_CALLS`` calls a check (the check itself is bounded, edit_check.MAX_CHECKS), one
  definition a check, only when commands run without asking (`runs_without_asking`: each
  attempt runs the examples); a second call shows the last attempt and its own failures, and a
  message asked before is never asked again (a greedy model would answer it the same way);
- the calls after those ask for the function written anew again, sampled (``ModelClient.reply``'s
  ``sample``: a seeded, warmer decoding), so each is a different attempt: the examples choose
  among them, as they would among a person's drafts.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cairn.server.agent.answer_code import Replacement, replacement_for, statement_lines
from cairn.server.agent.edit_check import (
    EditCheck,
    ExampleRun,
    describe_failure,
    run_examples,
    top_level,
)
from cairn.server.agent.errors import ContextWindowExceeded, IncompleteReply, ModelRequestError
from cairn.server.agent.templates import repair_prompt, rewrite_prompt
from cairn.server.agent.tools.base import ToolResult
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.edit import replace_unique
from cairn.server.agent.tools.errors import ToolError
from cairn.server.agent.tools.shell import runs_without_asking
from cairn.server.agent.tools.textfiles import read_current

MAX_CALLS = 4  # a check's repair calls
MAX_SAMPLES = 8  # sampled rewrites of one definition in a run (seeds 1..MAX_SAMPLES)
MAX_TOKENS = 768  # a corrected function; the bare model's answers fit well within it

# One model call with only this message -> the reply text; the int: 0 for the model's own
# decoding, n > 0 for the n-th sampled answer.
Ask = Callable[[str, int], Awaitable[str]]
Apply = Callable[[Replacement, str], Awaitable[ToolResult]]  # the edit, its description -> outcome


def passes(run: ExampleRun) -> int:
    """How many examples ``run`` passed; -1 when the file did not run at all."""
    return -1 if run.error or run.unchecked else run.examples - run.failed


def _owner(name: str) -> str:
    return name.split(".")[0]


def failing_definition(run: ExampleRun) -> str | None:
    """The top-level definition a repair works on: the first with a failing example (or, when
    the file did not run, the one checked, if only one was)."""
    for failure in run.failures:
        return _owner(failure.name)
    return run.names[0] if run.error and len(run.names) == 1 else None


def _docstring_lines(node: ast.stmt) -> tuple[int, int] | None:
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            return first.lineno, first.end_lineno or first.lineno
    return None


def with_original_docstring(text: str, original: str, name: str) -> str | None:
    """``name``'s source in ``text``, with the docstring it has in ``original`` in place of its
    own (a small model rewrites the examples to fit its code); None when ``text`` does not
    define it. Its own text when the original had no docstring or the two do not line up."""
    current = top_level(text)
    if not current or name not in current:
        return None
    node, source = current[name]
    before = (top_level(original) or {}).get(name)
    spec = _docstring_lines(before[0]) if before else None
    body = getattr(node, "body", [])
    if before is None or spec is None or not body or body[0].lineno == node.lineno:
        return source
    if getattr(before[0], "body", body)[0].col_offset != body[0].col_offset:
        return source  # another indentation: pasting it would not parse
    start = statement_lines(node)[0]
    lines = source.splitlines(keepends=True)
    own = _docstring_lines(node)
    first, last = own if own else (body[0].lineno, body[0].lineno - 1)
    docstring = original.splitlines(keepends=True)[spec[0] - 1 : spec[1]]
    return "".join(lines[: first - start] + docstring + lines[last - start + 1 :])


def spec_stub(original: str, name: str) -> str | None:
    """Function ``name`` of ``original`` cut after its docstring: its signature and its spec
    (None for a class, or a function without a docstring on its own lines)."""
    found = (top_level(original) or {}).get(name)
    if found is None or not isinstance(found[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    node = found[0]
    doc = _docstring_lines(node)
    if doc is None or doc[0] == node.lineno:
        return None
    start = statement_lines(node)[0]
    return "".join(original.splitlines(keepends=True)[start - 1 : doc[1]])


def _failures_text(run: ExampleRun, name: str) -> str:
    if run.error:
        return f"- the file does not run: {run.error}"
    return "\n".join(describe_failure(f) for f in run.failures if _owner(f.name) == name)


@dataclass
class RepairOutcome:
    """What one check's repair did: the run of the version the file now holds."""

    path: str
    name: str
    run: ExampleRun
    calls: int = 0
    applied: int = 0  # edits Cairn made (each passing more examples than the one before)
    first_passes: int = 0
    restored: bool = False  # the last edit brought back a version the run had before


@dataclass
class FocusedRepair:
    """One run's repair calls (their messages, so none is asked twice) and the best version of
    each definition its checks saw."""

    asked: set[str] = field(default_factory=set)
    outcomes: list[RepairOutcome] = field(default_factory=list)
    # (path, name) -> (examples passed, the definition's text then)
    best_seen: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    async def repair(
        self,
        ctx: ToolContext,
        edits: EditCheck,
        runs: list[ExampleRun],
        ask: Ask,
        apply: Apply,
        status: Callable[[str], None],
    ) -> list[ExampleRun]:
        """``runs`` (one check's) with the first failing file's run replaced by its repaired
        version's when a repair was kept; ``runs`` as given when none was tried or kept."""
        if not runs_without_asking(ctx):
            return runs
        for index, run in enumerate(runs):
            name = failing_definition(run) if not run.passed and not run.unchecked else None
            if name is None:
                continue
            outcome = await self._repair_one(ctx, edits, run, name, ask, apply, status)
            if outcome is None:
                return runs
            self.outcomes.append(outcome)
            return [*runs[:index], outcome.run, *runs[index + 1 :]]  # one definition a check
        return runs

    async def _repair_one(
        self,
        ctx: ToolContext,
        edits: EditCheck,
        run: ExampleRun,
        name: str,
        ask: Ask,
        apply: Apply,
        status: Callable[[str], None],
    ) -> RepairOutcome | None:
        try:
            best = (await read_current(ctx, run.path)).text
        except ToolError:
            return None
        original = edits.baseline.get(run.path, best)  # unchanged in this run: it is the original
        outcome = RepairOutcome(run.path, name, run, first_passes=passes(run))
        self._remember(outcome, best, run)
        while outcome.calls < MAX_CALLS and not outcome.run.passed:
            fresh = [p for p in self._prompts(best, original, name, outcome.run) if _key(p) not in self.asked]
            if not fresh:
                break
            how, prompt, sample = fresh[0]
            self.asked.add(_key(fresh[0]))
            outcome.calls += 1
            status(f"Asking the model to {how.format(name=f'`{name}`')} in {run.path}")
            try:
                reply = await ask(prompt, sample)
            except (ModelRequestError, IncompleteReply, ContextWindowExceeded) as exc:
                status(f"The repair call failed: {exc.user_message}")
                break
            candidate = _candidate(run.path, best, reply, name)
            if candidate is None:
                status(f"The repair reply held no new code for `{name}`")
                continue
            going, applied = await self._try(ctx, edits, outcome, candidate, apply, status, "repaired")
            best = applied or best
            if not going:
                break
        # A later turn may have made the definition worse than a version this run already had
        # (the model's corrective turn did, on HumanEval/101): that version comes back.
        seen = self.best_seen.get((run.path, name))
        if seen is not None and seen[0] > passes(outcome.run):
            candidate = _candidate(run.path, best, f"```python\n{seen[1]}```\n", name)
            if candidate is not None:
                _, applied = await self._try(ctx, edits, outcome, candidate, apply, status, "earlier")
                outcome.restored = applied is not None
        return outcome if outcome.calls or outcome.applied else None

    def _remember(self, outcome: RepairOutcome, text: str, run: ExampleRun) -> None:
        """Keep the definition's text when ``run`` of it passed more than any version before."""
        found = (top_level(text) or {}).get(outcome.name)
        key = (outcome.path, outcome.name)
        if found is not None and (key not in self.best_seen or passes(run) > self.best_seen[key][0]):
            self.best_seen[key] = (passes(run), found[1])

    async def _try(
        self,
        ctx: ToolContext,
        edits: EditCheck,
        outcome: RepairOutcome,
        candidate: tuple[Replacement, str],
        apply: Apply,
        status: Callable[[str], None],
        label: str,
    ) -> tuple[bool, str | None]:
        """Run the candidate's examples on the text it gives; apply it only when it passes more
        than the file's version. Whether to go on, and the file's text when it was applied."""
        replacement, text = candidate
        name = outcome.name
        targets = await asyncio.to_thread(edits.targets, outcome.path, text)
        tried = await run_examples(ctx, outcome.path, text, targets)
        if tried.unchecked:
            return False, None
        self._remember(outcome, text, tried)
        before, after = passes(outcome.run), passes(tried)
        total = tried.examples or outcome.run.examples
        if after <= before:
            status(f"The {label} `{name}` passes {max(after, 0)} of {total} examples, not more: not kept")
            return True, None
        why = "focused repair" if label == "repaired" else "return to the best version this run had"
        description = (
            f"Cairn's {why} of `{name}`: {after} of {total} docstring examples pass (were {max(before, 0)})"
        )
        result = await apply(replacement, description)
        if result.is_error:  # refused or stale: the file holds what it held
            status(f"The {label} `{name}` was not applied: {result.content.splitlines()[0]}")
            return False, None
        edits.observe_checked(result)
        outcome.applied += 1
        outcome.run = tried
        status(f"The {label} `{name}` passes {after} of {total} examples: applied")
        try:
            return True, (await read_current(ctx, outcome.path)).text
        except ToolError:
            return False, None

    @staticmethod
    def _prompts(best: str, original: str, name: str, run: ExampleRun) -> list[tuple[str, str, int]]:
        """The calls a repair may make (message, sample), in order: the function written anew
        from its signature and original docstring alone (a small model shown its failing code
        tends to give it back), then the best version so far with its failures, then the
        function written anew again, sampled."""
        prompts: list[tuple[str, str, int]] = []
        stub = spec_stub(original, name)
        rewrite = rewrite_prompt(definition=stub) if stub is not None else None
        if rewrite is not None:
            prompts.append(("write {name} anew from its signature and docstring", rewrite, 0))
        definition = with_original_docstring(best, original, name)
        if definition is not None:
            node = (top_level(best) or {})[name][0]
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            failures = _failures_text(run, name)
            prompt = repair_prompt(kind=kind, definition=definition, failures=failures)
            prompts.append(("repair {name} from its failing examples", prompt, 0))
        if rewrite is not None:
            for sample in range(1, MAX_SAMPLES + 1):
                how = f"write {{name}} anew again (attempt {sample + 1})"
                prompts.append((how, rewrite, sample))
        return prompts

    @staticmethod
    def shown(outcome: RepairOutcome) -> str:
        """The line the user sees under the answer, before the check's own line."""
        calls = "1 call" if outcome.calls == 1 else f"{outcome.calls} calls"
        head = f"[Cairn: asked the model to repair `{outcome.name}` in {outcome.path} ({calls})"
        if not outcome.calls:
            head = f"[Cairn: `{outcome.name}` in {outcome.path} passed fewer examples than before"
        if not outcome.applied:
            return f"\n\n{head}; no repair passed more examples, the code is as it was.]"
        which = "brought back the version this run had before" if outcome.restored else "applied the version"
        return (
            f"\n\n{head}; {which} passing {passes(outcome.run)} of "
            f"{outcome.run.examples} examples (was {max(outcome.first_passes, 0)}).]"
        )


def _key(call: tuple[str, str, int]) -> str:
    """What makes two repair calls the same: their message and their sample."""
    _, prompt, sample = call
    return f"{sample}\n{prompt}"


def _candidate(path: str, text: str, reply: str, name: str) -> tuple[Replacement, str] | None:
    """The edit the reply's code amounts to and the file text it gives, when it redefines
    ``name`` and changes something."""
    replacement = replacement_for(path, text, reply)
    if replacement is None or name not in replacement.names:
        return None
    try:
        return replacement, replace_unique(text, replacement.old_text, replacement.new_text, path)
    except ToolError:
        return None
