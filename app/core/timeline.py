"""One chronological view of a patient's story, fed by every domain.

A domain that holds dated events of a patient (consultations, observations,
administrations, vaccinations, appointments, documents...) registers one
source: a function (session, patient_id, actor) -> iterable of
TimelineItem.  A source applies its own domain's read rules for `actor`
and yields nothing the actor may not see; the timeline only merges and
sorts.  Sources register at import time of their domain's module, so the
timeline knows every kind of the domains that are installed, and nothing
else.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.core.actor import Actor


@dataclass(frozen=True)
class TimelineItem:
    at: datetime  # timezone-aware
    kind: str  # the source's kind, e.g. "consultation", "vaccination"
    title: str  # one line, in the reader's language
    detail: str = ""  # a second line, may be empty
    url: str | None = None  # the page of the record, when the reader may open it


TimelineSource = Callable[[Session, int, Actor], Iterable[TimelineItem]]

_SOURCES: dict[str, TimelineSource] = {}


def timeline_source(kind: str) -> Callable[[TimelineSource], TimelineSource]:
    """Register `function` as the source of `kind` (decorator)."""

    def register(function: TimelineSource) -> TimelineSource:
        _SOURCES[kind] = function
        return function

    return register


def timeline_kinds() -> list[str]:
    return sorted(_SOURCES)


def patient_timeline(
    session: Session, patient_id: int, actor: Actor, kinds: Iterable[str] | None = None
) -> list[TimelineItem]:
    """Every item the actor may see, newest first, of the chosen kinds (all by default)."""
    wanted = set(kinds) if kinds is not None else set(_SOURCES)
    items = [item for kind, source in _SOURCES.items() if kind in wanted for item in source(session, patient_id, actor)]
    return sorted(items, key=lambda item: item.at, reverse=True)
