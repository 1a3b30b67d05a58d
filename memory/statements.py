"""What a sentence is: a standing instruction, a decision, a fact, a question, or chatter.

Real sessions are full of sentences that look like rules and are not: questions ("Should we
cache in Redis or in the database?"), sign-offs ("OK, let's stop here for today"), cheering
("Keep it up, you're making a big impact!"), first-person stories ("I'll always remember
that"), and lines whose subject is in another message ("Change it to 30."). Only a rule the
user states for the work is a directive; only a statement that names its subject is a fact.
"""

from __future__ import annotations

import re

from cairn.memory.values import (
    COMMAND_START,
    NUMBER,
    TICKET,
    exact_values,
    has_exact_value,
    strong_values,
    without_dates,
)

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])|\n+")
# A leading "[1:56 pm on 8 May, 2023]" or "Caroline:" says who/when, not what; a ticket id as the
# label ("INK-224: the Sage import chokes on the BOM") is what the sentence is about, and stays.
_PREFIX = re.compile(
    r"^(?:\[[^\]]{0,60}\]\s*)?"
    rf"(?:(?!{TICKET.pattern}:)[A-Z][\w'.-]{{0,20}}(?: [A-Z][\w'.-]{{0,20}})?:\s+)?"
)
_QUESTION_START = re.compile(
    r"^(?:should|shall|can|could|would|will|won'?t|do(?! not\b)|does(?! not\b)|did|is|are|was|were|"
    r"have|has|had|any ideas?)\b",
    re.IGNORECASE,
)
_ACKNOWLEDGEMENT = re.compile(
    r"^(?:ok(?:ay)?|sure|yes|yep|yeah|no|nope|thanks?|thank you|ty|cheers|great|cool|nice|perfect|"
    r"awesome|excellent|wonderful|amazing|good (?:job|work|night|morning|evening)|well done|"
    r"sounds good|got it|makes sense|never ?mind|bye|goodbye|see you|hi|hello|hey|lgtm|wow|haha|lol)\b",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"\b(?:let'?s (?:stop|call it|wrap (?:it |this )?up|pause|take a break|pick (?:it|this) up|"
    r"continue (?:tomorrow|later))|stop (?:here|for (?:today|now|the day))|"
    r"that'?s (?:all|it) for (?:today|now)|keep (?:it up|going|up the)|take care|have a (?:good|great|nice)|"
    r"you'?re (?:making|doing|a |so |the |such|amazing|awesome|great)|proud of you|believe in yourself|"
    r"good luck|happy to help|talk (?:to you )?(?:soon|later|tomorrow))",
    re.IGNORECASE,
)
# Words an acknowledgement may go on with and still say nothing ("Great, that works, thanks!").
CHATTER_TAIL_WORDS = 6
_CHEERING = re.compile(r"\b(?:you|your|yourself|you'?re|we|us)\b", re.IGNORECASE)
# The user telling a story about themselves is not a rule for the work.
_FIRST_PERSON = re.compile(
    r"^(?:i|i'?ll|i'?m|i'?ve|i'?d|me|my|we'?ll|we'?ve|we were|we had|we went)\b", re.IGNORECASE
)
_WANT = re.compile(r"\b(?:want|need|prefer|would like|'d like|expect)\b", re.IGNORECASE)
_RULE_START = re.compile(
    r"^(?:please,?\s+)?(?:always|never|don'?t|do not|make sure|ensure|avoid|prefer|from now on|"
    r"going forward|no more|only use|stop using|stop doing|do not ever|remember (?:to|that)|don'?t forget|"
    r"keep (?!it up\b|going\b|up\b|pushing\b|at it\b|smiling\b|trying\b)\S+|"
    r"use \S+(?: \S+){0,4}(?:,? not\b| instead of| rather than| for all| everywhere| from now on| only))",
    re.IGNORECASE,
)
_RULE_WORD = re.compile(
    r"\b(?:don'?t|do not|must(?:n'?t| not)?|shall not|has to|have to|needs? to|"
    r"make sure|ensure|avoid|from now on|instead of|rather than|no more)\b"
    r"|(?<!\bwe )(?<!\bi )(?<!\byou )(?<!\bmaybe )(?<!\bperhaps )\bshould(?:n'?t| not)?\b",
    re.IGNORECASE,
)
# "always"/"never" make a rule where they start a clause or follow who is told ("we always",
# "...: never edit"), not where they describe ("the file is always there", "X never even runs").
_RULE_ADVERB = re.compile(
    r"(?:^|[:;,(\u2014]\s*|\s-\s|\b(?:you|we|please|and|but|then|just|also|so|to)\s+)(?:always|never)\b",
    re.IGNORECASE,
)
# The user saying an instruction holds beyond this request.
_STANDING = re.compile(
    r"\b(?:standing (?:rule|instruction|order)s?|from (?:here|now) on|going forward|"
    r"not just for (?:today|now|this)|applies to everything|for all future)\b",
    re.IGNORECASE,
)
# ... or that it holds for this moment only ("now" closing the sentence, "yet", "this time").
_MOMENT_ONLY = re.compile(r"(?<!\bfor )\bnow[.!]?$|\byet\b|\bthis time\b|\bfor today\b", re.IGNORECASE)
# Words that tie a sentence to the work (a rule about life is not a rule for the code).
_WORK = re.compile(
    r"\b(?:tests?|commit\w*|branch\w*|merg\w*|push\w*|deploy\w*|lint\w*|build\w*|code|files?|"
    r"functions?|class\w*|modules?|api|endpoints?|database|db|quer(?:y|ies)|schema|migrations?|"
    r"log\w*|config\w*|ports?|servers?|services?|docker|ci|prs?|pull requests?|releases?|versions?|"
    r"packages?|dependenc\w+|imports?|types?|docstrings?|comments?|variables?|errors?|exceptions?|"
    r"review\w*|format\w*|style|indent\w*|tabs|spaces|english|answer\w*|repl(?:y|ies)|respond|"
    r"python|javascript|typescript|rust|sql|readme|docs?|cache|caching|secrets?|keys?|tokens?|"
    r"env(?:ironment)?|staging|production|prod|main|master|repo\w*|scripts?|command\w*|shell|"
    r"edit\w*|refactor\w*|rename\w*|delete\w*|changelog|tickets?|issues?|timeouts?|retr(?:y|ies))\b",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\b(?:decided|decision|we'?ll use|we will use|let'?s use|let'?s go with|going with|chose|"
    r"chosen|instead of|rather than|trade-?off|opted|picked|settled? on|switch(?:ed|ing)? (?:\w+ ){0,3}to|"
    r"went with|go with|because|so that|"
    # keeping what there is is a choice too ("OK, convinced, we keep SQLite: atomic writes on
    # power loss matter more than easy rsync.", "Right: stay on configparser until we drop 3.10.")
    r"we(?:'ll| will)? (?:keep|stay|stick)|stay (?:on|with)|stick (?:with|to)|keep using|"
    r"matters? more than|more important than|"
    # the agent's recommendation when asked ("I'd keep `Forbid`.", "I recommend a cursor.")
    r"i'?d (?:keep|use|stick with|leave|pick|choose|recommend|go for)|i (?:recommend|suggest))\b",
    re.IGNORECASE,
)
# A sentence that gives the reason for what was said just before it ("For this job that means
# Replace would kill a run mid-upsert.").
_REASON = re.compile(
    r"\b(?:because|since|that means|which means|this means|so that|otherwise)\b", re.IGNORECASE
)
# Questions and the agent narrating its next move are not facts about the project.
_NOT_A_FACT = re.compile(
    r"\?\s*$|^(?:let me|let's|i'll|i will|i'm going to|i am going to|now i|next,? i|reading|"
    r"checking|looking|opening|running|searching)\b",
    re.IGNORECASE,
)
# A sentence that asks for work ("Draft the CHANGELOG entry", "Move the schedule to ..."):
# a task of its moment, done or not, not something the project is.
_REQUEST = re.compile(
    r"^(?:(?:ok|okay|so|and|then|now|also|next|first|great|good|cool),?\s+)*(?:please,?\s+)?"
    r"(?:read|open|look|check|show|tell|explain|find|search|grep|list|run|fix|add|write|create|"
    r"implement|refactor|review|help|summari[sz]e|describe|compare|go through|walk me|draft|move|make|"
    r"put|change|bump|set|update|rename|remove|delete|drop|revert|commit|deploy|build|install|give|"
    r"send|try|test|document|note|record|mark|split|merge|rewrite|clean|wire|hook|reproduce|"
    r"investigate|debug|profile|measure|verify|confirm|ask|close|ship|release|tag|push)\b",
    re.IGNORECASE,
)
_PLEASE = re.compile(r"\bplease[.!]?$", re.IGNORECASE)  # "Reproduce it locally please."
_OPEN = re.compile(r"\b(TODO|FIXME|open question|not sure|unclear|later|follow[- ]up)\b|\?$", re.IGNORECASE)
_REFERENCE = re.compile(
    r"^(?:(?:ok|okay|so|and|then|now|but|no|yes),?\s+)*(?:it|they|them|there|"
    r"(?:that|this|those|these)(?=\s*(?:is|was|are|were|'s|one|ones|to|should|will|needs?|works?|\d|[.,!]|$)))\b",
    re.IGNORECASE,
)
_FILLER = frozenset(
    "a an the is are was were be been to of in on at for and or now it its that this those these "
    "they them there please just also then again instead back one ok okay so yes no change set make "
    "use update bump increase decrease raise lower move switch put try go let do it's that's "
    "s ms sec secs second seconds minute minutes min mins hour hours h day days kb mb gb tb percent "
    "times x px by up down to from".split()
)


_LIST_MARKER = re.compile(r"^[-*+•]\s+")  # a Markdown list item's marker: formatting, not words


def sentences(text: str) -> list[str]:
    """Split prose into sentences/lines, keeping each piece verbatim (stripped, and without a
    list item's marker: "- Port 8443 ..." is the statement "Port 8443 ...")."""
    pieces = (_LIST_MARKER.sub("", s.strip()) for s in SENTENCE.split(text) if s and s.strip())
    return [p for p in pieces if p]


def statements(text: str) -> list[str]:
    """``sentences``, except that a line whose subject is the sentence before it and that carries
    a value ("... collides with the backup. Make it 40 6 * * *.") is kept joined to that sentence:
    alone it says nothing ("Make it 40 6 * * *."), and dropped, the new value is lost."""
    out: list[str] = []
    for sentence in sentences(text):
        if out and not is_question(sentence) and _only_values_named(sentence):
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def _only_values_named(sentence: str) -> bool:
    """Whether the sentence carries a value and nothing but its values names what it is about
    ("Make it 40 6 * * *."). One pass of ``exact_values`` (extraction runs this per sentence)."""
    text = without_dates(_core(sentence))
    values = exact_values(text)
    if not values and NUMBER.search(text) is None:  # as has_exact_value
        return False
    for value in values:
        text = text.replace(value, " ")
    return _only_reference_or_filler(text.strip())


def _only_reference_or_filler(core: str) -> bool:
    # "it"/"that" pointing elsewhere, or no word beyond filler ("change", "to", units)
    words = re.findall(r"[a-z][a-z']*", without_dates(core).lower())
    return _REFERENCE.match(core) is not None or not [w for w in words if w not in _FILLER]


def _core(sentence: str) -> str:
    """The sentence without a leading timestamp or speaker label."""
    return _PREFIX.sub("", sentence.strip(), count=1).strip()


def _rule(core: str) -> bool:
    return _RULE_WORD.search(core) is not None or _RULE_ADVERB.search(core) is not None


def is_question(sentence: str) -> bool:
    """A question, with or without its question mark ("Can you make sure the tests pass")."""
    core = _core(sentence)
    return core.endswith("?") or _QUESTION_START.match(core) is not None


def is_chatter(sentence: str) -> bool:
    """Greetings, thanks, sign-offs and cheering: nothing to remember about the work."""
    core = _core(sentence)
    if not core:
        return True
    if _SIGN_OFF.search(core):
        return True
    acknowledged = _ACKNOWLEDGEMENT.match(core)
    if acknowledged and not _rule(core) and not strong_values(core):
        # "OK, thanks." is chatter; "OK, convinced, we keep SQLite: atomic writes on power loss
        # matter more than easy rsync." opens with an acknowledgement and goes on to say something.
        rest = core[acknowledged.end() :].strip(" ,.!:;-")
        if len(rest.split()) <= CHATTER_TAIL_WORDS:
            return True
    return core.endswith("!") and not strong_values(core) and _CHEERING.search(core) is not None


def is_directive(sentence: str) -> bool:
    """A standing instruction the user gives for the work ("Never commit to `main`.").

    The user saying it is standing ("Standing rule: ...", "from here on") makes it one whatever
    its words; one said for this moment only ("Don't open anything now.", "... don't edit the
    file yet.") is a request, not a rule to carry into every later session."""
    core = _core(sentence)
    if len(core.split()) < 3 or is_question(core) or is_chatter(core):
        return False
    if _STANDING.search(core):
        return True
    if _MOMENT_ONLY.search(core):
        return False
    if _FIRST_PERSON.match(core):
        return _WANT.search(core) is not None and (_rule(core) or _WORK.search(core) is not None)
    tied_to_work = bool(_WORK.search(core) or strong_values(core))
    if core.endswith("!") and not tied_to_work:
        return False  # "Keep pushing forward!", "Never give up!"
    if _RULE_START.match(core):
        return True
    return _rule(core) and tied_to_work


# A heading, or a line introducing what follows ("Here's how I see the trade-off.", "Commit
# messages for FRT-2291:", "**FRT-2291 (nightly import)**"): what it introduces is what counts.
_LEAD_IN = re.compile(
    r"^(?:here'?s|here is|here are|the following|as follows)\b|:\s*$|^\*\*[^*]+\*\*[.:]?$|^#+\s",
    re.IGNORECASE,
)


def is_lead_in(sentence: str) -> bool:
    """Whether a line only introduces what follows it (a heading, "Here's the plan:")."""
    return _LEAD_IN.search(_core(sentence).strip()) is not None


def is_decision(sentence: str) -> bool:
    """A choice with its reason ("We chose httpx because it is async.")."""
    core = _core(sentence)
    short = len(core.split()) < 4 and not strong_values(core)  # "I'd keep `Forbid`." names its choice
    if short or is_question(core) or is_chatter(core) or not _DECISION.search(core):
        return False
    if is_lead_in(core):
        return False
    if _FIRST_PERSON.match(core) and core.lower().startswith(("i ", "i'", "me ", "my ")):
        return bool(_WORK.search(core) or strong_values(core))  # "I chose to paint because ..."
    return True


def is_reason(sentence: str) -> bool:
    """Whether a sentence gives the reason for the one before it (not a question)."""
    return _REASON.search(sentence) is not None and not is_question(sentence)


def is_request(sentence: str) -> bool:
    """Whether a sentence asks for work ("Draft the CHANGELOG entry for 2.15.0.")."""
    core = _core(sentence)
    return _REQUEST.match(core) is not None or _PLEASE.search(core) is not None


def subjectless(sentence: str) -> bool:
    """A line whose subject is in another message ("Change it to 30.", "Make that 45.")."""
    core = _core(sentence)
    return not strong_values(core) and _only_reference_or_filler(core)


def is_fact(sentence: str) -> bool:
    """A statement that names its subject and carries an exact value (dates aside).

    A request whose only values are paths ("Read config/app.yml and tell me the timeout")
    is a task, not a fact; one that carries a value ("Pin requests to 2.31.0") is kept.
    """
    core = _core(sentence)
    if (is_request(core) and not strong_values(core)) or is_lead_in(core):
        return False
    return (
        has_exact_value(core)
        and not _NOT_A_FACT.search(core)
        and not is_question(core)
        and not is_chatter(core)
        and not subjectless(core)
    )


def only_chatter(text: str) -> bool:
    """Whether a whole message is greetings, thanks or sign-offs (no request in it)."""
    return all(is_chatter(sentence) for sentence in sentences(text))


def is_open_note(sentence: str) -> bool:
    """An open question or something left for later."""
    return _OPEN.search(sentence) is not None or is_question(sentence)


def is_command(code: str) -> bool:
    """Whether a code span is a shell command line."""
    return COMMAND_START.match(code) is not None
