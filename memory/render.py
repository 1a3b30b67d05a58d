"""Memory as readable markdown: the "Show memory" view and the fenced context sections.

Every memory line carries its id, kind, status and provenance, so neither the user nor the
model can mistake a note copied from a tool's output for something the user said (R17).
"""

from __future__ import annotations

from collections.abc import Iterable

from cairn.memory.records import Memory, SessionInfo

KIND_TITLES = {
    "directive": "Directives (the user's own words)",
    "decision": "Design decisions",
    "fact": "Facts",
    "preference": "Preferences",
    "file": "Files",
    "note": "Notes",
}


def provenance_label(memory: Memory) -> str:
    """Who asserted a memory and where it came from, in a few words."""
    sessions = ", ".join(s[:8] for s in memory.session_ids[:3])
    label = f"{memory.source}: {memory.provenance}"
    if sessions and not any(s[:8] in memory.provenance for s in memory.session_ids):
        label += f" (sessions {sessions})"
    if memory.untrusted:
        label = "UNTRUSTED " + label
    return label


def memory_line(memory: Memory, *, with_provenance: bool = True, compact: bool = False) -> str:
    """One memory as a markdown bullet: ``- [#12 fact, unverified] text — from …``.

    ``compact`` (for the model's context) shortens the provenance of trusted memories to who
    said it (a session id costs as many tokens as a short value); untrusted ones always show
    where they came from.
    """
    status = "" if memory.status == "verified" else f", {memory.status}"
    text = " ".join(memory.text.split())
    line = f"- [#{memory.id} {memory.kind}{status}] {text}"
    if memory.anchors:
        line += (
            " (" + ", ".join(f"{a.path}{'::' + a.symbol if a.symbol else ''}" for a in memory.anchors) + ")"
        )
    if with_provenance and compact and not memory.untrusted:
        line += f" — {memory.source}"
    elif with_provenance and compact:
        line += f" — {source_label(memory)}"
    elif with_provenance:
        line += f" — from {provenance_label(memory)}"
    return line


def source_label(memory: Memory) -> str:
    """:func:`provenance_label`, shorter when the memory's text already ends with where it was
    copied from ("… — from command `make import`"): the origin is not spelt out twice."""
    origin = _named_origin(memory)
    return f"UNTRUSTED {memory.source}: {origin}" if memory.untrusted and origin else provenance_label(memory)


def _named_origin(memory: Memory) -> str:
    """An untrusted memory's provenance without the origin its text already ends with ("… — from
    read_file config/settings.ini:22", as checkpoints copy values): "tool output, checkpoint 15
    of session 1038…, 2026-12-06", so the origin is not spelt out twice. "" otherwise."""
    _, sep, origin = memory.text.rpartition(" — from ")
    origin = origin.strip()
    if not sep or not origin or origin not in memory.provenance:
        return ""
    before, after = memory.provenance.split(origin, 1)
    what = before.strip().removesuffix(" from").strip() or "tool output"
    rest = after.lstrip(" ,")
    return f"{what}, {rest}" if rest else what


def render_memories(memories: Iterable[Memory], *, title: str = "Workspace memory") -> str:
    """Memories grouped by kind as a markdown document (for "Show memory" and the CLI)."""
    groups: dict[str, list[Memory]] = {}
    for memory in memories:
        groups.setdefault(memory.kind, []).append(memory)
    if not groups:
        return f"# {title}\n\n_No memories yet._\n"
    order = list(KIND_TITLES) + sorted(k for k in groups if k not in KIND_TITLES)
    parts = [f"# {title}"]
    for kind in order:
        if kind in groups:
            heading = KIND_TITLES.get(kind, kind.capitalize())
            parts.append(f"## {heading}\n" + "\n".join(memory_line(m) for m in groups[kind]))
    return "\n\n".join(parts) + "\n"


def render_sessions(sessions: Iterable[SessionInfo]) -> str:
    """Recent sessions as a markdown list."""
    lines = [
        f"- `{s.id[:8]}` {s.title or '(untitled)'} — {s.message_count} messages, "
        f"updated {s.updated_at[:16].replace('T', ' ')}"
        for s in sessions
    ]
    return "## Recent sessions\n" + ("\n".join(lines) if lines else "_none_") + "\n"


def fenced(tag: str, note: str, body: str) -> str:
    """A clearly delimited data block for the model's context (not instructions)."""
    return f'<{tag} note="{note}">\n{body.rstrip()}\n</{tag}>'
