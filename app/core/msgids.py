"""N_(): marks a msgid for `make translations` and returns it unchanged.

For text kept as data and translated where it is shown: a refusal the
screens translate when they show it (the API keeps English), a label map
read at display, a page's error sentence.  The one marker every layer may
import (app/core imports no domain)."""


def N_(text: str) -> str:
    return text
