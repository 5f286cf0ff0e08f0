"""The catalogues: `python -m app.interface.translations` (make translations)
extracts every msgid of the app and its templates, merges them into
translations/fr/LC_MESSAGES/messages.po (new ones untranslated, so the test
tests/unit/test_translations.py fails until someone translates them) and
compiles messages.mo.  The .mo is committed: a clean clone runs without a
build step, and the test checks it matches the .po.
"""

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from app.interface.catalogue import extract_screen_strings

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LOCALES = ("fr",)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
METHOD_MAP = [("app/**.py", extract_screen_strings), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "encoding": "utf-8"}


def extract() -> Catalog:
    catalog = Catalog(project="CareTrail", charset="utf-8")
    options = {"templates/**.html": JINJA_OPTIONS, "templates/**.txt": JINJA_OPTIONS}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, options, KEYWORDS, strip_comment_tags=True
    ):
        if message and (message if isinstance(message, str) else message[0]).strip():
            catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def update(template: Catalog) -> None:
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            catalog = read_catalog(locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, project="CareTrail", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, omit_header=False, sort_output=True, width=120, include_previous=False)


def compile_all() -> None:
    for locale in LOCALES:
        catalog = read_catalog(locale)
        with po_path(locale).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


def main(argv: list[str]) -> int:
    if "--compile-only" not in argv:
        update(extract())
    compile_all()
    print(f"[caretrail] translations: {', '.join(str(po_path(locale)) for locale in LOCALES)} (.po and .mo)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
