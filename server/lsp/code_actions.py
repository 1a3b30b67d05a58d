"""Code actions: offered instantly, never calling a model (practice 2).

Each action carries a ``cairn.runAction`` command with everything the agent needs (action,
document, range, the diagnostics being fixed); the work starts only when the user picks it.
Clients that can resolve the ``command`` property lazily (Neovim 0.11) get the arguments in
``data`` and the command from ``codeAction/resolve``; others (VS Code resolves only ``edit``)
get the command up front, as the spec requires. Clients without ``codeActionLiteralSupport``
(ALE, older clients) get plain ``Command[]``, the only form the spec lets them receive.
Kinds: ``quickfix`` for diagnostics, ``refactor.cairn.*`` so Explain/Refactor/Docstring appear
in the editor's lightbulb, and ``source.cairn.tests`` in the source-action menu.
"""

from __future__ import annotations

import re

from lsprotocol import types

from cairn.server.action_specs import ACTIONS, ActionSpec
from cairn.server.commands import RUN_ACTION
from cairn.server.lsp.server import CairnServer

MAX_FIX_ACTIONS = 5  # one per diagnostic in range; more is noise


ADVERTISED_KINDS = [spec.kind for spec in ACTIONS]

# A definition starts on this line: offer "Add docstring". Cheap on purpose (no parsing).
_DEFINITION = re.compile(
    r"^\s*(?:@\w|(?:async\s+)?def\s|class\s|(?:export\s+)?(?:default\s+)?(?:async\s+)?function\b"
    r"|(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?fn\s|func\s|(?:public|private|protected|static)\s)"
)
_NOT_CODE = {"plaintext", "markdown", "json", "jsonc", "yaml", "toml", "ini", "log", "git-commit"}


def _wanted(kind: str, only: list[str] | None) -> bool:
    """LSP `only` filtering is hierarchical: "refactor" admits "refactor.cairn.explain"."""
    if not only:
        return True
    return any(kind == prefix or kind.startswith(prefix + ".") for prefix in only)


def _command(title: str, arguments: dict) -> types.Command:
    return types.Command(title=title, command=RUN_ACTION.id, arguments=[arguments])


def _range_json(rng: types.Range) -> dict:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def resolves_commands(server: CairnServer) -> bool:
    """Whether the client lets the server fill ``command`` in codeAction/resolve."""
    document = server.client_capabilities.text_document
    code_action = document.code_action if document else None
    support = code_action.resolve_support if code_action else None
    return bool(support and "command" in support.properties and code_action.data_support)


def offered_actions(
    server: CairnServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    """The actions for a range, cheapest checks only; no I/O beyond the open buffer."""
    uri = params.text_document.uri
    rng = params.range
    only = [str(getattr(kind, "value", kind)) for kind in params.context.only or []] or None
    snapshot = server.documents.open_snapshot(uri)
    lines = snapshot.text.splitlines() if snapshot else []
    first_line = lines[rng.start.line] if rng.start.line < len(lines) else ""
    has_selection = rng.start != rng.end
    base = {"uri": uri, "range": _range_json(rng)}
    literals = server.channels.code_action_literals
    lazy = literals and resolves_commands(server)
    actions: list[types.CodeAction | types.Command] = []

    def add(
        action: ActionSpec,
        title: str,
        extra: dict | None = None,
        diagnostics: list[types.Diagnostic] | None = None,
    ) -> None:
        if _wanted(action.kind, only):
            arguments = {"action": action.id, **base, **(extra or {})}
            if not literals:
                actions.append(_command(title, arguments))
                return
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=action.kind,
                    diagnostics=diagnostics,
                    data=arguments if lazy else None,
                    command=None if lazy else _command(title, arguments),
                )
            )

    offered = {
        "always": True,
        "selection": has_selection,
        "definition": bool(_DEFINITION.match(first_line)),
        "code": not snapshot or (snapshot.language_id or "") not in _NOT_CODE,
    }
    for spec in ACTIONS:
        if spec.offered != "per_diagnostic":
            if offered[spec.offered]:
                add(spec, spec.title)
            continue
        for diagnostic in list(params.context.diagnostics or [])[:MAX_FIX_ACTIONS]:
            message = " ".join(diagnostic.message.split())
            short = message if len(message) <= 60 else message[:57] + "…"
            add(
                spec,
                spec.title.format(message=short),
                {"range": _range_json(diagnostic.range), "diagnostics": [_diagnostic_json(diagnostic)]},
                diagnostics=[diagnostic],
            )
    return actions


def _diagnostic_json(diagnostic: types.Diagnostic) -> dict:
    code = diagnostic.code
    return {
        "range": _range_json(diagnostic.range),
        "message": diagnostic.message,
        "severity": int(diagnostic.severity) if diagnostic.severity is not None else None,
        "source": diagnostic.source,
        "code": code if isinstance(code, (int, str)) else None,
    }


def register(server: CairnServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=ADVERTISED_KINDS, resolve_provider=True),
    )
    def code_action(
        ls: CairnServer, params: types.CodeActionParams
    ) -> list[types.CodeAction | types.Command]:
        return offered_actions(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    def resolve(ls: CairnServer, action: types.CodeAction) -> types.CodeAction:
        if action.command is None and isinstance(action.data, dict) and "action" in action.data:
            action.command = _command(action.title, action.data)
        return action
