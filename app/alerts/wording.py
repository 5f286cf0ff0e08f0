"""An alert's summary in the reader's language.

Summaries are stored as the engine wrote them (English, app/alerts/engine.py,
journal_rules.py, describe.py): they are data, mailed and kept as written.
A French screen reads them through summary_in_language(), which rewrites the
engine's fixed phrases (the names, numbers and values inside stay as they
are); a summary it does not recognise is shown as stored.
"""

import re

from app.core.formatting import day_name, language

_DAYS = {"Monday": 1, "Tuesday": 2, "Wednesday": 3, "Thursday": 4, "Friday": 5, "Saturday": 6, "Sunday": 7}

# Column labels of describe.COLUMN_LABELS.
_COLUMNS = {
    "blood group": "groupe sanguin",
    "allergies (free text)": "allergies (texte libre)",
    "drug": "médicament",
    "dose unit": "unité de dose",
    "dose": "dose",
    "frequency": "fréquence",
}

# (pattern, French), applied in order; the engine's phrases only.
_FRENCH = [
    (r"\bat (\d\d:\d\d) on (" + "|".join(_DAYS) + r") (\d\d/\d\d/\d{4})", None),  # when(): below
    (r"\bup to (\d\d:\d\d) on", r"jusqu'à \1 le"),
    (
        r"database role (\S+) \(outside the application(, [^)]*)?\)",
        r"le rôle de base de données \1 (hors de l'application\2)",
    ),
    (r"\bdatabase role (\S+)", r"le rôle de base de données \1"),
    (r"^A change outside the application: ", "Changement hors de l'application : "),
    (r"\bemptied the table (\S+) \(TRUNCATE\)", r"a vidé la table \1 (TRUNCATE)"),
    (r"\bchanged (\d+) rows \(", r"a modifié \1 lignes ("),
    (
        r"\bchanged (\d+) different patients within (\d+) minutes \(more than (\d+)\)",
        r"a modifié \1 patients différents en \2 minutes (plus de \3)",
    ),
    (
        r"\bchanged the (.+?) of (.+?) from (.+?) to (.+?)(?=;| à |$)",
        lambda m: f"a modifié {_column(m.group(1))} de {m.group(2)} de {m.group(3)} à {m.group(4)}",
    ),
    (
        r"; the (.+?) of (.+?) from (.+?) to (.+?)(?=;| à |$)",
        lambda m: f" ; {_column(m.group(1))} de {m.group(2)} de {m.group(3)} à {m.group(4)}",
    ),
    (r"\bchanged the (.+?) of ", lambda m: f"a modifié {_column(m.group(1))} de "),
    (r"\bcreated the patient ", "a créé le patient "),
    (r"\bdeleted the patient ", "a supprimé le patient "),
    (r"\b(added|changed|deleted) a row of (\S+) of ", lambda m: f"{_VERBS[m.group(1)]} une ligne de {m.group(2)} de "),
    (
        r"\b(added|changed|deleted) row (\S+) of (\S+)",
        lambda m: f"{_VERBS[m.group(1)]} la ligne {m.group(2)} de {m.group(3)}",
    ),
    (r"\b(\S+) row (\S+) of ", r"ligne \2 de \1 de "),
    (r"\bgranted the role (.+?) to ", r"a donné le rôle \1 à "),
    (r"\bremoved the role (.+?) from ", r"a retiré le rôle \1 à "),
    (r"\bcreated the user ", "a créé l'utilisateur "),
    (r"\bdeleted the user ", "a supprimé l'utilisateur "),
    (r"\bchanged the user ", "a modifié l'utilisateur "),
    (r"\bbroke the glass on the record of ", "a forcé l'accès (bris de glace) au dossier de "),
    (r", giving as the reason: ", ", avec pour motif : "),
    (r"\buntil (\d\d:\d\d)", r"jusqu'à \1"),
    (r"\bread the history of the record of ", "a lu l'historique du dossier de "),
    (r"\b(opened|exported|printed) the record of ", lambda m: f"{_READS[m.group(1)]} le dossier de "),
    (r"\((\d+) reads\)", r"(\1 lectures)"),
    (r"\bon a public holiday \(", "un jour férié ("),
    (r"\bon a closed day\b", "un jour de fermeture"),
    (r"\ba day without working hours\b", "un jour sans heures de travail"),
    (r"\boutside working hours\b", "en dehors des heures de travail"),
    (r"\ban unknown patient\b", "un patient inconnu"),
    (r"\bpatient #(\d+)", r"patient n° \1"),
    (r"\buser #(\d+)", r"utilisateur n° \1"),
    (r"\(empty\)", "(vide)"),
]
_VERBS = {"added": "a ajouté", "changed": "a modifié", "deleted": "a supprimé"}
_READS = {"opened": "a ouvert", "exported": "a exporté", "printed": "a imprimé"}


def _column(label: str) -> str:
    return ", ".join(f"« {_COLUMNS.get(part, part)} »" for part in label.split(", "))


def _when(match) -> str:
    return f"à {match.group(1)} le {day_name(_DAYS[match.group(2)], language='fr').lower()} {match.group(3)}"


def summary_in_language(summary: str | None, language: str) -> str:
    if not summary or language != "fr":
        return summary or ""
    text = summary
    for pattern, french in _FRENCH:
        text = re.sub(pattern, french or _when, text)
    return text


def alert_summary(summary) -> str:
    """An alert's stored summary in the current user's language (template filter alert_summary)."""
    return summary_in_language(summary, language())
