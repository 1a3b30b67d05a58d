"""After a run changed Python code, Cairn runs the changed definitions' docstring examples itself.

Measured on HumanEval with the embedded 0.5B model (issue 13): the agent's code failed more
often than the bare model's, and the model ran the docstring's ``>>>`` examples on none of 23
problems although the request said how. What lifts a small model is the behaviour it skips:
run the examples, read the failure, try again. `EditCheck` makes the first two deterministic:

- when the model's turn ends with an answer and, since the last check, an edit tool changed a
  Python file (the model's own ``propose_edit`` / ``create_file``, or the code Cairn applied
  from its answer, answer_code.py), the top-level functions and classes whose source differs
  from the file before the run's first change to it (new ones too) are checked; the rest of the
  file is not what the model changed, and its failures are not the model's to fix;
- their docstrings' examples (``>>>``, or else the unambiguous ones written as prose,
  informal_examples.py, compared by value); when the definition had examples before the change
  and the model rewrote or dropped them (a small model often does, to fit its code), those it
  had, which are still its spec;
- only when commands may run with nobody asked (`runs_without_asking`: a trusted workspace and
  the shell allowed): a check is a command the user did not request;
- through the shell tool's sandbox (`run_confined`: Landlock, timeout, memory and CPU limits),
  with the workspace's ``python3`` running `examples_runner.py` on the text the agent sees;
- at most ``MAX_CHECKS`` times a run. A failing check that leaves another gives the model one
  turn with the failures (expected against got, or the exception's last line); the last
  check's failures are only shown to the user. So a run gets at most one corrective turn.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import re
import secrets
import shutil
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cairn import sandbox
from cairn.server.agent.answer_code import DEFINITION_NODES, statement_lines
from cairn.server.agent.informal_examples import as_doctest, informal_examples
from cairn.server.agent.tools.base import ToolResult
from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.errors import ToolError
from cairn.server.agent.tools.shell import run_confined, runs_without_asking, sandbox_refused
from cairn.server.agent.tools.textfiles import read_current

MAX_CHECKS = 2
_WORD = re.compile(r"[A-Za-z_]\w*")
RUN_SECONDS = 60.0  # the whole check (at most the user's shell timeout)
EXAMPLE_SECONDS = 5.0  # one example; an endless loop is reported as that example's failure
MEMORY_BYTES = 2 * 1024**3
MAX_FAILURES_SHOWN = 3
MAX_PAYLOAD_CHARS = 100_000  # one argv string may hold 128 KiB on Linux
RUNNER = Path(__file__).with_name("examples_runner.py")


@dataclass(frozen=True)
class Target:
    """One docstring to run: its definition's name (``Cls.method`` inside a class), the doctest
    text, the file line it starts on (None: taken from the file before the change, or written
    as prose), and whether its examples are compared by value (prose, informal_examples.py)."""

    name: str
    docstring: str
    line: int | None
    by_value: bool = False


def top_level(text: str) -> dict[str, tuple[ast.stmt, str]] | None:
    """Top-level definitions by name, with their source (decorators included); None when the
    text is not valid Python."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.splitlines(keepends=True)
    found: dict[str, tuple[ast.stmt, str]] = {}
    for node in tree.body:
        if isinstance(node, DEFINITION_NODES):
            start, end = statement_lines(node)
            found[node.name] = (node, "".join(lines[start - 1 : end]))
    return found


def _docstring(node: ast.stmt) -> tuple[str, int] | None:
    """The definition's docstring and the line it starts on."""
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            return first.value.value, first.value.lineno
    return None


def _docstrings(node: ast.stmt, name: str, *, with_lines: bool) -> list[Target]:
    """The docstrings holding examples in ``node`` and the definitions nested in it: ``>>>``
    examples, or else the unambiguous ones written as prose."""
    targets = []
    doc = _docstring(node)
    if doc is not None and ">>>" in doc[0]:
        targets.append(Target(name, doc[0], doc[1] if with_lines else None))
    elif doc is not None:
        prose = informal_examples(name.rsplit(".", 1)[-1], doc[0])
        if prose:
            targets.append(Target(name, as_doctest(prose), None, by_value=True))
    for child in getattr(node, "body", []):
        if isinstance(child, DEFINITION_NODES):
            targets += _docstrings(child, f"{name}.{child.name}", with_lines=with_lines)
    return targets


