"""What a shell command line does, as far as memory cares: does it only look?

A session runs many commands that only look at the tree (``ls docs``, ``grep -rn psycopg
requirements*.txt``, ``git status``). What they showed is kept (extraction reads their output);
the command itself is not worth a line in the next day's summary, where it crowded out the
commands that did something (tests, the app's own CLI, a build).
"""

from __future__ import annotations

import re
import shlex

# Programs that read and print, never change anything (with the exceptions handled below).
_LOOKERS = frozenset(
    "ls cat head tail grep egrep fgrep rg ag wc tree pwd echo stat file du df which type less more "
    "diff sort uniq cut nl realpath readlink basename dirname cd true".split()
)
_GIT_LOOKS = frozenset("status log diff show grep ls-files blame".split())
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "\n"})
_WRITES_TO_FILE = frozenset({">", ">>", ">|", "&>"})
_HARMLESS_TARGETS = frozenset({"/dev/null"})


def only_looks(command: str) -> bool:
    """Whether every stage of ``command`` only reads: a looker program, ``sed -n`` without
    ``-i``, ``find`` without ``-delete``/``-exec``, a read-only ``git`` subcommand, and no
    redirect into a file. Anything not understood (unbalanced quotes, another program) does
    something, so it is kept."""
    if "$(" in command or "`" in command:  # a substitution runs a command of its own
        return False
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace = " \t\r"  # a newline separates commands, like ';'
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return False
    stages: list[list[str]] = [[]]
    for index, token in enumerate(tokens):
        if token in _SEPARATORS:
            stages.append([])
        elif token in _WRITES_TO_FILE:
            target = tokens[index + 1] if index + 1 < len(tokens) else ""
            if target not in _HARMLESS_TARGETS:
                return False
        else:
            stages[-1].append(token)
    stages = [stage for stage in stages if stage]
    return bool(stages) and all(_stage_only_looks(stage) for stage in stages)


def _program(word: str) -> str:
    """The program a stage runs, without its directory (``/usr/bin/grep`` is ``grep``)."""
    return word.rsplit("/", 1)[-1]


def _stage_only_looks(words: list[str]) -> bool:
    program, args = _program(words[0]), words[1:]
    if program in _LOOKERS:
        return True
    if program == "sed":
        return "-n" in args and not any(a.startswith(("-i", "--in-place")) for a in args)
    if program == "find":
        return not any(a in ("-delete", "-exec", "-execdir", "-ok", "-fprint") for a in args)
    if program == "git":
        sub = next((a for a in args if not a.startswith("-")), "")
        return sub in _GIT_LOOKS
    return False


# Stages that prepare for the command that matters ("rm -rf var/db && mkdir -p var && ...").
_SETUP = frozenset("rm mkdir cd export source set unset sleep true touch".split())
_STDERR_TO_STDOUT = re.compile(r"\s+2>&1\s*$")


def label(command: str, limit: int = 100) -> str:
    """A short name for what ``command`` ran, for a line copied from its output: the stages
    that set up or only look are left out when something else remains, and a name still too
    long keeps its beginning and its end (the program and the arguments that tell runs
    apart: ``--date 2024-03-10``)."""
    flat = " ".join(command.split())
    stages = [stage.strip() for stage in re.split(r"\s*(?:&&|;)\s*", flat) if stage.strip()]
    doing = [s for s in stages if _program(s.split()[0]) not in _SETUP and not only_looks(s)]
    shown = _STDERR_TO_STDOUT.sub("", " && ".join(doing or stages))
    if len(shown) <= limit:
        return shown
    head = (limit - 1) // 2
    return f"{shown[:head]}…{shown[len(shown) - (limit - 1 - head) :]}"
