"""The current text of a workspace file: the editor buffer when one is open, else the disk.

Used by every tool that reads or edits text, so what the agent reads is what it edits against:
unsaved editor changes (or, in the CLI, edits staged earlier in the session) win over the disk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.errors import FileUnsuitable

MAX_TEXT_BYTES = 4 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CurrentText:
    """A file's text, where it came from, and its buffer version (None for disk text)."""

    path: str
    text: str
    version: int | None
    from_buffer: bool


def looks_binary(data: bytes) -> bool:
    """Git's heuristic: a NUL byte near the start means binary."""
    return b"\x00" in data[:BINARY_SNIFF_BYTES]


def decode_text(rel: str, data: bytes) -> str:
    """UTF-8 text of ``data``; `FileUnsuitable` for binary or non-UTF-8 files."""
    if looks_binary(data):
        raise FileUnsuitable(f"{rel!r} is a binary file ({len(data):,} bytes); not shown")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileUnsuitable(
            f"{rel!r} is not UTF-8 text (invalid byte at offset {exc.start}); not shown"
        ) from None


async def read_current(ctx: ToolContext, raw_path: str) -> CurrentText:
    """The text the agent should see for ``raw_path`` (buffer first, then disk).

    The buffer is looked up on the event loop's thread (the host's buffer table lives there);
    only the filesystem work runs in a worker thread.
    """
    rel = await asyncio.to_thread(ctx.workspace.check_readable, raw_path)
    buffer = ctx.buffers.get(rel)
    if buffer is not None:
        return CurrentText(rel, buffer.text, buffer.version, True)
    data = await asyncio.to_thread(ctx.workspace.read_bytes, rel, MAX_TEXT_BYTES)
    return CurrentText(rel, decode_text(rel, data), None, False)
