"""The process-level environment variables, typed, in one table (the README lists them).

These are not per-workspace settings (those live in ``cairn.server.settings`` and come from
``CAIRN_*`` variables, the editor and workspace configuration): they say where Cairn keeps its
files and how the process itself behaves. They are read at each use, not cached at import, so
a test or a wrapper script can set them per call. A leaf module: it imports nothing of Cairn's,
so memory/, skills/ and server/ can all read it. A bad value is logged and the default used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_OFF = ("off", "0", "false", "no")
_ON = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, how it is parsed, its default and meaning."""

    name: str
    parse: Callable[[str], Any]
    default: Any
    shown_default: str
    meaning: str


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _switch_on(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _ON:
        return True
    if lowered in _OFF:
        return False
    raise ValueError(f"expected one of {_ON + _OFF}")


def _local_model(raw: str) -> bool:
    """True when the embedded model may be used (anything but an explicit off)."""
    return raw.strip().lower() not in _OFF


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "CAIRN_DATA_DIR",
        _path,
        None,
        "the user data dir",
        "Base folder of the per-workspace memory databases.",
    ),
    Variable(
        "CAIRN_CONFIG_DIR",
        _path,
        None,
        "the user config dir",
        "The user's own skills live in `<dir>/skills/<name>/SKILL.md`.",
    ),
    Variable(
        "CAIRN_CACHE_DIR",
        _path,
        None,
        "the user cache dir",
        "Where the embedded model's weights are assembled and checked.",
    ),
    Variable(
        "CAIRN_LOCAL_MODEL",
        _local_model,
        True,
        "on",
        "`off` never falls back to the embedded model: a clear 'configure a model' message instead.",
    ),
    Variable(
        "CAIRN_NO_WARMUP",
        _switch_on,
        False,
        "off",
        "`1` skips importing the model library in the background after start-up.",
    ),
    Variable(
        "CAIRN_MAX_MESSAGE_BYTES",
        _positive_int,
        DEFAULT_MAX_MESSAGE_BYTES,
        "64 MiB",
        "Largest incoming LSP message; a larger one is refused and skipped.",
    ),
)

BY_NAME = {variable.name: variable for variable in VARIABLES}


def get(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The typed value of ``name`` now (its default when unset or invalid)."""
    variable = BY_NAME[name]
    raw = (os.environ if environ is None else environ).get(name, "")
    if not raw.strip():
        return variable.default
    try:
        return variable.parse(raw)
    except ValueError as exc:
        logger.warning("Ignoring %s=%r (%s); using the default", name, raw, exc)
        return variable.default


def markdown_table() -> str:
    """The README's table of these variables."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{v.name}` | {v.shown_default} | {v.meaning} |" for v in VARIABLES]
    return "\n".join(rows)