def example_targets(before: str, after: str) -> list[Target]:
    """The docstrings to run after ``before`` became ``after`` (see the module docstring).

    A changed definition is checked against the examples it had before the change when it had
    any: they are the spec the user wrote, and a small model rewrites or drops them to fit its
    code. When ``after`` is not valid Python, the examples ``before`` had: running them reports
    the syntax error, which every one of them would meet."""
    old = top_level(before) or {}
    new = top_level(after)
    if new is None:
        return [t for name, (node, _) in old.items() for t in _docstrings(node, name, with_lines=False)]
    targets: list[Target] = []
    for name, (node, source) in new.items():
        if name in old and old[name][1] == source:
            continue
        found = _docstrings(node, name, with_lines=True)
        if name in old:
            original = _docstrings(old[name][0], name, with_lines=False)
            if original and [t.docstring for t in original] != [t.docstring for t in found]:
                found = original
        targets += found
    return targets


def named_targets(text: str, words: set[str]) -> list[Target]:
    """The examples of ``text``'s top-level definitions whose names are among ``words``."""
    found = top_level(text) or {}
    return [
        t
        for name, (node, _) in found.items()
        if name in words
        for t in _docstrings(node, name, with_lines=True)
    ]


@dataclass(frozen=True)
class Failure:
    """One example that failed: ``got`` its output, or ``raised`` the exception's last line."""

    name: str
    line: int | None
    source: str
    expected: str
    got: str | None = None
    raised: str | None = None


@dataclass(frozen=True)
class ExampleRun:
    """What running one file's targets found. ``error``: the file itself did not run (or the
    run was killed); ``unchecked``: the check could not run at all (no interpreter, no sandbox)."""

    path: str
    names: tuple[str, ...]
    examples: int = 0
    failed: int = 0
    failures: tuple[Failure, ...] = ()
    error: str | None = None
    unchecked: str | None = None

    @property
    def passed(self) -> bool:
        return self.unchecked is None and self.error is None and self.failed == 0


def _module_name(path: str) -> str:
    stem = PurePosixPath(path).stem
    return stem if stem.isidentifier() else "checked_module"


def _program(path: str, text: str, targets: list[Target], marker: str) -> list[str] | None:
    """The runner's command line (None when the file is too large to pass in one argument)."""
    payload = {
        "path": path,
        "module": _module_name(path),
        "source": text,
        "targets": [[t.name, t.docstring, t.line, t.by_value] for t in targets],
        "marker": marker,
        "example_seconds": EXAMPLE_SECONDS,
        "max_failures": MAX_FAILURES_SHOWN,
    }
    packed = base64.b64encode(zlib.compress(json.dumps(payload).encode("utf-8"))).decode("ascii")
    if len(packed) > MAX_PAYLOAD_CHARS:
        return None
    # The workspace's interpreter (the user's packages); Cairn's own as the last resort.
    python = shutil.which("python3") or shutil.which("python") or sys.executable
    return [python, "-B", str(RUNNER), packed]


