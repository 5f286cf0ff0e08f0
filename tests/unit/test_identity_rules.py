"""Python copies of the identity rules (the database has its own, tested in
tests/integration/test_constraints.py)."""

from datetime import date

import pytest

from app.core.normalize import clean_text, normalize_email, normalize_nir, normalize_phone, phone_error
from app.records.nir import nir_birth_error, nir_error, nir_key, nir_sex_error
from app.records.validators import birth_date_rule, rpps_rule


def test_nir_key_matches_the_published_example():
    # 1 85 05 78 006 084, key 91: the example used by the French administration.
    assert nir_key("1850578006084") == 91
    assert nir_error("185057800608491") is None


def test_nir_with_wrong_key_is_refused_with_the_expected_key():
    assert nir_error("185057800608492") == "Invalid NIR key: 92 given, 91 expected."


@pytest.mark.parametrize("department, substitute", [("2A", "19"), ("2B", "18")])
def test_corsican_nir_counts_2a_as_19_and_2b_as_18(department, substitute):
    body = f"18505{department}006084"
    key = 97 - int(body.replace(department, substitute)) % 97
    assert nir_error(f"{body}{key:02d}") is None


@pytest.mark.parametrize("nir", ["12345", "585057800608491", "185137800608491", "1850578006084AB"])
def test_malformed_nir_is_refused(nir):
    assert nir_error(nir) is not None


def test_nir_is_normalised_from_how_people_type_it():
    assert normalize_nir(" 1 85 05 78 006 084 91 ") == "185057800608491"
    assert normalize_nir("1.85.05.2a.006.084") == "18505" + "2A006084"


def test_names_are_trimmed_and_inner_spaces_collapsed():
    assert clean_text("  Jean   Pierre ") == "Jean Pierre"
    assert clean_text("   ") is None


@pytest.mark.parametrize(
    "typed, stored",
    [("01 23 45 67 89", "+33123456789"), ("06.12.34.56.78", "+33612345678"), ("+44 20 7946 0958", "+442079460958")],
)
def test_phone_numbers_are_normalised_to_e164(typed, stored):
    assert normalize_phone(typed) == stored


def test_unparseable_phone_is_kept_as_typed_and_explained():
    assert normalize_phone("call me") == "call me"
    assert phone_error("call me") is not None
    assert phone_error("01 23 45 67 89") is None


def test_email_is_lowercased():
    assert normalize_email(" Helene.Dubois@Example.FR ") == "helene.dubois@example.fr"


def test_birth_date_rule():
    assert birth_date_rule("2999-01-01") == "Birth date cannot be in the future."
    assert birth_date_rule("1850-01-01") == "Birth date cannot be before 1880."
    assert birth_date_rule("1985-05-17") is None


def test_rpps_rule():
    assert rpps_rule("1000345678") is not None
    assert rpps_rule("10003 456781") is None


@pytest.mark.parametrize(
    "body, sex, birth_date",
    [
        ("1850578006084", "M", date(1985, 5, 17)),
        ("1850578006084", "X", date(1985, 5, 17)),  # sex X is never contradicted
        ("1853078006084", "M", date(1985, 11, 2)),  # pseudo-month 30: month unknown
        ("1859978006084", "M", date(1985, 1, 2)),  # pseudo-month 99
        ("2000197101001", "F", date(2000, 1, 1)),  # overseas (971), born in 2000
        ("285052A006084", "F", date(1985, 5, 1)),  # Corsica
        ("3850599006084", "M", date(1990, 1, 2)),  # 3: born abroad, being registered, dates not checked
        ("8850578006084", "F", date(2001, 3, 4)),  # 8: provisional (a woman)
        ("7850578006084", "M", date(1970, 1, 1)),  # 7: provisional (a man)
    ],
)
def test_nir_agrees_with_sex_and_birth_allowing_insee_exceptions(body, sex, birth_date):
    nir = f"{body}{nir_key(body):02d}"
    assert nir_error(nir) is None
    assert nir_sex_error(nir, sex) is None
    assert nir_birth_error(nir, birth_date) is None


def test_nir_contradicting_sex_or_birth_date_is_explained():
    assert "starts with 1 (a man) but the sex is F" in nir_sex_error("185057800608491", "F")
    assert "starts with 8 (a woman) but the sex is M" in nir_sex_error("885057800608491", "M")
    assert "year of birth as ..85, the date of birth is in 1986" in nir_birth_error("185057800608491", date(1986, 5, 1))
    assert "month 05, the date of birth is in month 06" in nir_birth_error("185057800608491", date(1985, 6, 1))


@pytest.mark.parametrize("month", ["13", "19", "43", "49", "00"])
def test_nir_month_43_to_49_or_13_to_19_is_no_month(month):
    body = f"185{month}78006084"
    assert nir_error(f"{body}{nir_key(body):02d}") is not None
