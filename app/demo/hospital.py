"""A plausible French hospital for demos: staff, one login per role, rooms,
~200 patients with valid NIRs and their allergies, and the doctors' agenda
(hours, absences, appointments: app/demo/agenda.py).  Deterministic
(seeded) and idempotent: rows are matched on natural keys (username, staff
name and demo e-mail, room code, NIR), so running it twice adds nothing.

It adds records and never changes one it did not create: it may run on a
database people already use (`flask seed-demo`, and every `make run`).
What it adds about patients (allergies, appointments, a prescription, a
report) is for the patients it creates in the same run, by its own staff.
"""

import random
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker
from sqlalchemy import select

from app.core.actor import DEMO_LOADER, acting_as
from app.core.ages import age_on
from app.core.normalize import normalize_email, phone_error
from app.demo.agenda import seed_demo_agenda
from app.demo.care import seed_demo_care
from app.demo.clinical import seed_demo_clinical
from app.demo.documents import seed_demo_documents
from app.demo.prescribing import demo_allergy, seed_demo_prescribing
from app.records.models import Patient, Room, Staff
from app.records.nir import nir_key

DEMO_PATIENT_COUNT = 200

# (username or None, role, last name, first name, profession, specialty, RPPS)
DEMO_STAFF = [
    ("admin", "Admin", "Lefèvre", "Claire", "admin", None, None),
    ("doctor", "Doctor", "Martin", "Julien", "doctor", "General medicine", "10003456781"),
    (None, None, "Bernard", "Sophie", "doctor", "Cardiology", "10004567892"),
    (None, None, "Nguyen", "Thomas", "doctor", "Paediatrics", "10005678903"),
    (None, None, "Dubois", "Émilie", "doctor", "Gynaecology and obstetrics", "10006789014"),
    ("radiologist", "Radiologist", "Roux", "Antoine", "radiologist", "Radiology", "10007890125"),
    ("nurse", "Nurse", "Petit", "Camille", "nurse", None, "10008901236"),
    (None, None, "Moreau", "Lucas", "nurse", None, "10009012347"),
    ("secretary", "Secretary", "Garcia", "Inès", "secretary", None, None),
    (None, None, "Fournier", "Hélène", "secretary", None, None),
    # Compliance (the data protection officer's team): reads the audit and the journal of reads.
    ("auditor", "Auditor", "Lambert", "Nicolas", "admin", None, None),
]

DEMO_ROOMS = [
    ("CONS-1", "Consultation 1", "consultation"),
    ("CONS-2", "Consultation 2", "consultation"),
    ("CONS-3", "Consultation 3 (paediatrics)", "consultation"),
    ("IRM-1", "MRI suite", "imaging"),
    ("RX-1", "X-ray room", "imaging"),
    ("BLOC-A", "Operating theatre A", "operating"),
    ("SERV-MED", "General medicine ward", "ward"),
    ("SALLE-ATT", "Waiting room", "other"),
]

ALLERGIES = ["Penicillin", "Aspirin", "Latex", "Peanuts", "Iodine contrast", "Ibuprofen", "Pollen"]


class RolesMissing(RuntimeError):
    """The demo's users would have no role: the roles are not set up yet."""


@dataclass
class DemoSummary:
    users: int = 0
    staff: int = 0
    rooms: int = 0
    patients: int = 0
    allergies: int = 0
    schedules: int = 0
    absences: int = 0
    appointments: int = 0
    prescribing: object = None  # demo_prescribing.PrescribingSummary
    care: object = None  # app/demo/care.py CareSummary
    hospitalisation_reports: int = 0
    consultations: int = 0
    generated_password: str | None = None

    def __str__(self) -> str:
        text = (
            f"{self.users} user(s), {self.staff} staff, {self.rooms} room(s), {self.patients} patient(s) added "
            f"({self.allergies} allergy record(s) with them); "
            f"agenda: {self.schedules} working-hour range(s), {self.absences} absence(s), "
            f"{self.appointments} appointment(s) added"
        )
        if self.prescribing is not None:
            text += f"; prescribing: {self.prescribing}"
        if self.care is not None:
            text += f"; care: {self.care}"
        text += f"; documents: {self.hospitalisation_reports} hospitalisation report(s) added"
        text += f"; clinical record: {self.consultations} consultation(s) with vital signs added"
        if self.generated_password:
            text += (
                f"; demo users' password: {self.generated_password!r} "
                "(shown only this once; set DEMO_PASSWORD to choose it)"
            )
        return text


