"""What a vital-sign chart plots: one kind's measurements over time, and the
body-mass index derived from weight and height (never stored: it follows
from the two measurements, each weight divided by the square of the height
measured last before it, or the first height when none was before).

The chart's page (templates/clinical/observations.html) fetches this as
JSON from /api/v1/observations/chart/<patient>/<kind> and draws it with
Chart.js served from app/static/vendor/chartjs (no CDN).
"""

from bisect import bisect_right
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext

from app.clinical import rules
from app.clinical.models import DIASTOLIC_NORMAL, OBSERVATION_KINDS, Observation
from app.core.actor import Actor
from app.core.errors import ConstraintViolation

BMI = "bmi"
CHART_KINDS = (*OBSERVATION_KINDS, BMI)
BMI_NORMAL = (Decimal("18.5"), Decimal("25"))


def chart_kinds() -> dict[str, str]:
    return {**{kind: gettext(spec.label) for kind, spec in OBSERVATION_KINDS.items()}, BMI: gettext("Body-mass index")}


def chart_series(session, actor: Actor, patient_id: int, kind: str) -> dict:
    if kind not in CHART_KINDS:
        raise ConstraintViolation("kind", "Kind: " + ", ".join(CHART_KINDS) + ".")
    if kind == BMI:
        return _bmi_series(session, actor, patient_id)
    spec = OBSERVATION_KINDS[kind]
    observations = rules.patient_observations(session, actor, patient_id, kind=kind)
    series = {
        "kind": kind,
        "label": gettext(spec.label),
        "unit": spec.unit,
        "normal_low": _number(spec.normal_low),
        "normal_high": _number(spec.normal_high),
        "points": [_point(row) for row in observations],
    }
    if kind == "blood_pressure":
        series["diastolic_normal_low"], series["diastolic_normal_high"] = map(_number, DIASTOLIC_NORMAL)
    return series


def bmi(weight: Decimal, height_cm: Decimal) -> Decimal:
    metres = Decimal(height_cm) / 100
    return (Decimal(weight) / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def latest_bmi(latest: dict[str, Observation]) -> Decimal | None:
    if "weight" in latest and "height" in latest:
        return bmi(latest["weight"].value, latest["height"].value)
    return None


def _bmi_series(session, actor: Actor, patient_id: int) -> dict:
    weights = rules.patient_observations(session, actor, patient_id, kind="weight")
    heights = rules.patient_observations(session, actor, patient_id, kind="height")
    points = []
    if heights:
        times = [row.measured_at for row in heights]
        for weight in weights:
            height = heights[max(bisect_right(times, weight.measured_at) - 1, 0)]
            value = bmi(weight.value, height.value)
            points.append(
                {
                    "at": weight.measured_at.isoformat(),
                    "value": float(value),
                    "abnormal": not BMI_NORMAL[0] <= value < BMI_NORMAL[1],
                }
            )
    return {
        "kind": BMI,
        "label": gettext("Body-mass index"),
        "unit": "kg/m²",
        "normal_low": float(BMI_NORMAL[0]),
        "normal_high": float(BMI_NORMAL[1]),
        "points": points,
    }


def _point(row: Observation) -> dict:
    point = {"id": row.id, "at": row.measured_at.isoformat(), "value": float(row.value), "abnormal": row.is_abnormal}
    if row.diastolic is not None:
        point["diastolic"] = float(row.diastolic)
    return point


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
