"""Time slots and the tick loop.

A schedule rule lists slots such as ``"06:30-08:30"``. A slot is active when the
wall-clock minute of the day falls in ``[start, end)``. Weekday filters are
``"all"``, ``"mon-fri"``, ``"sat-sun"`` or a comma list (``"mon,wed,fri"``).

The tick loop itself runs on ``time.monotonic()`` so that a clock step (NTP sync
after boot, DST change) can neither stall the loop nor make it fire twice; only the
slot evaluation looks at the wall clock.
"""

import logging
import time
from datetime import datetime
from typing import Callable, Iterable, List, Optional, Tuple

log = logging.getLogger(__name__)

MINUTES_PER_DAY = 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_SETS = {
    "all": set(range(7)),
    "mon-fri": set(range(5)),
    "sat-sun": {5, 6},
}

Slot = Tuple[int, int]


def parse_hhmm(text: str) -> int:
    """``"06:30"`` -> 390. ``"24:00"`` is accepted as the end of the day."""
    try:
        hh, mm = text.strip().split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError("bad time %r, expected HH:MM" % (text,))
    if h == 24 and m == 0:
        return MINUTES_PER_DAY
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError("time out of range: %r" % (text,))
    return h * 60 + m


def parse_slot(slot: str) -> Slot:
    """``"06:30-08:30"`` -> (390, 510)."""
    try:
        start_s, end_s = slot.split("-")
    except ValueError:
        raise ValueError("bad slot %r, expected HH:MM-HH:MM" % (slot,))
    start, end = parse_hhmm(start_s), parse_hhmm(end_s)
    if end <= start:
        raise ValueError(f"schedule slot {slot!r} wraps midnight")
    return start, end


def parse_slots(slots: Iterable[str]) -> List[Slot]:
    return [parse_slot(s) for s in slots]


def parse_weekdays(spec: str) -> set:
    spec = spec.strip().lower()
    if spec in WEEKDAY_SETS:
        return set(WEEKDAY_SETS[spec])
    days = set()
    for part in spec.split(","):
        part = part.strip()
        if part not in DAYS:
            raise ValueError("unknown weekday %r in %r" % (part, spec))
        days.add(DAYS.index(part))
    return days


def minute_of_day(when: datetime) -> int:
    return when.hour * 60 + when.minute


def slot_active(slots: List[Slot], minute: int) -> bool:
    return any(start <= minute < end for start, end in slots)


def next_change(slots: List[Slot], minute: int) -> Optional[int]:
    """Minutes until the next slot boundary (start or end), or None without slots."""
    if not slots:
        return None
    best = None
    for start, end in slots:
        for edge in (start, end):
            delta = (edge - minute) % MINUTES_PER_DAY
            if delta and (best is None or delta < best):
                best = delta
    return best


class TickLoop:
    """Calls ``fn(now)`` every ``tick_s`` seconds of monotonic time.

    ``now`` is the wall-clock datetime at the moment of the call. Overruns are
    logged and the loop re-aligns instead of trying to catch up.
    """

    def __init__(self, tick_s: float, fn: Callable[[datetime], None],
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], datetime] = datetime.now):
        if tick_s <= 0:
            raise ValueError("tick_s must be positive")
        self.tick_s = tick_s
        self.fn = fn
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._stop = False
        self.ticks = 0
        self.overruns = 0

    def stop(self) -> None:
        self._stop = True

    def run(self, max_ticks: Optional[int] = None) -> None:
        deadline = self._clock()
        while not self._stop:
            self.fn(self._wall())
            self.ticks += 1
            if max_ticks is not None and self.ticks >= max_ticks:
                break
            deadline += self.tick_s
            delay = deadline - self._clock()
            if delay < 0:
                self.overruns += 1
                log.warning("tick %d overran by %.3f s", self.ticks, -delay)
                deadline = self._clock()
                continue
            self._sleep(delay)
