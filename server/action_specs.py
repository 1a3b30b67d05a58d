"""Cairn's code actions, in one table: everything else derives from it (practice 16).

The argument model (command_args.ActionName), the code actions offered and the kinds advertised
(lsp/code_actions.py), the prompt template and default skill (agent/templates.py, lsp/run_prompts.py),
and whether a run may edit (lsp/agent_runs.py) all read this table; the clients' copies of the
ids are checked against it (tests/e2e/clients/test_protocol_sync.py). A new action is one row
here, its prompt file under server/agent/prompts/actions/ and, if it needs one, a bundled skill.

Light on purpose (no pydantic, no lsprotocol): imported before ``initialize`` is answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# When an action is offered for a range: once per diagnostic in it, always, only for a
# selection, only when the range starts on a definition, or only in a code (not prose) document.
Offered = Literal["per_diagnostic", "always", "selection", "definition", "code"]


@dataclass(frozen=True)
class ActionSpec:
    """One code action."""

    id: str  # RunActionArgs.action
    title: str  # the menu entry; "{message}" is the diagnostic's message
    kind: str  # LSP CodeActionKind (a plain string: custom kinds are allowed)
    skill: str  # the bundled skill it follows unless a better-matching one declares the action
    template: str  # its prompt, under server/agent/prompts/
    mutates: bool  # whether its run may edit files (an explanation never does)
    offered: Offered
    whole_block: bool = False  # on a bare cursor, act on the block below it rather than one line


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        id="fix",
        title="Cairn: Fix “{message}”",
        kind="quickfix",
        skill="fix-diagnostic",
        template="actions/fix.md",
        mutates=True,
        offered="per_diagnostic",
    ),
    ActionSpec(
        id="explain",
        title="Cairn: Explain this code",
        kind="refactor.cairn.explain",
        skill="explain",
        template="actions/explain.md",
        mutates=False,
        offered="always",
        whole_block=True,
    ),
    ActionSpec(
        id="refactor",
        title="Cairn: Refactor selection…",
        kind="refactor.cairn.rewrite",
        skill="refactor",
        template="actions/refactor.md",
        mutates=True,
        offered="selection",
    ),
    ActionSpec(
        id="docstring",
        title="Cairn: Add docstring",
        kind="refactor.cairn.docstring",
        skill="docstring",
        template="actions/docstring.md",
        mutates=True,
        offered="definition",
        whole_block=True,
    ),
    ActionSpec(
        id="tests",
        title="Cairn: Write tests",
        kind="source.cairn.tests",
        skill="write-tests",
        template="actions/tests.md",
        mutates=True,
        offered="code",
        whole_block=True,
    ),
)

ACTION_IDS: tuple[str, ...] = tuple(spec.id for spec in ACTIONS)
_BY_ID = {spec.id: spec for spec in ACTIONS}


def action_spec(action_id: str) -> ActionSpec:
    """The spec of ``action_id``; ValueError for an unknown action."""
    try:
        return _BY_ID[action_id]
    except KeyError:
        raise ValueError(f"unknown action {action_id!r}") from None
