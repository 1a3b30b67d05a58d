"""The top-level symbols of one source file, for the repository map (`repo_map.py`).

Python is parsed with `ast` (classes and functions defined at module level, the module's
constants, and the first line of the module docstring); a few other languages get a light
line-based regular expression (definitions at the start of a line only); configuration files
(INI, TOML, YAML, ``.env``, Dockerfiles) show their settings as constants
(`config_settings.py`); every other file is known by its name alone. Never executes anything,
never raises for a file it cannot parse: it just has no symbols then.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from cairn.server.agent.config_settings import MAX_VALUE_CHARS, config_kind, settings

MAX_SUMMARY_CHARS = 100
# What a definition is for, in a few words: its docstring's first sentence, or the comment right
# above a constant. Questions describe code by what it does ("the exception raised when the stream
# stalls"), not by its name, so the map ranks by these words and shows the best-matching ones.
MAX_DESCRIPTION_CHARS = 160
MAX_ABOUT_CHARS = 600  # the module docstring's first paragraph, for ranking only
# A constant's value is shown when its source is one short line (``DIM_DIVISOR_CM = 5000``): the
# numbers, paths and names a project fixes in code are what a model otherwise guesses or re-reads.
MAX_CONSTANT_VALUE_CHARS = MAX_VALUE_CHARS  # one cap for a constant and a config setting
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")  # PEP 8's module constants

# Definitions that start a line, per file suffix: the last group of each match is the name.
_JS = re.compile(
    r"^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|class|interface|type|enum|"
    r"abstract\s+class|(?:const|let|var)(?=\s+\w+\s*=\s*(?:async\s*)?(?:\(|function)))\s+([A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
_LUA = re.compile(r"^(?:local\s+)?function\s+([\w.:]+)", re.MULTILINE)
_ELISP = re.compile(
    r"^\((?:cl-)?(?:defun|defmacro|defcustom|defvar|defgroup|define-minor-mode|define-derived-mode)"
    r"\s+([^\s()]+)",
    re.MULTILINE,
)
_SHELL = re.compile(r"^(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{", re.MULTILINE)
_GO = re.compile(r"^(?:func(?:\s+\([^)]*\))?|type)\s+([A-Za-z_]\w*)", re.MULTILINE)
_RUST = re.compile(
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:fn|struct|enum|trait|mod)\s+([A-Za-z_]\w*)", re.MULTILINE
)
PATTERNS: dict[str, re.Pattern[str]] = {
    ".js": _JS,
    ".mjs": _JS,
    ".cjs": _JS,
    ".ts": _JS,
    ".tsx": _JS,
    ".jsx": _JS,
    ".lua": _LUA,
    ".el": _ELISP,
    ".sh": _SHELL,
    ".bash": _SHELL,
    ".go": _GO,
    ".rs": _RUST,
}
PARSED_SUFFIXES = frozenset({".py", ".pyi", *PATTERNS})

# One line of a comment, per file suffix: what a definition or a file is for is said in the
# comment block right above it (JSDoc ``/** ... */``, ``//``, ``///``, Lua ``--``/``---``,
# ``#``, Lisp ``;;``). Group 1 is the comment's text.
_SLASH_COMMENT = re.compile(r"^\s*(?:/{2,3}!?|/\*\*?|\*(?!/)|\*/)\s?(.*?)\s*(?:\*/)?\s*$")
_HASH_COMMENT = re.compile(r"^\s*#+(?!!)\s?(.*?)\s*$")
COMMENT_LINES: dict[str, re.Pattern[str]] = {
    **{suffix: _SLASH_COMMENT for suffix in (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs")},
    ".lua": re.compile(r"^\s*--+(?!\[)\s?(.*?)\s*$"),
    ".el": re.compile(r"^\s*;+(?!;)(?!###autoload)\s?(.*?)\s*$"),  # an autoload cookie says nothing
    ".sh": _HASH_COMMENT,
    ".bash": _HASH_COMMENT,
    ".py": _HASH_COMMENT,
    ".pyi": _HASH_COMMENT,
}


@dataclass(frozen=True)
class FileOutline:
    """What the map shows of one file: its top-level symbols, its module constants (``NAME =
    value`` when the value is short, else ``NAME``) and a one-line summary; ``about`` (the module
    docstring's first paragraph) and ``described`` (``(name, what it is for)`` of the definitions
    that say so) are what the map ranks by beyond the names."""

    symbols: tuple[str, ...] = ()
    summary: str = ""
    constants: tuple[str, ...] = ()
    about: str = ""
    described: tuple[tuple[str, str], ...] = ()


def constant_name(shown: str) -> str:
    """The name of one of ``FileOutline.constants`` (``NAME = value`` or ``NAME``)."""
    return shown.split(" = ", 1)[0]


def suffix_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name[name.rfind(".") :].lower() if "." in name else ""


def wants_text(path: str) -> bool:
    """Whether ``path``'s text is worth reading for its symbols or settings."""
    return suffix_of(path) in PARSED_SUFFIXES or config_kind(path) is not None


