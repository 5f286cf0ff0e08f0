"""The French social security number (NIR): 13 characters and a 2-digit key.

Layout (INSEE): sex digit, year of birth (2 digits), month of birth,
department (2A/2B for Corsica, 97x overseas with a 3-digit department and a
2-digit commune, 99 born abroad), commune, order number, key.

- Sex digit: 1 a man, 2 a woman; 3 and 4 (a man, a woman) for people born
  abroad being registered; 7 and 8 (a man, a woman) for provisional numbers.
- Month: 01-12, or a pseudo-month when the month of birth is unknown
  (20-42 for people born abroad with an incomplete civil status, 50-99 for
  numbers given on an incomplete registration).

The same rules live in PostgreSQL (nir_is_valid, nir_agrees_with_sex,
nir_agrees_with_birth_date: migrations 0002 and 0031); this copy only gives
forms and the API a friendly message before the database refuses the row.
"""

import re
from datetime import date

from app.core.normalize import is_digits

NIR_PATTERN = re.compile(
    r"^[1-478][0-9]{2}(0[1-9]|1[0-2]|[23][0-9]|4[0-2]|[5-9][0-9])(2[AB]|[0-9]{2})[0-9]{6}[0-9]{2}$"
)
MEN = "137"
WOMEN = "248"
REGISTERED = "12"  # sex digits whose year and month are those of the birth date (others: provisional)
SEX_WORDS = {"1": "a man", "2": "a woman", "3": "a man", "4": "a woman", "7": "a man", "8": "a woman"}


def nir_key(first_13: str) -> int:
    """The control key: 97 - (number mod 97); Corsica's 2A/2B count as 19/18."""
    digits = first_13.replace("2A", "19").replace("2B", "18")
    return 97 - int(digits) % 97


def nir_error(nir: str) -> str | None:
    """Why `nir` (already normalised) is not a valid NIR, or None when it is."""
    if len(nir) != 15:
        return "A NIR has 15 characters (13 digits and a 2-digit key)."
    if not NIR_PATTERN.match(nir):
        return "Not a NIR: sex digit, year, month, department, commune, order number and key expected."
    if nir_key(nir[:13]) != int(nir[13:]):
        return f"Invalid NIR key: {nir[13:]} given, {nir_key(nir[:13]):02d} expected."
    return None


def nir_sex_error(nir: str | None, sex: str | None) -> str | None:
    """Why a valid `nir` contradicts the patient's sex (F, M; X is never contradicted)."""
    if not nir or not sex or nir[0] not in SEX_WORDS:
        return None
    if (sex == "M" and nir[0] in WOMEN) or (sex == "F" and nir[0] in MEN):
        return f"The NIR starts with {nir[0]} ({SEX_WORDS[nir[0]]}) but the sex is {sex}: check both."
    return None


def nir_birth_error(nir: str | None, birth_date: date | None) -> str | None:
    """Why a valid `nir` contradicts the birth date: its year (2 digits) and,
    when known (01-12), its month.  Provisional numbers (3, 4, 7, 8) are not checked."""
    if not nir or birth_date is None or nir[0] not in REGISTERED or not is_digits(nir[1:5]):
        return None
    year, month = nir[1:3], int(nir[3:5])
    if year != f"{birth_date.year % 100:02d}":
        return f"The NIR gives the year of birth as ..{year}, the date of birth is in {birth_date.year}: check both."
    if 1 <= month <= 12 and month != birth_date.month:
        return (
            f"The NIR gives a birth in month {month:02d}, the date of birth is in month "
            f"{birth_date.month:02d}: check both."
        )
    return None
