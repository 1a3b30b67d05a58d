"""Reading one rule out of a small optimizer model's reply.

Small models rarely answer with just the sentence asked for: they open with "Sure! Here is a
new instruction:", number or bullet the rule, quote it, bold it, label it "Rule:", wrap it in a
code fence, or answer with code instead. ``parse_rule`` takes the first meaningful line, strips
that decoration, and refuses (``RuleParseError`` with the reason) a reply that is empty, code,
too short or too long to be one instruction, or that names a function from the examples shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cairn.skills.textstats import normalize_rule

MIN_RULE_WORDS = 3
MAX_RULE_WORDS = 40
# A reply whose words come this much from the prompt's own wording is the prompt echoed back, not
# a rule: the embedded 0.5B optimizer answered its first HumanEval step with the prompt's closing
# lines ("No code, no function or variable names, nothing copied from the examples. ...").
ECHO_SHARE = 0.7
# Fences whose content is prose: small models wrap a plain sentence in ``` or ```text.
_PROSE_FENCES = frozenset({"", "text", "txt", "markdown", "md", "plaintext"})
_FENCE_LINE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^(?:[-*•+>]\s*|\(?\d{1,2}[.):]\s+|#{1,6}\s+)")
_LABEL = re.compile(
    r"^(?:(?:new|one|the|suggested|proposed)\s+)?(?:rule|instruction|guideline|answer)\s*\d*\s*[:\-–—]\s*",
    re.IGNORECASE,
)
_OPENING_QUOTES = "\"'“‘`"
_CLOSING_QUOTES = "\"'”’`"
_PREAMBLE = re.compile(
    r"^(?:sure|certainly|of course|okay|ok|absolutely|alright|here is|here's|here are|below is)\b",
    re.IGNORECASE,
)
PREAMBLE_MAX_WORDS = 15
# Signs that a line is code, not an instruction in words.
_CODE = (
    re.compile(r"^(?:async\s+)?def\s+\w+\s*\(|^class\s+\w+\s*[(:]"),
    re.compile(r"^import\s+[\w.]+(?:\s*,\s*[\w.]+)*(?:\s+as\s+\w+)?$|^from\s+[\w.]+\s+import\s"),
    # A statement keyword in lower case, and no full stop: "return a + b", not "Return the sum."
    re.compile(r"^(?:return|raise|assert|yield|print|lambda)\b(?!.*[.!]$)"),
    re.compile(r"^(?:for|while|if|elif|with)\b.*:$"),
    re.compile(r"^>>>"),
    re.compile(r"`"),
    re.compile(r"[A-Za-z_]\w*\([^()]*\)"),  # a call such as len(x) or sorted()
    re.compile(r"==|!=|<=|>=|\+=|-=|->|=>|:=|\s=\s"),
    re.compile(r"[{};]\s*$"),
)


class RuleParseError(ValueError):
    """The reply holds no usable rule; the message says why."""


def _strip_quotes(line: str) -> str:
    if line[:1] in _OPENING_QUOTES:
        line = line[1:]
        # The closing quote, possibly followed by the sentence's full stop: "Do X."  or "Do X".
        match = re.search(rf"[{re.escape(_CLOSING_QUOTES)}]([.!]?)\s*$", line)
        if match:
            line = line[: match.start()] + match.group(1)
    return line.strip()


def clean_line(line: str) -> str:
    """``line`` without list markers, bold, a "Rule:" label or surrounding quotes."""
    previous = None
    line = line.strip()
    while line != previous:
        previous = line
        line = _MARKER.sub("", line).replace("**", "").strip()
        line = _LABEL.sub("", line).strip()
        line = _strip_quotes(line)
    return line


def looks_like_code(line: str) -> bool:
    return any(pattern.search(line) for pattern in _CODE)


def _is_preamble(line: str) -> bool:
    if line.endswith(":"):
        return True
    return bool(_PREAMBLE.match(line)) and len(line.split()) <= PREAMBLE_MAX_WORDS


def _is_identifier_like(name: str) -> bool:
    # Plain words ("median", "add") also occur in honest rules; snake_case or camelCase names do not.
    return "_" in name or any(c.isdigit() for c in name) or any(c.isupper() for c in name[1:])


def echoes(line: str, prompt: str) -> bool:
    """Whether ``line`` is mostly words of ``prompt`` in the prompt's own order (an echo)."""
    said = normalize_rule(line).split()
    pairs = list(zip(said, said[1:]))
    if not pairs or not prompt:
        return False
    source = normalize_rule(prompt).split()
    prompt_pairs = set(zip(source, source[1:]))
    return sum(pair in prompt_pairs for pair in pairs) / len(pairs) >= ECHO_SHARE


# A rule about the skill instead of a rule in it ("Add a new rule to the skill that ensures the
# function handles negative numbers correctly.", the 1.5B optimizer's habit): the rule is what
# follows; "ensures" becomes the imperative "Ensure".
_META_LEAD = re.compile(
    r"^(?:add|write|include|create|introduce)\s+(?:a\s+|one\s+)?(?:new\s+)?(?:rule|instruction)\s+"
    r"(?:(?:to|in)\s+the\s+skill\s+)?(?:that|which)\s+(?P<verb>ensures?|makes?\s+sure|requires?)\s+(?:that\s+)?",
    re.IGNORECASE,
)


def without_meta_lead(line: str) -> str:
    """``line`` as the rule itself when it is phrased as a rule about the skill."""
    match = _META_LEAD.match(line)
    if not match:
        return line
    lead = "Make sure" if match.group("verb").lower().startswith("make") else "Ensure"
    return f"{lead} {line[match.end() :]}"


def _checked(line: str, forbidden_names: Iterable[str], echo_of: str = "") -> str:
    line = without_meta_lead(line)
    if echoes(line, echo_of):
        raise RuleParseError(f"repeats the request's own wording, not a rule: {line[:80]!r}")
    words = len(line.split())
    if words > MAX_RULE_WORDS:
        raise RuleParseError(f"too long for one instruction ({words} words; at most {MAX_RULE_WORDS})")
    if words < MIN_RULE_WORDS:
        raise RuleParseError(f"too short to be an instruction: {line!r}")
    for name in sorted(set(forbidden_names)):
        if _is_identifier_like(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", line):
            raise RuleParseError(f"names {name!r} from the examples: not a general rule")
    line = line[0].upper() + line[1:]
    return line if line[-1] in ".!?" else line + "."


def parse_rule(reply: str, *, forbidden_names: Iterable[str] = (), echo_of: str = "") -> str:
    """The one rule in ``reply`` (first meaningful line, decoration stripped); raises
    RuleParseError. ``forbidden_names`` are the example tasks' function names; ``echo_of`` the
    request's own instructions, which a reply must not just repeat."""
    in_prose_fence = False
    for raw in reply.splitlines():
        fence = _FENCE_LINE.match(raw)
        if fence:
            language = fence.group(1).lower()
            if not in_prose_fence and language not in _PROSE_FENCES:
                raise RuleParseError(f"the reply is a {language} code block, not an instruction")
            in_prose_fence = not in_prose_fence
            continue
        line = clean_line(raw.replace("```", ""))
        if not line:
            continue
        if looks_like_code(line):
            raise RuleParseError(f"the reply is code, not an instruction: {line[:80]!r}")
        if _is_preamble(line):
            continue
        return _checked(line, forbidden_names, echo_of)
    raise RuleParseError("the reply holds no instruction")
