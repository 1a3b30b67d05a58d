"""The user message of a run: the user's words plus the editor context they pointed at.

Chat: the prompt, with the file and selection the user had when asking. Code actions: the
action's template filled from the document (buffer text wins), with the action's skill inlined.
"""

from __future__ import annotations

from pathlib import Path

from cairn.server.action_specs import action_spec
from cairn.server.agent import templates
from cairn.server.command_args import Range, RunActionArgs
from cairn.server.lsp.documents import Documents, DocumentSnapshot, uri_to_path

MAX_SELECTION_CHARS = 40_000
EXTENSION_LANGUAGES = {
    ".py": "python",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".rs": "rust",
    ".go": "go",
    ".lua": "lua",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".rb": "ruby",
    ".sh": "bash",
    ".md": "markdown",
}


def _display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def _excerpt(text: str, rng: Range | None) -> tuple[str, int, int]:
    """The selected lines (whole lines, 1-based bounds); the whole text without a range."""
    lines = text.splitlines()
    if rng is None:
        return text[:MAX_SELECTION_CHARS], 1, max(1, len(lines))
    start, end = rng.start.line, rng.end.line
    if rng.end.character == 0 and end > start:
        end -= 1  # a selection ending at column 0 does not include that line
    end = min(max(start, end), max(0, len(lines) - 1))
    return "\n".join(lines[start : end + 1])[:MAX_SELECTION_CHARS], start + 1, end + 1


async def _document(documents: Documents, uri: str) -> tuple[Path, DocumentSnapshot]:
    path = uri_to_path(uri)
    if path is None:
        raise ValueError(f"not a file URI: {uri}")
    return path, await documents.snapshot(uri)


async def chat_prompt(
    documents: Documents, prompt: str, uri: str | None, rng: Range | None, root: Path | None
) -> str:
    """The chat message, mentioning the file (and quoting the selection) the user had."""
    if not uri:
        return prompt
    try:
        path, snapshot = await _document(documents, uri)
    except (OSError, ValueError, UnicodeDecodeError):
        return prompt
    shown = _display_path(path, root)
    if rng is None or rng.start == rng.end:
        where = f" (cursor at line {rng.start.line + 1})" if rng else ""
        return f"{prompt}\n\n(The user has `{shown}` open{where}.)"
    selection, first, last = _excerpt(snapshot.text, rng)
    language = snapshot.language_id or EXTENSION_LANGUAGES.get(path.suffix, "")
    return f"{prompt}\n\nSelected in `{shown}` (lines {first}-{last}):\n```{language}\n{selection}\n```"


def _diagnostics_text(args: RunActionArgs) -> str:
    lines = []
    for diagnostic in args.diagnostics:
        source = f"[{diagnostic.source}] " if diagnostic.source else ""
        code = f" ({diagnostic.code})" if diagnostic.code is not None else ""
        lines.append(f"- line {diagnostic.range.start.line + 1}: {source}{diagnostic.message}{code}")
    return "\n".join(lines) or "- (no diagnostic details were given)"


async def code_action_prompt(documents: Documents, args: RunActionArgs, root: Path | None, skills) -> str:  # noqa: ANN001
    """The action's prompt from its template, the document text and the action's skill."""
    spec = action_spec(args.action)
    path, snapshot = await _document(documents, args.uri)
    rng = args.range
    if spec.whole_block and rng.start == rng.end:
        # Without a selection, take the surrounding block: up to 40 lines from the cursor.
        rng = Range.model_validate(
            {
                "start": {"line": rng.start.line, "character": 0},
                "end": {"line": rng.start.line + 40, "character": 0},
            }
        )
    selection, first, last = _excerpt(snapshot.text, rng)
    skill_name = skill_body = ""
    if skills is not None:
        from cairn.skills.selection import skill_for_action

        skill = skill_for_action(
            skills, args.action, _display_path(path, root), snapshot.language_id, default=spec.skill
        )
        if skill is not None:
            skill_name, skill_body = skill.name, skills.load_skill(skill.name)
    return templates.action_prompt(
        args.action,
        path=_display_path(path, root),
        start_line=first,
        end_line=last,
        selection=selection,
        language=snapshot.language_id or EXTENSION_LANGUAGES.get(path.suffix, ""),
        diagnostics=_diagnostics_text(args),
        instructions=args.instructions or "",
        skill_name=skill_name,
        skill_body=skill_body,
    )