def parse_run(path: str, names: tuple[str, ...], stdout: str, marker: str) -> ExampleRun | None:
    """The runner's result line from ``stdout``; None when there is none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(marker):
            found = json.loads(line[len(marker) :])
            if found.get("error"):
                return ExampleRun(path, names, error=str(found["error"]))
            failures = tuple(
                Failure(f["name"], f["line"], f["source"], f["expected"], f.get("got"), f.get("raised"))
                for f in found.get("failures", [])
            )
            return ExampleRun(path, names, int(found["examples"]), int(found["failed"]), failures)
    return None


async def run_examples(ctx: ToolContext, path: str, text: str, targets: list[Target]) -> ExampleRun:
    """Run ``targets`` against ``text`` (the current text of ``path``) in the sandbox."""
    names = _top_names(targets)
    marker = f"CAIRN-EXAMPLES-{secrets.token_hex(8)}:"  # code under test cannot guess it
    program = await asyncio.to_thread(_program, path, text, targets, marker)
    if program is None:
        return ExampleRun(path, names, unchecked=f"{path} is too large to pass to the runner")
    seconds = min(RUN_SECONDS, ctx.shell_timeout)
    limits = sandbox.Limits(memory_bytes=MEMORY_BYTES, cpu_seconds=int(seconds) + 1)
    abi = sandbox.landlock_abi()
    result = await run_confined(ctx, program, rel_cwd=".", timeout=seconds, abi=abi, limits=limits)
    if sandbox_refused(result):
        return ExampleRun(path, names, unchecked="the sandbox could not be applied")
    if result.timed_out:
        return ExampleRun(path, names, error=f"the examples did not finish within {seconds:g} s")
    parsed = parse_run(path, names, result.stdout, marker)
    if parsed is not None:
        return parsed
    last = (result.stderr.strip().splitlines() or ["no output"])[-1][:300]
    if result.exit_code is not None and result.exit_code >= 0:
        # The runner catches what the code raises, so an exit without its result is the
        # runner's own failure (no interpreter, one too old), not the model's.
        return ExampleRun(path, names, unchecked=last)
    return ExampleRun(path, names, error=f"the run was killed by signal {-(result.exit_code or 0)}: {last}")


def _top_names(targets: list[Target]) -> tuple[str, ...]:
    """The top-level definitions ``targets`` belong to (``Cls`` for ``Cls.method``), once each."""
    return tuple(dict.fromkeys(t.name.split(".")[0] for t in targets))


def _code(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def describe_failure(failure: Failure) -> str:
    """One failing example for the model, said plainly: the call, what it gave, what the
    docstring expects (a 0.5B model did not act on a doctest-style expected/got block)."""
    docstring = "the docstring" if failure.line else "the original docstring"  # None: before the change
    outcome = f"raised {failure.raised};" if failure.raised else f"returned {failure.got}, but"
    return f"- `{failure.source}` {outcome} {docstring} expects {failure.expected}"


def _finding(run: ExampleRun) -> str:
    if run.error:
        return f"{run.path} does not run: {run.error}"
    return f"{run.failed} of {run.examples} fail"


@dataclass
class EditCheck:
    """One run's record of changed Python files and of the checks run on them."""

    baseline: dict[str, str] = field(default_factory=dict)  # path -> text before the run's first change
    pending: set[str] = field(default_factory=set)  # paths changed since the last check
    checks: int = 0
    # path -> how its targets are found in a text, as its last check found them (focused_repair.py)
    finders: dict[str, Callable[[str], list[Target]]] = field(default_factory=dict)

    def observe(self, mutating: bool, outcome: ToolResult) -> None:
        """Note a Python file an edit tool changed (its result says what the text was before)."""
        data = outcome.data
        if not mutating or outcome.is_error or not isinstance(data, dict):
            return
        path, before = data.get("path"), data.get("before")
        if isinstance(path, str) and path.endswith(".py") and isinstance(before, str):
            self.baseline.setdefault(path, before)
            self.pending.add(path)

    def observe_checked(self, outcome: ToolResult) -> None:
        """Note an edit Cairn made whose examples it already ran (focused_repair.py): its
        baseline is kept, but it is not checked again unless something changes it later."""
        self.observe(True, outcome)
        data = outcome.data
        if isinstance(data, dict) and isinstance(data.get("path"), str):
            self.pending.discard(data["path"])

    def targets(self, path: str, text: str) -> list[Target]:
        """The examples ``path``'s last check would run on ``text``."""
        find = self.finders.get(path)
        return find(text) if find is not None else []

    async def run(self, ctx: ToolContext | None, status: Callable[[str], None]) -> list[ExampleRun]:
        """Check the files changed since the last check, when one is due; the runs that ran."""
        if ctx is None or not self.pending or self.checks >= MAX_CHECKS or not runs_without_asking(ctx):
            return []
        paths, self.pending = sorted(self.pending), set()

        def changed(path: str) -> Callable[[str], list[Target]]:
            return lambda text: example_targets(self.baseline[path], text)

        return await self._check(ctx, status, {path: changed(path) for path in paths})

    async def run_unchanged(
        self, ctx: ToolContext | None, status: Callable[[str], None], paths: list[str], request: str
    ) -> list[ExampleRun]:
        """A change was asked for and the run changed no file: the examples of the definitions
        the request names in ``paths``, once (the 0.5B model, asked to complete a function,
        answered with it unfinished, as it was, and the run ended with nothing checked)."""
        if ctx is None or self.baseline or self.checks or not runs_without_asking(ctx):
            return []
        words = set(_WORD.findall(request))
        return await self._check(ctx, status, dict.fromkeys(paths, lambda text: named_targets(text, words)))

    async def _check(
        self,
        ctx: ToolContext,
        status: Callable[[str], None],
        targets_of: dict[str, Callable[[str], list[Target]]],
    ) -> list[ExampleRun]:
        """Run each file's targets (given its current text); one check when any ran."""
        runs: list[ExampleRun] = []
        for path, find in targets_of.items():
            try:
                current = await read_current(ctx, path)
            except ToolError:
                continue  # deleted or unreadable since: nothing to run
            targets = await asyncio.to_thread(find, current.text)
            self.finders[path] = find
            if targets:
                names = _code(_top_names(targets))
                status(f"Running the docstring examples of {names} in {path}")
                run = await run_examples(ctx, path, current.text, targets)
                if run.unchecked:
                    status(f"Could not run the docstring examples in {path}: {run.unchecked}")
                else:
                    runs.append(run)
        if runs:
            self.checks += 1
        return runs

    def asks_fix(self, runs: list[ExampleRun]) -> bool:
        """Whether the model gets a turn to fix what ``runs`` found: something failed and
        another check is left to see the fix."""
        return any(not run.passed for run in runs) and self.checks < MAX_CHECKS

    def correction(self, runs: list[ExampleRun], *, answer_code_applies: bool) -> str | None:
        """The note for the model's corrective turn, or None when it gets none (`asks_fix`)."""
        if not self.asks_fix(runs):
            return None
        failing = [run for run in runs if not run.passed]
        parts = []
        for run in failing:
            parts.append(
                f"Cairn ran the docstring examples of {_code(run.names)} in {run.path}: {_finding(run)}."
            )
            parts += [describe_failure(f) for f in run.failures]
        names = _code(tuple(n for run in failing for n in run.names))
        how = f"propose_edit on {failing[0].path}"
        if answer_code_applies:
            how += ", or answer with the whole corrected function in one ```python block"
        # Concrete, because on HumanEval 3 of 5 corrective turns of the 0.5B model gave the
        # same code back with the docstring's examples rewritten to fit it.
        parts.append(
            f"Change the body of {names} so that these calls give what the docstring expects; "
            f"keep its signature and its docstring as they are (the examples are the spec). "
            f"Use {how}."
        )
        return "\n".join(parts)

    def shown(self, runs: list[ExampleRun], *, asking: bool) -> str:
        """The line the user sees under the answer."""
        lines = []
        for run in runs:
            head = f"ran the docstring examples of {_code(run.names)} in {run.path}"
            if run.passed:
                lines.append(f"[Cairn: {head}: {run.examples} of {run.examples} pass.]")
                continue
            first = run.failures[0] if run.failures else None
            detail = ""
            if first is not None:
                outcome = f"raised {first.raised}" if first.raised else f"got {first.got}"
                detail = f" (`{first.source}`: expected {first.expected}, {outcome})"
            then = "asking the model to fix it" if asking else "Cairn stops checking here"
            lines.append(f"[Cairn: {head}: {_finding(run)}{detail}; {then}.]")
        return "\n\n" + "\n".join(lines) + "\n"
