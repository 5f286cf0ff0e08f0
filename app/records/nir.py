"""The French social security number (NIR): 13 characters and a 2-digit key.

The same rule lives in PostgreSQL (function nir_is_valid, see sql/versions);
this copy only gives forms and the API a friendly message before the database
refuses the row.
"""

import re

NIR_PATTERN = re.compile(r"^[1-478][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{6}[0-9]{2}$")


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
