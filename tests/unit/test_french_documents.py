"""The documents' French (app/documents/french.py): units with their plural,
frequencies and routes put in French when known, anything else as typed."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.documents.french import french_dosage, french_dose, french_frequency, french_route


@pytest.mark.parametrize(
    ("dose", "unit", "printed"),
    [
        (Decimal("1.000"), "tablet", "1 comprimé"),
        (Decimal("1.5"), "tablets", "1,5 comprimé"),
        (Decimal("2"), "tablet", "2 comprimés"),
        (Decimal("500"), "mg", "500 mg"),
        (Decimal("0.5"), "ml", "0,5 ml"),
        (Decimal("3"), "Gouttes", "3 gouttes"),
        (Decimal("2"), "puff", "2 bouffées"),
        (Decimal("1"), "flacon", "1 flacon"),  # unknown: as typed
    ],
)
def test_doses_in_french(dose, unit, printed):
    assert french_dose(dose, unit) == printed


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("3 times a day", "3 fois par jour"),
        ("once a day, in the evening", "1 fois par jour, le soir"),
        ("twice daily, with meals", "2 fois par jour, au cours des repas"),
        ("every 8 hours", "toutes les 8 heures"),
        ("as needed", "si besoin"),
        ("3 fois par jour", "3 fois par jour"),  # already French
        ("matin et soir", "matin et soir"),  # unknown: the prescriber's words
    ],
)
def test_frequencies_in_french(typed, printed):
    assert french_frequency(typed) == printed


@pytest.mark.parametrize(
    ("typed", "printed"),
    [("oral", "voie orale"), ("IV", "voie intraveineuse"), ("voie orale", "voie orale"), ("buccale", "voie buccale")],
)
def test_routes_in_french(typed, printed):
    assert french_route(typed) == printed


def test_a_line_reads_as_on_an_ordonnance():
    item = SimpleNamespace(dose=Decimal("1"), dose_unit="tablet", frequency="3 times a day", route="oral")
    assert french_dosage(item) == "1 comprimé, 3 fois par jour, voie orale"
