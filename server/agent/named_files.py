"""Short files the request names are read for the model before its first step.

Asked to "complete the function `f` in solution.py", the embedded 0.5B model's first step is
always read_file, and it reads badly: a first page (lines 1-10), then the same file again
with new line numbers until a guard stops it (issue 13: every HumanEval run began so, and two
hit their timeout). A person naming a file wants it looked at, so Cairn reads it first, with
the same read_file tool (confinement, the editor's unsaved text, the window's room), and the
transcript shows the call as made. Only files that exist, at most ``MAX_FILES``, and only short
ones shown whole: a long file is the model's to page through as it needs.
"""

from __future__ import annotations

import re

MAX_FILES = 2
# A path-like word with an extension: `solution.py`, src/pkg/mod.ts, ./notes.md (not "e.g." nor
# a version number: a name of two characters or more, an extension that starts with a letter).
_PATH = re.compile(r"(?<![\w/.-])(?:\./)?((?:[\w.-]+/)*[\w-][\w.-]+\.[A-Za-z][A-Za-z0-9]*)(?![\w/-])")


def named_paths(request: str) -> list[str]:
    """The file paths ``request`` names, in order, each once."""
    return list(dict.fromkeys(match.rstrip(".") for match in _PATH.findall(request)))
