"""Alert summaries are stored as the engine writes them; a French screen reads
the engine's phrases in French, names and values untouched (app/alerts/wording.py)."""

import pytest

from app.alerts.wording import summary_in_language

CASES = [
    (
        "secretary changed the blood group of DUBOIS Marie (IPP00000123) from A+ to O- at 23:14 on Sunday"
        " 04/10/2026, outside working hours (07:00-19:00).",
        "secretary a modifié « groupe sanguin » de DUBOIS Marie (IPP00000123) de A+ à O- à 23:14 le dimanche"
        " 04/10/2026, en dehors des heures de travail (07:00-19:00).",
    ),
    (
        "nurse created the patient MARTIN Paul (IPP00000007) at 02:10 on Monday 05/10/2026.",
        "nurse a créé le patient MARTIN Paul (IPP00000007) à 02:10 le lundi 05/10/2026.",
    ),
    (
        "admin granted the role Doctor to jdupont at 09:00 on Tuesday 06/10/2026.",
        "admin a donné le rôle Doctor à jdupont à 09:00 le mardi 06/10/2026.",
    ),
    (
        "A change outside the application: database role caretrail_owner (outside the application, psql)"
        " deleted the patient DURAND Léa (IPP00000009) at 22:00 on Friday 09/10/2026.",
        "Changement hors de l'application : le rôle de base de données caretrail_owner (hors de l'application, psql)"
        " a supprimé le patient DURAND Léa (IPP00000009) à 22:00 le vendredi 09/10/2026.",
    ),
    (
        "doctor opened the record of DUBOIS Marie (IPP00000123) at 03:12 on Saturday 10/10/2026 (3 reads),"
        " a day without working hours.",
        "doctor a ouvert le dossier de DUBOIS Marie (IPP00000123) à 03:12 le samedi 10/10/2026 (3 lectures),"
        " un jour sans heures de travail.",
    ),
]


@pytest.mark.parametrize(("stored", "french"), CASES)
def test_a_french_reader_reads_the_engines_phrases_in_french(stored, french):
    assert summary_in_language(stored, "fr") == french


@pytest.mark.parametrize(("stored", "french"), CASES)
def test_english_and_unknown_summaries_are_shown_as_stored(stored, french):
    assert summary_in_language(stored, "en") == stored
    assert summary_in_language("Something a person typed.", "fr") == "Something a person typed."
