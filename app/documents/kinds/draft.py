"""A document ready to render, and the helpers every kind shares."""

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from markupsafe import Markup

from app.documents.errors import DocumentInputError
from app.documents.french import french_agent, french_dosage, french_duration
from app.documents.models import HospitalSettings


@dataclass(frozen=True)
class Draft:
    title: str
    html: str
    template_id: int | None = None
    template_version: int | None = None
    prescription_id: int | None = None
    hospitalisation_report_id: int | None = None
    # What the issuer typed in, kept with the archived document.
    recorded_fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Letterhead:
    """The hospital as every document prints it (hospital_settings)."""

    name: str
    address: str | None
    phone: str | None
    finess: str | None
    footer: str | None
    logo_data_url: str | None

    @classmethod
    def load(cls, session) -> "Letterhead":
        settings = HospitalSettings.current(session)
        logo = None
        if settings.logo:
            encoded = base64.b64encode(settings.logo).decode("ascii")
            logo = f"data:{settings.logo_media_type};base64,{encoded}"
        return cls(settings.name, settings.address, settings.phone, settings.finess, settings.footer, logo)


def hospital_now() -> datetime:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"]))


def french_date(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def french_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%d/%m/%Y %H:%M")


def born(patient) -> str:
    return "Née" if patient.sex == "F" else "Né"


def render_document_html(template: str, *, session, title: str, engine: str, **context) -> str:
    """A document's self-contained HTML: letterhead, style sheet inline."""
    return render_template(
        f"documents/{template}",
        title=title,
        engine=engine,
        hospital=Letterhead.load(session),
        issued_at=hospital_now(),
        french_date=french_date,
        french_datetime=french_datetime,
        born=born,
        french_dosage=french_dosage,
        french_duration=french_duration,
        french_agent=french_agent,
        **context,
    )


def required_id(fields: dict, name: str) -> int:
    """A positive integer field, else DocumentInputError naming it."""
    value = fields.get(name)
    if value is None or value == "":
        raise DocumentInputError(name, "This field is required.")
    if isinstance(value, bool):
        raise DocumentInputError(name, "Expected a number.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DocumentInputError(name, "Expected a number.") from None
    if number < 1 or str(number) != str(value).strip():
        raise DocumentInputError(name, "Expected a positive whole number.")
    return number


def no_other_fields(fields: dict, allowed: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise DocumentInputError(unknown[0], "Not a field of this kind of document.")


def multiline(text: str | None) -> Markup:
    """Escaped text with its line breaks kept."""
    return Markup("<br>").join((text or "").splitlines())
