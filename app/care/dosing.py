"""When the doses of a prescription line fall on a day: the planned slots
of the medication administration record.

A prescription line's frequency is free text typed by the prescriber
("3 times a day", "twice a day", "every 8 hours", "matin et soir",
"once a day, in the evening").  The words that say how many doses a day
map to the ward's usual round times (ROUNDS); a line whose frequency says
nothing we can read ("if pain", "as needed") plans no slot: its doses are
given on demand and are not part of the planned record.  Each slot has a
window (WINDOW_MINUTES either side, never more than half the gap to the next
slot): the database refuses a second dose given within it.
"""

import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The ward's round times for n doses a day.
ROUNDS = {
    1: (time(8),),
    2: (time(8), time(20)),
    3: (time(8), time(13), time(20)),
    4: (time(8), time(12), time(16), time(20)),
    5: (time(6), time(10), time(14), time(18), time(22)),
    6: (time(6), time(10), time(14), time(18), time(22), time(2)),
}
WINDOW_MINUTES = 60

_WORDS = {"once": 1, "one": 1, "une": 1, "un": 1, "twice": 2, "two": 2, "deux": 2, "three": 3, "trois": 3}
_WORDS |= {"four": 4, "quatre": 4, "five": 5, "cinq": 5, "six": 6}
_TIMES_A_DAY = re.compile(
    r"\b(\d|once|twice|one|two|three|four|five|six|une|un|deux|trois|quatre|cinq)\s*"
    r"(?:x|times?|fois)?\s*(?:a|per|par|/)\s*(?:day|jour|j|24\s*h)\b"
)
_SHORT = re.compile(r"^\s*(\d)\s*x\s*/?\s*(?:j|d|jour|day)?\s*$")
_EVERY_HOURS = re.compile(r"\b(?:every|toutes les|tous les|q)\s*(\d{1,2})\s*(?:h|hours?|heures?)\b")
_MOMENTS = {"matin": time(8), "morning": time(8), "midi": time(13), "noon": time(13), "lunch": time(13)}
_MOMENTS |= {"soir": time(20), "evening": time(20), "night": time(22), "bedtime": time(22), "coucher": time(22)}
_MOMENTS |= {"nuit": time(22)}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in text if not unicodedata.combining(char))


def times_of_day(frequency: str | None) -> tuple[time, ...]:
    """The round times a frequency plans, () when it plans none."""
    text = _plain(frequency or "")
    if not text.strip():
        return ()
    every = _EVERY_HOURS.search(text)
    if every:
        hours = int(every.group(1))
        if not 1 <= hours <= 24 or 24 % hours:
            return ()
        return tuple(time((6 + step * hours) % 24) for step in range(24 // hours))
    moments = sorted({moment for word, moment in _MOMENTS.items() if re.search(rf"\b{word}\b", text)})
    count = None
    match = _TIMES_A_DAY.search(text) or _SHORT.match(text)
    if match:
        word = match.group(1)
        count = int(word) if word.isdigit() else _WORDS.get(word)
    elif re.search(r"\b(daily|quotidien|par jour|a day|per day|une fois)\b", text):
        count = 1
    if moments and (count is None or count == len(moments)):
        return tuple(moments)
    if count == 1 and moments:
        return (moments[0],)
    return ROUNDS.get(count, ()) if count else ()


@dataclass(frozen=True)
class Slot:
    planned_at: datetime  # aware
    window_starts: datetime
    window_ends: datetime


def slots_on(frequency: str | None, day: date, zone: ZoneInfo) -> list[Slot]:
    """The planned doses of `day` (hospital time), each with its window."""
    moments = sorted(datetime.combine(day, t, tzinfo=zone) for t in times_of_day(frequency))
    if not moments:
        return []
    gaps = [(b - a) for a, b in itertools.pairwise(moments)]
    # The gap to the next day's first slot closes the circle.
    gaps.append(moments[0] + timedelta(days=1) - moments[-1])
    slots = []
    for index, moment in enumerate(moments):
        before = gaps[index - 1] if index else gaps[-1]
        after = gaps[index]
        reach_before = min(timedelta(minutes=WINDOW_MINUTES), before / 2)
        reach_after = min(timedelta(minutes=WINDOW_MINUTES), after / 2)
        slots.append(Slot(moment, moment - reach_before, moment + reach_after))
    return slots