def outline(path: str, text: str) -> FileOutline:
    """The top-level symbols of ``text`` (the contents of ``path``), in definition order."""
    suffix = suffix_of(path)
    if suffix in (".py", ".pyi"):
        return python_outline(text)
    if config_kind(path) is not None:  # a config file's settings take a constant's place
        return FileOutline(constants=settings(path, text))
    pattern = PATTERNS.get(suffix)
    if pattern is None:
        return FileOutline()
    comment = COMMENT_LINES[suffix]
    lines = text.splitlines()
    names: dict[str, str] = {}
    lineno, counted = 1, 0  # line numbers counted on from the previous match, not from the top
    for match in pattern.finditer(text):
        lineno += text.count("\n", counted, match.start())
        counted = match.start()
        names.setdefault(match.group(1), comment_above(lines, lineno, comment))
    about = _leading_comment(lines, comment)
    return FileOutline(
        tuple(names),
        _clipped(first_sentence(about), MAX_SUMMARY_CHARS),
        about=about[:MAX_ABOUT_CHARS],
        described=tuple((name, what) for name, what in names.items() if what),
    )


def python_outline(text: str) -> FileOutline:
    """Module-level classes, functions and constants (also under ``if``/``try`` at module level)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. in the parsed file
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return FileOutline()
    names: list[str] = []
    constants: dict[str, str] = {}
    described: dict[str, str] = {}
    lines = text.splitlines()
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
            what = first_sentence(ast.get_docstring(node, clean=True) or "")
            if what:
                described.setdefault(node.name, what)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            found = _constant(node, text)
            if found is not None:
                constants.setdefault(*found)  # the first definition (an ``if``'s branch) is shown
                what = comment_above(lines, node.lineno, _HASH_COMMENT) or _comment_after(lines, node)
                if what:
                    described.setdefault(found[0], what)
        elif isinstance(node, ast.If):
            pending[:0] = [*node.body, *node.orelse]
        elif isinstance(node, (ast.Try, ast.TryStar)):
            handlers = [n for h in node.handlers for n in h.body]
            pending[:0] = [*node.body, *handlers, *node.orelse]
    about = first_paragraph(ast.get_docstring(tree, clean=True) or "")
    return FileOutline(
        tuple(dict.fromkeys(names)),
        _clipped(about, MAX_SUMMARY_CHARS),
        tuple(constants.values()),
        about[:MAX_ABOUT_CHARS],
        tuple(described.items()),
    )


def first_paragraph(text: str) -> str:
    """``text`` up to its first blank line, on one line (whitespace runs made one space)."""
    return " ".join(text.strip().split("\n\n", 1)[0].split())


def first_sentence(doc: str) -> str:
    """A docstring's first sentence on one line, clipped (``"Raised when ... timeout."``)."""
    paragraph = first_paragraph(doc)
    end = re.search(r"[.!?](?=\s|$)", paragraph)
    return _clipped(paragraph[: end.end()] if end else paragraph, MAX_DESCRIPTION_CHARS)


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def comment_above(lines: list[str], lineno: int, comment: re.Pattern[str]) -> str:
    """The first sentence of the comment block right above line ``lineno`` (1-based), whose
    lines ``comment`` matches: what a definition or a constant is for is usually said there."""
    block: list[str] = []
    at = lineno - 2
    while at >= 0 and (line := comment.match(lines[at])) is not None:
        block.insert(0, line.group(1))
        at -= 1
    return first_sentence(" ".join(block)) if block else ""


def _leading_comment(lines: list[str], comment: re.Pattern[str]) -> str:
    """The file's opening comment block (after a ``#!`` line and blank lines) on one line: its
    summary in languages without docstrings."""
    at = 0
    while at < len(lines) and (not lines[at].strip() or lines[at].startswith("#!")):
        at += 1
    block: list[str] = []
    while at < len(lines) and (line := comment.match(lines[at])) is not None:
        block.append(line.group(1))
        at += 1
    return " ".join(" ".join(block).split())


def _comment_after(lines: list[str], node: ast.stmt) -> str:
    """A trailing ``# comment`` on a one-line constant (``LIMIT = 5  # files per batch``)."""
    if node.end_lineno != node.lineno or not 0 < node.lineno <= len(lines):
        return ""
    line = lines[node.lineno - 1]
    end = node.end_col_offset or 0
    rest = line[end:].strip()
    return first_sentence(rest[1:].strip()) if rest.startswith("#") else ""


def _constant(node: ast.Assign | ast.AnnAssign, text: str) -> tuple[str, str] | None:
    """``(NAME, shown)`` for a module constant: one upper-case name bound to a value."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
        return None
    name = targets[0].id
    if not _CONSTANT_NAME.match(name) or len(name) < 2:
        return None
    value = ast.get_source_segment(text, node.value) or ""
    if not _literal(node.value) or "\n" in value or len(value) > MAX_CONSTANT_VALUE_CHARS or not value:
        return name, name
    return name, f"{name} = {value}"


def _literal(node: ast.expr) -> bool:
    """A value readable on its own: a literal, a negative number, a short tuple or list of them,
    or a call of a name with literal arguments (``Decimal("18.75")``); never an expression that
    needs the rest of the code (``config.ROOT / "var"``)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return all(isinstance(a, ast.Constant) for a in node.args)
    return False
