"""Relative dates made absolute, so a memory read next month still means the same day.

"yesterday" in a note written on 2026-03-02 becomes "yesterday (2026-03-01)"; "last week"
becomes "last week (the week of 2026-02-23)". The words stay and the date goes beside them:
replacing the words broke sentences ("Today they match" read "2026-12-06 they match"), and an
expression already dated is left alone, so a later consolidation does not date it again from
its own day. Only unambiguous English expressions are dated; everything else is left exactly
as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "a": 1, "an": 1}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_shift(day: date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def absolutize_dates(text: str, reference: datetime | date) -> str:
    """``text`` with each relative date expression followed by its ISO date seen from ``reference``."""
    today = reference.date() if isinstance(reference, datetime) else reference
    iso = date.isoformat

    rules: list[tuple[str, Callable[[re.Match[str]], str]]] = [
        (r"\b(?:the day before yesterday)\b", lambda m: iso(today - timedelta(days=2))),
        (r"\b(?:the day after tomorrow)\b", lambda m: iso(today + timedelta(days=2))),
        (r"\byesterday\b", lambda m: iso(today - timedelta(days=1))),
        (r"\btomorrow\b", lambda m: iso(today + timedelta(days=1))),
        (r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", lambda m: iso(today)),
        (
            r"\b(\d+|one|two|three|four|five|six|seven|a|an) days? ago\b",
            lambda m: iso(today - timedelta(days=_count(m.group(1)))),
        ),
        (
            r"\bin (\d+|one|two|three|four|five|six|seven|a|an) days?\b",
            lambda m: iso(today + timedelta(days=_count(m.group(1)))),
        ),
        (
            r"\b(\d+|one|two|three|four|five|six|seven|a|an) weeks? ago\b",
            lambda m: "the week of " + iso(_monday(today) - timedelta(weeks=_count(m.group(1)))),
        ),
        (r"\blast week\b", lambda m: "the week of " + iso(_monday(today) - timedelta(weeks=1))),
        (r"\bnext week\b", lambda m: "the week of " + iso(_monday(today) + timedelta(weeks=1))),
        (r"\bthis week\b", lambda m: "the week of " + iso(_monday(today))),
        (r"\blast month\b", lambda m: _month_shift(today, -1)),
        (r"\bnext month\b", lambda m: _month_shift(today, 1)),
        (r"\bthis month\b", lambda m: _month_shift(today, 0)),
        (
            r"\blast (" + "|".join(_WEEKDAYS) + r")\b",
            lambda m: iso(
                today - timedelta(days=(today.weekday() - _WEEKDAYS.index(m.group(1).lower())) % 7 or 7)
            ),
        ),
        (
            r"\bnext (" + "|".join(_WEEKDAYS) + r")\b",
            lambda m: iso(
                today + timedelta(days=(_WEEKDAYS.index(m.group(1).lower()) - today.weekday()) % 7 or 7)
            ),
        ),
    ]
    for pattern, absolute in rules:
        # A possessive keeps its 's before the date; an expression already followed by its date
        # (a second consolidation's pass) is left alone.
        text = re.sub(pattern + r"(?:'s)?(?! \()", _dated_by(absolute), text, flags=re.IGNORECASE)
    return text


def _dated_by(absolute: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
    """A substitution that keeps the matched words and adds ``absolute``'s date beside them."""
    return lambda match: f"{match.group(0)} ({absolute(match)})"


# -- the days a search means -------------------------------------------------------------------

# People say "10 days ago" or "two weeks ago" loosely: a day-precise expression covers the day
# before and after, a "weeks ago" the days around it.
DAY_SLACK = 1
WEEK_SLACK = 3
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31}
_NOT_OF = r"(?!\s+of\b)"  # "the last week of August" names August's, not the one before today


def _around(day: date, slack: int) -> tuple[date, date]:
    return day - timedelta(days=slack), day + timedelta(days=slack + 1)


def _month_span(day: date, months: int) -> tuple[date, date]:
    index = day.year * 12 + day.month - 1 + months
    start = date(index // 12, index % 12 + 1, 1)
    following = index + 1
    return start, date(following // 12, following % 12 + 1, 1)


def _past_weekday(today: date, name: str) -> date:
    return today - timedelta(days=(today.weekday() - _WEEKDAYS.index(name.lower())) % 7 or 7)


def past_date_spans(text: str, reference: datetime | date) -> list[tuple[date, date]]:
    """The past days ``text``'s relative expressions name, seen from ``reference``: one
    ``(first day, day after the last)`` span per expression ("10 days ago", "yesterday", "two
    weeks ago", "last week", "last month", "last Saturday"), in order; [] when it names none.
    For a search of what was said then (``history``): future expressions name no past day."""
    today = reference.date() if isinstance(reference, datetime) else reference
    monday = _monday(today)
    rules: list[tuple[str, Callable[[re.Match[str]], tuple[date, date]]]] = [
        (
            r"\b(?:in|over|during|for) the (?:last|past) "
            r"(?:(\d+|two|three|four|five|six|seven) )?(day|week|month)s?\b" + _NOT_OF,
            lambda m: (
                today - timedelta(days=_count(m.group(1) or "one") * _UNIT_DAYS[m.group(2).lower()]),
                today + timedelta(days=1),
            ),
        ),
        (r"\bthe day before yesterday\b", lambda m: _around(today - timedelta(days=2), DAY_SLACK)),
        (r"\byesterday\b", lambda m: _around(today - timedelta(days=1), DAY_SLACK)),
        (
            r"\b(\d+|one|two|three|four|five|six|seven|a|an) days? ago\b",
            lambda m: _around(today - timedelta(days=_count(m.group(1))), DAY_SLACK),
        ),
        (
            r"\b(\d+|one|two|three|four|five|six|seven|a|an) weeks? ago\b",
            lambda m: _around(today - timedelta(weeks=_count(m.group(1))), WEEK_SLACK),
        ),
        (r"\blast week\b" + _NOT_OF, lambda m: (monday - timedelta(weeks=1), monday)),
        (r"\blast month\b" + _NOT_OF, lambda m: _month_span(today, -1)),
        (r"\blast (" + "|".join(_WEEKDAYS) + r")\b", lambda m: _around(_past_weekday(today, m.group(1)), 0)),
    ]
    found: list[tuple[int, tuple[date, date]]] = []
    taken: list[range] = []
    for pattern, span in rules:  # longest expressions first: "the day before yesterday" once
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            where = range(match.start(), match.end())
            if any(where.start < t.stop and t.start < where.stop for t in taken):
                continue
            taken.append(where)
            found.append((match.start(), span(match)))
    return [span for _, span in sorted(found)]
