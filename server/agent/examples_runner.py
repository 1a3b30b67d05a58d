"""Runs given docstrings' examples (``>>>``) against one Python file's code.

Not imported by Cairn: `edit_check.py` runs this file as a script, in the sandbox, with the
workspace's own ``python3`` (the user's code needs the user's packages, not Cairn's), so it uses
only the standard library. Its one argument is the payload (base64 of zlib-compressed JSON:
``path``, ``module``, ``source``, ``targets`` as ``[name, docstring, first line or null]``,
``marker``, ``example_seconds``, ``max_failures``; a target's optional fourth item, true,
compares its examples by value: they were written as prose, ``f(x) == [1,2]``, see
informal_examples.py). ``source`` is the text the agent sees, which in an editor may not be
saved yet, so the module is built from it rather than imported from disk; the docstrings are
given (not read from the objects) because a change may have dropped the examples it was meant
to satisfy.

The result is one JSON line after ``marker`` on stdout, last: how many examples ran, the first
failures (expected against got, or the exception's last line) and the total failed, or
``error`` when the file itself does not run. An example that runs longer than
``example_seconds`` is stopped by an alarm and reported as a failure, so one endless loop does
not hide the other examples' results.
"""

from __future__ import annotations

import ast
import base64
import doctest
import json
import linecache
import os
import signal
import sys
import traceback
import types
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the interpreter running this may predate them
    from collections.abc import Callable
    from types import TracebackType

    Out = Callable[[str], object]
    ExcInfo = tuple[type[BaseException], BaseException, TracebackType]

MAX_TEXT = 300  # per expected / got value: the model needs the gist, not a dump


class ExampleTimeout(Exception):
    """Raised in an example that ran longer than its allowance."""


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _last_line(exc: BaseException, path: str) -> str:
    """The exception's last line, and the line of ``path`` it came from (the model's code)."""
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{text} ({path}, line {exc.lineno})"
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == path]
    return f"{text} ({path}, line {lines[-1]})" if lines else text


class ValueChecker(doctest.OutputChecker):
    """Doctest's text comparison, or for examples written as prose (``by_value``) the values
    compared: the expected literal was typed by a person (``[1,2]``, ``"a"``)."""

    by_value = False

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if doctest.OutputChecker.check_output(self, want, got, optionflags):
            return True
        if not self.by_value:
            return False
        try:  # a call that returns None shows nothing
            return bool(ast.literal_eval(want.strip()) == ast.literal_eval(got.strip() or "None"))
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            return False


class CollectingRunner(doctest.DocTestRunner):
    """A doctest runner that keeps its failures as data instead of printing a report."""

    def __init__(self, example_seconds: float, max_failures: int) -> None:
        self.checker = ValueChecker()
        doctest.DocTestRunner.__init__(self, checker=self.checker, verbose=False)
        self.example_seconds = example_seconds
        self.max_failures = max_failures
        self.failed = 0
        self.found: list[dict] = []  # (`failures` is the base class's count)
        self.first_line: int | None = None  # the file line the current docstring starts on

    def _line(self, example: doctest.Example) -> int | None:
        return None if self.first_line is None else self.first_line + example.lineno

    def _record(self, test: doctest.DocTest, example: doctest.Example, **outcome: str) -> None:
        self._disarm()
        self.failed += 1
        if len(self.found) < self.max_failures:
            entry = {"name": test.name, "line": self._line(example), "source": _cut(example.source)}
            entry["expected"] = _cut(example.want)
            entry.update({key: _cut(value) for key, value in outcome.items()})
            self.found.append(entry)

    # doctest calls these around every example (they print a report in the base class).
    def report_start(self, out: Out, test: doctest.DocTest, example: doctest.Example) -> None:
        if self.example_seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, self.example_seconds)

    def report_success(self, out: Out, test: doctest.DocTest, example: doctest.Example, got: str) -> None:
        self._disarm()

    def report_failure(self, out: Out, test: doctest.DocTest, example: doctest.Example, got: str) -> None:
        # An example that shows nothing returned None (a body not written yet, most often).
        self._record(test, example, got=got or "None")

    def report_unexpected_exception(
        self, out: Out, test: doctest.DocTest, example: doctest.Example, exc_info: ExcInfo
    ) -> None:
        self._record(test, example, raised=_last_line(exc_info[1], test.filename or ""))

    @staticmethod
    def _disarm() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _on_alarm(signum: int, frame: object) -> None:
    raise ExampleTimeout("stopped: it ran too long (an endless loop?)")


def run(payload: dict) -> dict:
    """Build the module from ``source`` and run the chosen definitions' examples."""
    path, source = payload["path"], payload["source"]
    # The file's own directory first, as when it is run or imported from there; never this
    # runner's directory (Cairn's own modules must not shadow the user's).
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    if os.getcwd() not in sys.path:
        sys.path.insert(1, os.getcwd())
    # The source lines doctest and tracebacks read come from the text run, not from the disk.
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    module = types.ModuleType(payload["module"])
    module.__file__ = path
    sys.modules[module.__name__] = module  # dataclasses and pickling look the module up
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the file is broken
        return {"error": _last_line(exc, path)}
    parser = doctest.DocTestParser()
    runner = CollectingRunner(float(payload["example_seconds"]), int(payload["max_failures"]))
    for name, docstring, line, *by_value in payload["targets"]:
        test = parser.get_doctest(docstring, dict(module.__dict__), name, path, None)
        runner.first_line = line
        runner.checker.by_value = bool(by_value and by_value[0])
        runner.run(test, out=lambda text: None)
    return {"examples": runner.tries, "failed": runner.failed, "failures": runner.found}


def main(argv: list[str]) -> int:
    payload = json.loads(zlib.decompress(base64.b64decode(argv[1])).decode("utf-8"))
    result = run(payload)
    out = sys.__stdout__ or sys.stdout  # the real stdout, whatever the file did to sys.stdout
    out.write("\n" + payload["marker"] + json.dumps(result) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
