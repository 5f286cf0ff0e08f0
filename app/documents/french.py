"""The documents speak French, the hospital's language, whatever the
language of the screens the values were typed on.

A prescription line's unit, frequency and route are typed as words (the
demo, and doctors on English screens, write "1 tablet, 3 times a day,
oral"); the documents print them in French: "1 comprimé, 3 fois par jour,
voie orale".  Known words and phrases, English or French, are put in French
(with the plural the number calls for, a decimal comma); anything else is
printed as typed: nothing is invented, a phrase the vocabulary does not know
stays the prescriber's own.
"""

import re
from decimal import Decimal

# unit -> (singular, plural); keys lower case, English and French spellings.
_UNITS = {
    ("tablet", "tablets", "tab", "tabs", "comprimé", "comprimés", "comprime", "comprimes", "cp"): (
        "comprimé",
        "comprimés",
    ),
    ("capsule", "capsules", "caps", "gélule", "gélules", "gelule", "gelules"): ("gélule", "gélules"),
    ("drop", "drops", "goutte", "gouttes"): ("goutte", "gouttes"),
    ("puff", "puffs", "bouffée", "bouffées", "inhalation", "inhalations"): ("bouffée", "bouffées"),
    ("sachet", "sachets"): ("sachet", "sachets"),
    ("ampoule", "ampoules", "vial", "vials"): ("ampoule", "ampoules"),
    ("suppository", "suppositories", "suppositoire", "suppositoires"): ("suppositoire", "suppositoires"),
    ("patch", "patches", "patchs"): ("patch", "patchs"),
    ("dose", "doses"): ("dose", "doses"),
    ("injection", "injections"): ("injection", "injections"),
    ("application", "applications"): ("application", "applications"),
    ("unit", "units", "unité", "unités", "iu", "ui"): ("UI", "UI"),
    ("teaspoon", "teaspoons", "cuillère à café", "cuillères à café"): ("cuillère à café", "cuillères à café"),
    ("tablespoon", "tablespoons", "cuillère à soupe", "cuillères à soupe"): ("cuillère à soupe", "cuillères à soupe"),
    ("mcg", "µg", "ug"): ("µg", "µg"),
    ("ml", "millilitre", "millilitres", "milliliter", "milliliters"): ("ml", "ml"),
}
UNITS = {spelling: forms for spellings, forms in _UNITS.items() for spelling in spellings}

_ROUTES = {
    ("oral", "orale", "by mouth", "po", "per os", "voie orale"): "voie orale",
    ("intravenous", "iv", "intraveineuse", "voie intraveineuse"): "voie intraveineuse",
    ("intramuscular", "im", "intramusculaire", "voie intramusculaire"): "voie intramusculaire",
    ("subcutaneous", "sc", "sous-cutanée", "sous-cutanee", "voie sous-cutanée"): "voie sous-cutanée",
    ("topical", "cutaneous", "skin", "cutanée", "cutanee", "voie cutanée", "locale"): "voie cutanée",
    ("transdermal", "transdermique", "voie transdermique"): "voie transdermique",
    ("inhaled", "inhalation", "inhalée", "inhalee", "voie inhalée"): "voie inhalée",
    ("rectal", "rectale", "voie rectale"): "voie rectale",
    ("sublingual", "sublinguale", "voie sublinguale"): "voie sublinguale",
    ("nasal", "nasale", "voie nasale"): "voie nasale",
    ("ophthalmic", "eye", "ocular", "ophtalmique", "oculaire", "voie ophtalmique"): "voie ophtalmique",
    ("otic", "ear", "auricular", "auriculaire", "voie auriculaire"): "voie auriculaire",
    ("vaginal", "vaginale", "voie vaginale"): "voie vaginale",
}
ROUTES = {spelling: french for spellings, french in _ROUTES.items() for spelling in spellings}

