"""Bounded, structured edits to a skill's body: append, insert_after, replace, delete.

Edits touch only the body (the front matter is the skill's identity and stays as it is) and an
anchor must occur exactly once, so an edit means one thing. ``parse_edits`` reads the optimizer's
JSON; anything malformed is reported per edit, never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cairn.skills.frontmatter import split_skill_text
from cairn.skills.optimize.graders import extract_json
from cairn.skills.textstats import approx_tokens, normalize_rule

OPS = ("append", "insert_after", "replace", "delete")


class EditError(ValueError):
    """An edit cannot be applied (missing or ambiguous anchor, empty text...)."""


@dataclass(frozen=True)
class Edit:
    op: str
    text: str = ""
    anchor: str = ""

    def key(self) -> str:
        """Identity for the rejected-edits ledger: cosmetic variants collide on purpose."""
        return f"{self.op}|{normalize_rule(self.anchor)}|{normalize_rule(self.text)}"

    def changed_tokens(self) -> int:
        """Tokens added plus tokens removed."""
        removed = approx_tokens(self.anchor) if self.op in ("replace", "delete") else 0
        return removed + approx_tokens(self.text)

    def added_text(self) -> str:
        return self.text if self.op != "delete" else ""

    def to_dict(self) -> dict[str, str]:
        data = {"op": self.op}
        if self.anchor:
            data["anchor"] = self.anchor
        if self.op != "delete":
            data["text"] = self.text
        return data

    def describe(self) -> str:
        """One line for reports and for the ledger shown to the optimizer."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def edit_from_dict(raw: Any) -> Edit:
    """Validate one edit object; raises EditError with the reason."""
    if not isinstance(raw, dict):
        raise EditError("an edit must be an object")
    op = raw.get("op")
    if op not in OPS:
        raise EditError(f"'op' must be one of {', '.join(OPS)}")
    text, anchor = raw.get("text", ""), raw.get("anchor", "")
    if not isinstance(text, str) or not isinstance(anchor, str):
        raise EditError("'text' and 'anchor' must be strings")
    if op != "delete" and not text.strip():
        raise EditError(f"{op} needs a non-empty 'text'")
    if op != "append" and not anchor.strip():
        raise EditError(f"{op} needs an 'anchor' copied exactly from the skill")
    return Edit(op, text.strip("\n"), anchor)


def parse_edits(reply: str) -> tuple[list[Edit], list[str]]:
    """Edits from an optimizer reply ``{"edits": [...]}``, and a reason for each rejected one."""
    try:
        data = extract_json(reply)
    except ValueError:
        return [], ["the reply contains no JSON object with 'edits'"]
    items = data.get("edits") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return [], ["'edits' must be a list"]
    edits, errors = [], []
    for index, raw in enumerate(items):
        try:
            edits.append(edit_from_dict(raw))
        except EditError as exc:
            errors.append(f"edit {index + 1}: {exc}")
    return edits, errors


def _apply_to_body(body: str, edit: Edit) -> str:
    if edit.op == "append":
        return body.rstrip("\n") + "\n" + edit.text + "\n"
    count = body.count(edit.anchor)
    if count != 1:
        raise EditError(f"anchor {edit.anchor[:60]!r} occurs {count} times; it must occur exactly once")
    start = body.index(edit.anchor)
    end = start + len(edit.anchor)
    if edit.op == "replace":
        return body[:start] + edit.text + body[end:]
    if edit.op == "delete":
        # Deleting whole lines takes their newline too, so no blank hole is left behind.
        if (start == 0 or body[start - 1] == "\n") and body[end : end + 1] == "\n":
            end += 1
        return body[:start] + body[end:]
    line_end = body.find("\n", end)
    line_end = len(body) if line_end == -1 else line_end
    return body[:line_end] + "\n" + edit.text + body[line_end:]


def apply_edit(skill_text: str, edit: Edit) -> str:
    """The skill text with ``edit`` applied to its body; raises EditError."""
    doc = split_skill_text(skill_text)
    if doc.data is None:
        raise EditError("the skill has no valid front matter")
    head = "\n".join(doc.lines[: doc.body_start_line])
    body = _apply_to_body(doc.body, edit)
    return head + "\n" + body.rstrip("\n") + "\n"


def apply_edits(skill_text: str, edits: list[Edit]) -> str:
    """Apply ``edits`` in order; raises EditError on the first that does not apply."""
    for edit in edits:
        skill_text = apply_edit(skill_text, edit)
    return skill_text
