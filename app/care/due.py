"""Which vaccinations a patient is due or overdue for, from the calendar
(vaccination_schedule) and the doses they were given.

Each step of the calendar is a dose against one disease, due at an age and
recommended until an age (the next step's, usually).  A dose given counts
for a step when it protects against the step's disease and was given
within [due age - tolerance, until age): a catch-up dose given late still
counts, a booster given a year early too (tolerance), an adult booster never
stands in for an infant dose.  Each dose counts once (the 2nd infant dose
needs a 2nd dose): steps take doses from the oldest age down, each the
latest dose in its window, so a dose in two windows goes to the later step
and the earlier one, still open for catch-up, asks for one more.  A repeated step
(every 10 years, every year) only asks for its latest occurrence.

A step whose occurrence has come and is not covered is "due"; past its
`overdue_after_months`, "overdue".  Steps whose until-age has passed are no
longer asked for (the next step takes over, as the calendar says to resume
at the next fixed age).  Everything is in whole calendar months of age.
"""

from dataclasses import dataclass
from datetime import date

from app.core.ages import months_on

DUE = "due"
OVERDUE = "overdue"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # 29 February, 31st of a short month: the month's last day.
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def months_between(start: date, end: date) -> int:
    """Whole months from start to end (age in months on `end`)."""
    return months_on(start, end)


@dataclass(frozen=True)
class Step:
    id: int
    code: str
    disease: str
    label: str
    due_age_months: int
    until_age_months: int | None
    repeat_every_months: int | None
    tolerance_months: int
    overdue_after_months: int


@dataclass(frozen=True)
class Dose:
    given_on: date
    diseases: frozenset[str]


@dataclass(frozen=True)
class DueVaccination:
    step: Step
    due_on: date  # the day this occurrence of the step fell due
    status: str  # DUE or OVERDUE


def _occurrence(step: Step, birth: date, today: date) -> tuple[date, date | None] | None:
    """(due day, end of the dose's window) of the step's current occurrence, None before it."""
    age = months_between(birth, today)
    if age < step.due_age_months or (step.until_age_months is not None and age >= step.until_age_months):
        return None
    due_age = step.due_age_months
    if step.repeat_every_months:
        due_age += (age - step.due_age_months) // step.repeat_every_months * step.repeat_every_months
        ends = add_months(birth, due_age + step.repeat_every_months)
        if step.until_age_months is not None:
            ends = min(ends, add_months(birth, step.until_age_months))
        return add_months(birth, due_age), ends
    ends = add_months(birth, step.until_age_months) if step.until_age_months is not None else None
    return add_months(birth, due_age), ends


def due_vaccinations(birth: date, steps: list[Step], doses: list[Dose], today: date) -> list[DueVaccination]:
    """The steps the patient is due or overdue for on `today`, soonest due first."""
    found = []
    used: set[tuple[str, int]] = set()  # (disease, dose): a dose counts once per disease
    latest_first = sorted(enumerate(doses), key=lambda pair: pair[1].given_on, reverse=True)
    for step in sorted(steps, key=lambda s: (s.disease, -s.due_age_months, s.code)):
        if step.repeat_every_months:
            occurrence = _occurrence(step, birth, today)
            if occurrence is None:
                continue
            due_on, ends = occurrence
            starts = add_months(due_on, -step.tolerance_months)
            covered = any(
                step.disease in dose.diseases and starts <= dose.given_on and (ends is None or dose.given_on < ends)
                for dose in doses
            )
        else:
            # Series steps take doses whether or not they are still asked for.
            due_on = add_months(birth, step.due_age_months)
            starts = add_months(due_on, -step.tolerance_months)
            ends = add_months(birth, step.until_age_months) if step.until_age_months is not None else None
            covered = False
            for index, dose in latest_first:
                if (step.disease, index) in used or step.disease not in dose.diseases:
                    continue
                if starts <= dose.given_on and (ends is None or dose.given_on < ends) and dose.given_on <= today:
                    used.add((step.disease, index))
                    covered = True
                    break
            if _occurrence(step, birth, today) is None:
                continue
        if covered:
            continue
        status = OVERDUE if today >= add_months(due_on, step.overdue_after_months) else DUE
        found.append(DueVaccination(step, due_on, status))
    return sorted(found, key=lambda due: (due.due_on, due.step.code))