_NUMBER_WORDS = {"once": "1", "twice": "2", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}
# One part of a frequency (between commas): English pattern -> French.
_FREQUENCY_PARTS = [
    (r"(once|twice|\d+|one|two|three|four|five|six)(?: times?)? (?:a|per|each) day|(once|twice) daily",
     lambda m: f"{_count(m.group(1) or m.group(2))} fois par jour"),
    (r"(once|twice|\d+|one|two|three|four|five|six)(?: times?)? (?:a|per|each) week|(once|twice) weekly",
     lambda m: f"{_count(m.group(1) or m.group(2))} fois par semaine"),
    (r"(once|twice|\d+|one|two|three|four|five|six)(?: times?)? (?:a|per|each) month",
     lambda m: f"{_count(m.group(1))} fois par mois"),
    (r"every (\d+) hours?", lambda m: f"toutes les {m.group(1)} heures"),
    (r"every hour", lambda m: "toutes les heures"),
    (r"every (\d+) days?", lambda m: f"tous les {m.group(1)} jours"),
    (r"every day|daily", lambda m: "tous les jours"),
    (r"every other day", lambda m: "un jour sur deux"),
    (r"(?:in the )?mornings?", lambda m: "le matin"),
    (r"(?:at )?(?:noon|midday|lunchtime)", lambda m: "le midi"),
    (r"(?:in the )?evenings?", lambda m: "le soir"),
    (r"(?:at )?(?:bedtime|night)", lambda m: "au coucher"),
    (r"(?:as needed|if needed|when needed|prn)", lambda m: "si besoin"),
    (r"(?:with|during) meals?", lambda m: "au cours des repas"),
    (r"before meals?", lambda m: "avant les repas"),
    (r"after meals?", lambda m: "après les repas"),
    (r"on an empty stomach", lambda m: "à jeun"),
]  # fmt: skip
FREQUENCY_PARTS = [(re.compile(rf"^\s*(?:{pattern})\s*$", re.I), french) for pattern, french in _FREQUENCY_PARTS]


def _count(word: str) -> str:
    return _NUMBER_WORDS.get(word.lower(), word)


def french_number(value) -> str:
    """0.5 -> 0,5; 1.000 -> 1."""
    number = value.normalize() if isinstance(value, Decimal) else Decimal(str(value)).normalize()
    return f"{number:f}".replace(".", ",")


def french_dose(dose, unit: str) -> str:
    """1 comprimé, 2 comprimés, 1,5 comprimé (French plural from 2), 500 mg, 0,5 ml."""
    forms = UNITS.get((unit or "").strip().lower())
    number = french_number(dose)
    if forms is None:
        return f"{number} {unit}"
    singular, plural = forms
    many = Decimal(str(dose)) >= 2
    return f"{number} {plural if many else singular}"


def french_frequency(frequency: str) -> str:
    """Each part (between commas) in French when known, else as typed."""
    parts = []
    for part in (frequency or "").split(","):
        for pattern, french in FREQUENCY_PARTS:
            match = pattern.match(part)
            if match:
                parts.append(french(match))
                break
        else:
            parts.append(part.strip())
    return ", ".join(part for part in parts if part)


def french_route(route: str | None) -> str:
    """voie orale; a route the vocabulary does not know: "voie <as typed>"."""
    if not route:
        return ""
    known = ROUTES.get(route.strip().lower())
    if known:
        return known
    return route if route.lower().startswith("voie") else f"voie {route}"


def french_dosage(item, *, with_route: bool = True) -> str:
    """A prescription line as the ordonnance says it: 1 comprimé, 3 fois par jour, voie orale."""
    parts = [french_dose(item.dose, item.dose_unit), french_frequency(item.frequency)]
    if with_route and item.route:
        parts.append(french_route(item.route))
    return ", ".join(part for part in parts if part)


def french_duration(days: int | None) -> str:
    if not days:
        return ""
    return f"pendant {days} jour{'s' if days > 1 else ''}"


def french_agent(allergy) -> str:
    """What a patient is allergic to, in French (classe ATC ...)."""
    if allergy.substance:
        return allergy.substance
    if allergy.atc_code:
        return f"classe ATC {allergy.atc_code}"
    return allergy.description or ""
