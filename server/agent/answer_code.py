"""Code a model wrote in its answer instead of applying it to the file it was asked to change.

Asked to "complete the function `sort_numbers` in solution.py", the embedded 0.5B model reads the
file and then prints the finished function in its answer without calling propose_edit: the file
stays as it was and the work is lost. `AnswerCodeGuard` catches that case and applies the code
the answer already holds, through the same ``propose_edit`` tool the model would have called (so
the editor's approval, confinement and the stale check all hold; the user can still refuse it):

- only when the request asks for a change (`asks_for_change`: a change verb, and no "do not
  change"), the model has changed no file itself in this run (one that edits knows how, and its
  answer is its answer; unless Cairn asked it for corrected code, `invite`), and the answer has
  a fenced Python block;
- only for a Python file this run read or the request names, which already defines at top level
  at least one function or class the block defines: each such definition is replaced by the
  block's (one edit); helpers and imports the block adds go in just before the first one; any
  other top-level statement in the block (example calls, prints) is left out;
- at most ``MAX_APPLIES`` times a run (a second time when, having checked the first, it answers
  with corrected code), and never an edit that would change nothing (an answer that quotes the
  code as it is).

The loop then gives the model a turn to check the change (its tests, its doctests) with a short
note saying what was applied; the answer it gave stays in the transcript as given. When Cairn
could run the changed definitions' examples itself (edit_check.py), their verdict decides
instead: all pass, the answer stands; some fail, the note says which (and code in the next
answer is applied even after the model's own edits, `invite`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

MAX_APPLIES = 2

_CHANGE_VERB = re.compile(
    r"\b(?:complete|implement|fix|write|add|change|update|refactor|rename|replace|modify|rewrite|finish|"
    r"make)\b",
    re.IGNORECASE,
)
_NO_CHANGE = re.compile(r"\b(?:do not|don't|never|without) (?:change|edit|modify|touch)", re.IGNORECASE)
_PYTHON_BLOCK = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_PATH_WORD = re.compile(r"[\w./-]+\.py\b")
# What a block may redefine (edit_check.py checks the same kinds of statement).
DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def asks_for_change(request: str) -> bool:
    """Whether ``request`` asks for a file to change (a change verb, no "do not change")."""
    return bool(_CHANGE_VERB.search(request)) and not _NO_CHANGE.search(request)


def has_python_block(text: str) -> bool:
    """Whether ``text`` holds a complete fenced Python (or untagged) block."""
    return bool(_PYTHON_BLOCK.search(text))


def named_python_paths(request: str) -> list[str]:
    """Python file names the request mentions (``solution.py``, ``pkg/mod.py``), in order."""
    return list(dict.fromkeys(m.strip("`'\".,") for m in _PATH_WORD.findall(request)))


@dataclass(frozen=True)
class Replacement:
    """One ``propose_edit`` the answer's code amounts to: ``old_text`` -> ``new_text``."""

    path: str
    names: tuple[str, ...]
    old_text: str
    new_text: str


@dataclass(frozen=True)
class _Piece:
    name: str | None  # a definition's name; None for an import
    source: str


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    return {node.name: node for node in tree.body if isinstance(node, DEFINITION_NODES)}


def _span(lines: list[str], node: ast.stmt) -> str:
    """The exact source lines of a top-level statement, decorators included."""
    start, end = statement_lines(node)
    return "".join(lines[start - 1 : end]).rstrip("\n")


def _pieces(block: str) -> list[_Piece]:
    """The block's top-level imports and definitions, in order (nothing else)."""
    try:
        tree = ast.parse(block)
    except SyntaxError:
        return []
    lines = block.splitlines(keepends=True)
    pieces = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            pieces.append(_Piece(None, _span(lines, node)))
        elif isinstance(node, DEFINITION_NODES):
            pieces.append(_Piece(node.name, _span(lines, node)))
    return pieces


