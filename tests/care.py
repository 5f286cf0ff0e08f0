"""Care test helpers: a signed prescription line with a chosen frequency,
the shipped vaccine reference and French calendar, actors per role, and
patients of a given age — written in SQL or through the real importers."""

from datetime import date

from app.care.due import add_months
from app.core.actor import SYSTEM, Actor
from tests.prescribing import make_ward, sign


def actor(conn, username: str) -> Actor:
    """The Actor of a test login (its roles as the database has them)."""
    user_id, roles = conn.execute(
        "SELECT u.id, array_agg(r.name) FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id"
        " JOIN ab_role r ON r.id = ur.role_id WHERE u.username = %s GROUP BY u.id",
        [username],
    ).fetchone()
    return Actor(username, user_id, frozenset(roles))


def signed_line(conn, patient_id: int, prescriber_id: int, medication_id: int, frequency: str, **line) -> int:
    """A signed prescription of one line taken at `frequency`; the line's id."""
    prescription_id = conn.execute(
        "INSERT INTO prescriptions (patient_id, prescriber_id) VALUES (%s, %s) RETURNING id",
        [patient_id, prescriber_id],
    ).fetchone()[0]
    columns = ["prescription_id", "position", "medication_id", "dose", "dose_unit", "frequency", *line]
    item_id = conn.execute(
        f"INSERT INTO prescription_items ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        " RETURNING id",
        [prescription_id, 1, medication_id, 1, "tablet", frequency, *line.values()],
    ).fetchone()[0]
    sign(conn, prescription_id)
    return item_id


def ward_with_line(conn, frequency: str = "twice a day") -> dict:
    """make_ward()'s ward, and Hélène Dubois's signed paracetamol line (ward["line"])."""
    ward = make_ward(conn)
    ward["line"] = signed_line(conn, ward["dubois"], ward["martin"], ward["med"]["PARA"], frequency)
    return ward


def load_reference(app) -> None:
    """The shipped vaccines and French calendar, through the importers."""
    from app.care.reference_import import import_calendar, import_vaccines
    from app.core.extensions import db

    with app.app_context():
        try:
            for importer in (import_vaccines, import_calendar):
                report = importer(db.session, SYSTEM)
                assert not report.rejected, report.rejected
        finally:
            db.session.remove()


def patient_aged(conn, months: int, *, today: date, last_name: str = "Age", email: str | None = None) -> int:
    """A patient born `months` months before `today` (plus a week: the age is whole)."""
    from datetime import timedelta

    birth = add_months(today, -months) - timedelta(days=7)
    return conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, email) VALUES (%s, 'Test', %s, 'F', %s)"
        " RETURNING id",
        [last_name, birth, email],
    ).fetchone()[0]


def vaccine_id(conn, code: str) -> int:
    return conn.execute("SELECT id FROM vaccines WHERE code = %s", [code]).fetchone()[0]


def give(conn, patient_id: int, code: str, given_on: date, dose_number: int = 1) -> int:
    return conn.execute(
        "INSERT INTO vaccinations (patient_id, vaccine_id, dose_number, given_on, lot_number, site)"
        " VALUES (%s, %s, %s, %s, 'LOT-1', 'left_deltoid') RETURNING id",
        [patient_id, vaccine_id(conn, code), dose_number, given_on],
    ).fetchone()[0]