def seed_demo_data(appbuilder, *, password: str | None, patient_count: int = DEMO_PATIENT_COUNT) -> DemoSummary:
    """Adds what is missing of the demo hospital, as DEMO_LOADER (the audit
    says so, and the alert engine ignores the loading).  Refuses
    (RolesMissing) before adding anything when the roles are not set up:
    `flask setup`, or `make run`, sets them up."""
    with acting_as(DEMO_LOADER):
        return _seed_demo_data(appbuilder, password=password, patient_count=patient_count)


def _seed_demo_data(appbuilder, *, password: str | None, patient_count: int) -> DemoSummary:
    session = appbuilder.session
    _check_roles(appbuilder.sm)
    summary = DemoSummary()
    if not password:
        password = summary.generated_password = secrets.token_urlsafe(9)
    _seed_staff(appbuilder, password, summary)
    _seed_rooms(session, summary)
    created = _seed_patients(session, patient_count, summary)
    doctors = _demo_doctors(session)
    prescriber = next((d for d in doctors if d.profession == "doctor" and d.user_id is not None), None)
    # The demo's warfarin, consultations and adult vital signs go to adults:
    # a child on warfarin at 71 kg would puzzle any clinician trying the demo.
    adults = [(patient, allergies) for patient, allergies in created if _is_adult(patient)]
    without_allergy = next((patient for patient, allergies in adults if not allergies), None)
    summary.prescribing = seed_demo_prescribing(session, without_allergy, prescriber)
    summary.care = seed_demo_care(session, [patient for patient, _allergies in created])
    first = created[0][0] if created else None
    summary.hospitalisation_reports = seed_demo_documents(session, first, prescriber)
    summary.consultations = seed_demo_clinical(session, [patient for patient, _allergies in adults], prescriber)
    session.commit()
    seed_demo_agenda(session, doctors, [patient.id for patient, _allergies in created], summary)
    if summary.users == 0:
        summary.generated_password = None  # nobody got it: don't print a useless secret
    return summary


ADULT_AGE = 18


def _is_adult(patient) -> bool:
    return age_on(patient.birth_date, date.today()) >= ADULT_AGE


def _check_roles(sm) -> None:
    wanted = {role for _username, role, *_rest in DEMO_STAFF if role}
    missing = sorted(wanted - {role.name for role in sm.get_all_roles()})
    if missing:
        raise RolesMissing(
            f"the role(s) {', '.join(missing)} do not exist yet, and the demo's users need them: "
            "run `flask --app run.py setup` first (make run does it)"
        )


def _demo_email(local_part: str) -> str:
    """Hélène Lefèvre's address as people have them: without accents (an
    address with non-ASCII characters cannot be sent: app/agenda/reminders.py)."""
    ascii_only = unicodedata.normalize("NFKD", local_part).encode("ascii", "ignore").decode()
    return f"{ascii_only}@example.fr".lower().replace(" ", "-").replace("'", "")


def demo_staff_email(first_name: str, last_name: str) -> str:
    """The demo's staff are told from the hospital's own by this address."""
    return normalize_email(f"{first_name[0]}.{last_name}@demo.caretrail.local".replace("è", "e"))


def _seed_staff(appbuilder, password: str, summary: DemoSummary) -> None:
    sm = appbuilder.sm
    session = appbuilder.session
    for username, role_name, last_name, first_name, profession, specialty, rpps in DEMO_STAFF:
        user = None
        if username:
            user = sm.find_user(username=username)
            if user is None:
                user = sm.add_user(
                    username,
                    first_name,
                    last_name,
                    f"{username}@demo.caretrail.local",
                    sm.find_role(role_name),
                    password=password,
                )
                if not user:
                    raise RuntimeError(f"could not create demo user {username!r}")
                summary.users += 1
        if _demo_staff(session, last_name, first_name, profession) is not None:
            continue
        linked = (
            user if user is not None and session.scalar(select(Staff).where(Staff.user_id == user.id)) is None else None
        )
        session.add(
            Staff(
                last_name=last_name,
                first_name=first_name,
                profession=profession,
                specialty=specialty,
                rpps=rpps,
                email=demo_staff_email(first_name, last_name),
                phone=f"01 45 67 {10 + summary.staff:02d} {20 + summary.staff:02d}",
                user=linked,
            )
        )
        summary.staff += 1
    session.flush()