def replacement_for(path: str, file_text: str, answer: str) -> Replacement | None:
    """The edit that puts the answer's code for ``path``'s definitions into it, or None.

    Takes the last fenced Python block that redefines something ``path`` defines at top level;
    every definition it redefines is replaced (one edit spans them, the text between unchanged).
    """
    try:
        tree = ast.parse(file_text)
    except SyntaxError:
        return None
    defined = _definitions(tree)
    lines = file_text.splitlines(keepends=True)
    for block in reversed(_PYTHON_BLOCK.findall(answer)):
        pieces = _pieces(block)
        replaced = {p.name: p.source for p in pieces if p.name is not None and p.name in defined}
        if not replaced:
            continue
        spans = sorted((statement_lines(defined[name]), name) for name in replaced)
        # What the file lacks goes before the first definition replaced: imports it does not have
        # yet and helpers the block defines that the file does not.
        present = set(file_text.splitlines())
        extra = [
            p.source
            for p in pieces
            if (p.name is None and not set(p.source.splitlines()) <= present)
            or (p.name is not None and p.name not in defined)
        ]
        (first, _), _ = spans[0]
        (_, last), _ = spans[-1]
        parts: list[str] = []
        at = first
        for (start, end), name in spans:
            parts.append("".join(lines[at - 1 : start - 1]))  # unchanged text between definitions
            parts.append(replaced[name] + "\n")
            at = end + 1
        old_text = "".join(lines[first - 1 : last]).rstrip("\n")
        new_text = "\n\n\n".join([*extra, "".join(parts).rstrip("\n")])
        if new_text == old_text:  # the answer quotes the code as it is
            return None
        return Replacement(path, tuple(name for _, name in spans), old_text, new_text)
    return None


def statement_lines(node: ast.stmt) -> tuple[int, int]:
    """First and last line of a top-level statement, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)]), node.end_lineno or node.lineno


@dataclass
class AnswerCodeGuard:
    """Per-run state: whether the model changed a file itself, which Python files were read,
    how many times Cairn applied an answer's code."""

    request: str
    model_edited: bool = False
    read_paths: list[str] = field(default_factory=list)
    applied: int = 0  # counted by the loop when an apply succeeds
    invited: bool = False  # Cairn asked for corrected code (`invite`)

    def observe(self, tool: str, arguments: dict, mutating: bool, is_error: bool) -> None:
        """Note the effect of a tool call the model made: a file changed, or a Python file read."""
        if is_error:
            return
        if mutating:
            self.model_edited = True
        path = arguments.get("path")
        if tool == "read_file" and isinstance(path, str) and path.endswith(".py"):
            self.read_paths.append(path)

    def paths(self) -> list[str]:
        """The Python files this run read or the request names, the last read first."""
        return list(dict.fromkeys([*reversed(self.read_paths), *named_python_paths(self.request)]))

    def candidates(self, answer: str) -> list[str]:
        """Files whose definitions the answer may hold, when the guard applies at all."""
        edited = self.model_edited and not self.invited
        if edited or self.applied >= MAX_APPLIES or not asks_for_change(self.request):
            return []
        if not has_python_block(answer):
            return []
        return self.paths()

    def awaits_code(self) -> bool:
        """Whether a change was asked for and none made yet: no file changed, no code applied
        (the loop then has the request's named definitions checked, edit_check.py)."""
        return (
            asks_for_change(self.request)
            and not self.model_edited
            and self.applied == 0
            and bool(self.paths())
        )

    def invite(self, paths: list[str]) -> bool:
        """Cairn's check of a change to ``paths`` failed and the model is asked to fix it: code
        in its next answer is applied even if it edited the file itself (it was asked for the
        corrected code). True when it would be (a change was asked for, applies are left)."""
        self.invited = True
        self.read_paths += paths
        return asks_for_change(self.request) and self.applied < MAX_APPLIES

    @staticmethod
    def applied_note(replacement: Replacement, outcome: str, checked: str | None = None) -> str:
        """What the model is told after Cairn applied its answer's code (for one turn);
        ``checked``: what Cairn's own check of it found, instead of asking the model to check."""
        names = ", ".join(f"`{n}`" for n in replacement.names)
        applied = f"Cairn put the code from your answer into {replacement.path} ({names}; {outcome})."
        if checked is not None:
            return f"{applied}\n{checked}"
        return (
            f"{applied} If the request says how to check it (tests, examples), run that check now "
            "with run_command and fix what fails; otherwise answer in one line."
        )

    @staticmethod
    def shown(replacement: Replacement) -> str:
        """The line the user sees under the answer."""
        names = ", ".join(f"`{n}`" for n in replacement.names)
        return (
            f"\n\n[Cairn: the model did not apply the code in its answer; applying it to "
            f"{replacement.path} ({names}).]\n"
        )
