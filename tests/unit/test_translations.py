"""The French catalogue covers every string of the interface: a new screen
whose strings are not translated fails here (run `make translations`, then
translate the new msgids in translations/fr/LC_MESSAGES/messages.po)."""

from babel.messages.mofile import read_mo

from app.interface.translations import extract, po_path, read_catalog


def test_every_msgid_of_the_interface_has_a_french_translation():
    french = read_catalog("fr")
    missing = []
    for message in extract():
        if not message.id:
            continue
        translated = french.get(message.id)
        if translated is None or not translated.string or translated.fuzzy:
            missing.append(message.id)
    assert not missing, f"untranslated into French ({len(missing)}; run `make translations`): {missing[:20]}"


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed (a clean clone runs as it is): it must be the .po compiled."""
    french = read_catalog("fr")
    with po_path("fr").with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(handle)
    as_po = {_key(m.id): _key(m.string) for m in french if m.id and m.string and not m.fuzzy}
    as_mo = {_key(m.id): _key(m.string) for m in compiled if m.id}
    assert as_mo == as_po, "translations/fr/LC_MESSAGES/messages.mo is stale: run `make translations`"


def _key(value):
    """A plural message's id and strings as a tuple (read_po gives lists, read_mo tuples)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_placeholders_survive_translation():
    for message in read_catalog("fr"):
        if message.id and isinstance(message.id, str) and message.string:
            for placeholder in ("%(n)s", "%(name)s", "%(patient)s", "%(when)s"):
                assert (placeholder in message.id) == (placeholder in message.string), message.id