def _demo_staff(session, last_name: str, first_name: str, profession: str) -> Staff | None:
    """The demo's own staff member of that name: a namesake working in the
    hospital is not the demo's."""
    return session.scalar(
        select(Staff).where(
            Staff.last_name == last_name,
            Staff.first_name == first_name,
            Staff.profession == profession,
            Staff.email == demo_staff_email(first_name, last_name),
        )
    )


def _demo_doctors(session) -> list[Staff]:
    """The demo's doctors and radiologist, in DEMO_STAFF order."""
    doctors = []
    for _username, _role, last_name, first_name, profession, _specialty, _rpps in DEMO_STAFF:
        if profession in ("doctor", "radiologist"):
            doctor = _demo_staff(session, last_name, first_name, profession)
            if doctor is not None and doctor.is_active:
                doctors.append(doctor)
    return doctors


def _seed_rooms(session, summary: DemoSummary) -> None:
    existing = set(session.scalars(select(Room.code)))
    for code, name, kind in DEMO_ROOMS:
        if code not in existing:
            session.add(Room(code=code, name=name, kind=kind))
            summary.rooms += 1
    session.flush()


def demo_nir(rng: random.Random, sex: str, birth_date: date, department: str) -> str:
    """A NIR consistent with sex, birth month/year and department, with its key."""
    sex_digit = "1" if sex == "M" else "2"
    body = (
        f"{sex_digit}{birth_date.year % 100:02d}{birth_date.month:02d}{department}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return f"{body}{nir_key(body):02d}"


def _mobile_number(rng: random.Random, prefix: str) -> str:
    """A mobile number in a range in service: one in five random "07 1x..."
    is not, and our own phone rule then refused every later edit of that
    patient until someone retyped the number.  Always four draws, whatever
    the number (the demo's later draws, so its NIRs, stay where they were)."""
    pairs = [rng.randint(10, 99) for _ in range(4)]
    for step in range(90):
        first = (pairs[0] - 10 + step) % 90 + 10
        number = " ".join(f"{pair:02d}" for pair in (int(prefix), first, *pairs[1:]))
        if phone_error(number) is None:
            return number
    raise ValueError(f"no mobile number in service starts with {prefix}")


def _seed_patients(session, count: int, summary: DemoSummary) -> list[tuple[Patient, list]]:
    """Adds the demo patients not there yet (matched on NIR), each with its
    allergies; returns them, with their allergies, in the order created."""
    created = []
    fake = Faker("fr_FR")
    fake.seed_instance(20261124)
    rng = random.Random(20261124)
    existing = set(session.scalars(select(Patient.nir).where(Patient.nir.is_not(None))))
    today = date.today()
    for _ in range(count):
        sex = rng.choice("FFMMX") if rng.random() > 0.02 else "X"
        first_name = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last_name = fake.last_name()
        birth_date = today - timedelta(days=rng.randint(0, 95 * 365))
        postcode = fake.postcode()
        department = postcode[:2] if postcode[:2] not in ("20", "97", "98") else "75"
        nir = demo_nir(rng, "F" if sex == "F" else "M", birth_date, department)
        married = sex == "F" and rng.random() < 0.3
        blood_group = rng.choice(["A+", "A+", "O+", "O+", "B+", "AB+", "A-", "O-", None])
        allergies = rng.sample(ALLERGIES, rng.randint(1, 2)) if rng.random() < 0.25 else []
        patient_fields = dict(
            last_name=last_name,
            first_name=first_name,
            birth_name=fake.last_name() if married else None,
            birth_date=birth_date,
            sex=sex,
            nir=nir,
            blood_group=blood_group,
            phone=_mobile_number(rng, "06"),
            email=_demo_email(f"{first_name}.{last_name}{rng.randint(1, 99)}") if rng.random() < 0.6 else None,
            address=fake.street_address(),
            postal_code=postcode,
            city=fake.city(),
            emergency_contact_name=fake.name() if rng.random() < 0.7 else None,
            emergency_contact_phone=_mobile_number(rng, "07"),
        )
        if nir in existing:
            continue
        existing.add(nir)
        patient = Patient(**patient_fields)
        # Recorded with the patient, as a clinician would, not as free text.
        recorded = [demo_allergy(patient, word) for word in allergies]
        session.add_all([patient, *recorded])
        created.append((patient, recorded))
        summary.patients += 1
        summary.allergies += len(recorded)
    session.flush()
    return created
