"""The drug reference: medications and the interactions between substances
or ATC classes.

The database normalises and checks them (sql/versions/0009_prescriptions.py):
substance names in lower case without accents, ATC codes in capitals and
well-formed, each interacting pair stored once in a canonical order.  The
models apply the same soft rules so that a form shows what will be stored.
"""

import re
import unicodedata

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, FetchedValue, Identity, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.models.mixins import Timestamped
from app.services.normalize import clean_text

SEVERITIES = {
    "contraindicated": "Contraindicated",
    "avoid": "Avoid",
    "precaution": "Precaution",
    "consider": "Consider",
}
TERM_KINDS = {"substance": "Substance", "atc": "ATC class"}
# An ATC code at any of its five levels (N, N02, N02B, N02BA, N02BA01): is_atc_code() in SQL.
ATC_CODE = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")
# What unaccent() does for the letters NFKD leaves whole.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_SPACES = re.compile(r"\s+")


def normalize_substance(name: str | None) -> str | None:
    """A substance name as the database stores it (normalize_substance() in SQL)."""
    if name is None:
        return None
    text = unicodedata.normalize("NFKD", str(name).lower().translate(_LIGATURES))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _SPACES.sub(" ", text).strip() or None


def normalize_substances(names) -> list[str]:
    """Normalised, blanks and repeats dropped, order kept."""
    seen: list[str] = []
    for name in names or ():
        normalized = normalize_substance(name)
        if normalized and normalized not in seen:
            seen.append(normalized)
    return seen


def normalize_atc(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    return code or None


def is_atc_code(code: str | None) -> bool:
    return bool(code) and ATC_CODE.match(code) is not None


class Medication(Timestamped, Model):
    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    substances: Mapped[list[str]] = mapped_column(ARRAY(Text))
    atc_code: Mapped[str | None] = mapped_column(String(7))
    form: Mapped[str | None] = mapped_column(String(100))
    strength: Mapped[str | None] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(30))
    is_narcotic: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    needs_secure_prescription: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("code", "name", "form", "strength", "route")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @validates("substances")
    def _normalize_substances(self, _key, value):
        if isinstance(value, str):  # typed in a form: "amoxicillin + clavulanic acid"
            value = re.split(r"[+|;]", value)
        return normalize_substances(value)

    @validates("atc_code")
    def _normalize_atc(self, _key, value):
        return normalize_atc(value)

    @property
    def substances_text(self) -> str:
        return " + ".join(self.substances or ())

    @property
    def label(self) -> str:
        """What a prescriber picks: name, code and substances."""
        return f"{self.name} [{self.code}]"

    def __repr__(self) -> str:
        return self.label


class DrugInteraction(Timestamped, Model):
    __tablename__ = "drug_interactions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    a_kind: Mapped[str] = mapped_column(String(10))
    a_value: Mapped[str] = mapped_column(String(100))
    b_kind: Mapped[str] = mapped_column(String(10))
    b_value: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(100))

    # The values are normalised (and the pair put in order) by the database's
    # trigger, which knows each value's kind whatever order a form sets them in.
    @validates("message", "source", "a_value", "b_value")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def pair(self) -> str:
        return f"{term_label(self.a_kind, self.a_value)} + {term_label(self.b_kind, self.b_value)}"

    def __repr__(self) -> str:
        return self.pair


def term_label(kind: str, value: str) -> str:
    return f"class {value}" if kind == "atc" else value
