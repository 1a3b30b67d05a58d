"""Parsing of FITS-style header dumps.

A night log is a plain-text file holding one header per exposure. Each header
is a run of "cards" in the usual FITS layout::

    KEYWORD = value / comment

and is terminated by a card that reads ``END``. Blank lines between headers
are ignored. This is *not* a FITS reader: there are no data units, and cards
do not have to be padded to 80 columns (most observatory loggers strip the
trailing blanks before writing the dump).

Supported value types follow the FITS standard (section 4.2): quoted strings
with ``''`` as an escaped quote, logicals ``T``/``F``, integers, and reals
(including ``D`` exponents). ``COMMENT`` and ``HISTORY`` cards are kept as
commentary cards with the text in ``Card.comment``.

Not supported yet: ``CONTINUE`` long strings, ``HIERARCH`` keywords, complex
values. See docs/header-format.md.
"""

import re

__all__ = [
    "CARD_WIDTH",
    "HeaderError",
    "Card",
    "Header",
    "parse_card",
    "parse_header",
    "parse_log",
]

CARD_WIDTH = 80
KEYWORD_WIDTH = 8
COMMENTARY_KEYWORDS = ("COMMENT", "HISTORY")

# keyword, value field, optional comment
_CARD_RE = re.compile(r"^([A-Z0-9_-]{1,8})\s*=\s*([^/]*?)\s*(?:/\s*(.*))?$")
_KEYWORD_RE = re.compile(r"^[A-Z0-9_-]{1,8}$")


class HeaderError(ValueError):
    """A card or header that cannot be parsed.

    The message carries the line number (1-based, counted over the whole
    file) and the keyword when they are known, so the CLI can print it
    as-is.
    """

    def __init__(self, message, lineno=None, keyword=None):
        self.reason = message
        self.lineno = lineno
        self.keyword = keyword
        if lineno is not None:
            message = "%s at line %d" % (message, lineno)
        if keyword:
            message = "%s (%s)" % (message, keyword)
        super().__init__(message)


class Card:
    """One parsed card."""

    __slots__ = ("keyword", "value", "comment", "lineno")

    def __init__(self, keyword, value=None, comment=None, lineno=None):
        self.keyword = keyword
        self.value = value
        self.comment = comment
        self.lineno = lineno

    @property
    def is_commentary(self):
        return self.keyword in COMMENTARY_KEYWORDS

    def __repr__(self):
        return "Card(%r, %r, %r)" % (self.keyword, self.value, self.comment)

    def __eq__(self, other):
        if not isinstance(other, Card):
            return NotImplemented
        return (self.keyword, self.value, self.comment) == (
            other.keyword,
            other.value,
            other.comment,
        )


class Header:
    """The ordered cards of one exposure.

    Lookup by keyword returns the value of the *last* card with that keyword,
    which is what the Kestrel acquisition software expects when it appends a
    corrected card instead of rewriting the original one.
    """

    def __init__(self, cards=None, source=None, first_line=None):
        self.cards = list(cards or [])
        self.source = source
        self.first_line = first_line

    def _find(self, keyword):
        keyword = keyword.upper()
        for card in reversed(self.cards):
            if card.keyword == keyword and not card.is_commentary:
                return card
        return None

    def __getitem__(self, keyword):
        card = self._find(keyword)
        if card is None:
            raise KeyError(keyword)
        return card.value

    def __contains__(self, keyword):
        return self._find(keyword) is not None

    def __len__(self):
        return len(self.cards)

    def get(self, keyword, default=None):
        card = self._find(keyword)
        return default if card is None else card.value

    def keys(self):
        seen = []
        for card in self.cards:
            if not card.is_commentary and card.keyword not in seen:
                seen.append(card.keyword)
        return seen

    def history(self):
        return [c.comment for c in self.cards if c.keyword == "HISTORY"]

    def as_dict(self):
        return {key: self[key] for key in self.keys()}

    @property
    def frame_id(self):
        return self.get("FRAMEID") or self.get("FILENAME") or "line%s" % self.first_line

    def __repr__(self):
        return "Header(%s, %d cards)" % (self.frame_id, len(self.cards))


def _coerce(text, lineno=None, keyword=None):
    """Turn the raw value field of a card into a Python value."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise HeaderError("unterminated quoted string", lineno, keyword)
        # FITS: leading blanks are significant, trailing blanks are not
        return text[1:-1].replace("''", "'").rstrip()
    if text in ("T", "F"):
        return text == "T"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text.replace("D", "E"))
    except ValueError:
        raise HeaderError("cannot interpret value %r" % text, lineno, keyword) from None


def parse_card(line, lineno=None):
    """Parse one line of a header dump into a :class:`Card`.

    Returns ``None`` for the ``END`` card.
    """
    line = line.rstrip("\r\n").rstrip()
    if len(line) > CARD_WIDTH:
        raise HeaderError("card longer than %d columns" % CARD_WIDTH, lineno)
    head = line[:KEYWORD_WIDTH].strip()
    if head == "END" and not line[KEYWORD_WIDTH:].strip():
        return None
    if head in COMMENTARY_KEYWORDS:
        return Card(head, None, line[KEYWORD_WIDTH:].strip(), lineno)
    match = _CARD_RE.match(line)
    if not match:
        keyword = head if _KEYWORD_RE.match(head) else None
        raise HeaderError("malformed card", lineno, keyword)
    keyword, raw_value, comment = match.groups()
    value = _coerce(raw_value, lineno, keyword)
    return Card(keyword, value, comment.strip() if comment else None, lineno)


def parse_header(lines, source=None, start_line=1):
    """Parse the cards of a single header (up to and including ``END``)."""
    cards = []
    lineno = start_line
    for lineno, line in enumerate(lines, start_line):
        if not line.strip():
            continue
        card = parse_card(line, lineno)
        if card is None:
            return Header(cards, source, start_line)
        cards.append(card)
    raise HeaderError("missing END card", lineno)


def parse_log(source):
    """Parse a whole night log.

    *source* is a path or an open text file. Returns a list of
    :class:`Header`, one per exposure, in file order.
    """
    if hasattr(source, "read"):
        text = source.read()
        name = getattr(source, "name", "<stream>")
    else:
        with open(source, encoding="ascii", errors="replace") as fh:
            text = fh.read()
        name = str(source)

    headers = []
    block = []
    block_start = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not block and not line.strip():
            continue
        if not block:
            block_start = lineno
        block.append(line)
        if line[:KEYWORD_WIDTH].strip() == "END" and not line[KEYWORD_WIDTH:].strip():
            headers.append(parse_header(block, name, block_start))
            block = []
    if block:
        # parse_header raises "missing END card" with the right line number
        parse_header(block, name, block_start)
    return headers
