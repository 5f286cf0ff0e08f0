"""The archive: every document issued is kept, byte for byte, with who issued
it; nobody changes or removes one; who may issue and read what; bad input
is refused with the field to fix and nothing written."""

import hashlib

import psycopg
import pytest

from app.core.actor import Actor
from app.core.errors import Forbidden as DocumentForbidden
from app.core.errors import NotFound
from app.core.extensions import db
from app.documents.archive import open_document
from app.documents.errors import DocumentInputError
from app.documents.models import Document, DocumentAccess
from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD
from tests.documents import issue, make_chart


@pytest.fixture
def chart(sql_conn):
    return make_chart(sql_conn)


@pytest.fixture
def app_role_conn(postgres_server, database_name):
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as conn:
        yield conn


def issuer(app, username: str) -> Actor:
    return Actor.of(app.appbuilder.sm.find_user(username=username))


def count_documents(sql_conn) -> int:
    return sql_conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def test_an_issued_document_is_archived_with_its_hash_and_issuer(app, sql_conn, chart):
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={})
    row = sql_conn.execute(
        "SELECT d.issued_by, u.username, d.size_bytes, d.sha256, d.content, d.engine, d.page_count, d.title"
        " FROM documents d JOIN ab_user u ON u.id = d.issued_by_user_id WHERE d.id = %s",
        [document.id],
    ).fetchone()
    issued_by, username, size, sha256, content, engine, pages, title = row
    assert issued_by == username == "doctor"
    assert content.startswith(b"%PDF-") and size == len(content)
    assert sha256 == hashlib.sha256(content).digest()
    assert engine == "weasyprint" and pages >= 1 and title == "Dossier patient — DUBOIS Hélène"


def test_reopening_gives_the_same_bytes_and_journals_each_access(app, sql_conn, chart):
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={})
    with app.app_context():
        first = open_document(db.session, issuer(app, "doctor"), document.id, action="download").content
        db.session.commit()
        # (An auditor may not: the doctor's sheet shows medical fields, issue 18.)
        second = open_document(
            db.session, issuer(app, "admin"), document.id, action="print", client_addr="10.0.0.7"
        ).content
        db.session.commit()
    assert first == second == document.content
    assert hashlib.sha256(first).digest() == document.sha256
    journal = sql_conn.execute(
        "SELECT action, username, host(client_addr) FROM document_accesses WHERE document_id = %s ORDER BY id",
        [document.id],
    ).fetchall()
    assert journal == [("download", "doctor", None), ("print", "admin", "10.0.0.7")]


def test_a_prescription_printed_again_is_the_same_document(app, sql_conn, chart):
    fields = {"prescription_id": chart["prescription"]}
    first = issue(app, "doctor", patient_id=chart["dubois"], kind="prescription", fields=fields)
    sql_conn.execute("UPDATE hospital_settings SET name = 'Nouveau nom'")  # the letterhead changed since
    again = issue(app, "nurse", patient_id=chart["dubois"], kind="prescription", fields=fields)
    assert again.id == first.id and again.content == first.content
    assert count_documents(sql_conn) == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE documents SET title = 'forged'",
        "UPDATE documents SET content = content || 'x'::bytea",
        "DELETE FROM documents",
        "TRUNCATE documents CASCADE",
        "UPDATE document_accesses SET username = 'someone else'",
        "DELETE FROM document_accesses",
        "TRUNCATE document_accesses",
    ],
)
def test_nobody_changes_or_removes_an_issued_document(app, sql_conn, app_role_conn, chart, statement):
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={})
    with app.app_context():
        open_document(db.session, issuer(app, "doctor"), document.id, action="download")
        db.session.commit()
    # The application's role has no such privilege at all ...
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        app_role_conn.execute(statement)
    # ... and the owner (a DBA in psql) is stopped by the trigger.
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        sql_conn.execute(statement)
    stored = sql_conn.execute("SELECT title, content FROM documents WHERE id = %s", [document.id]).fetchone()
    assert stored == (document.title, document.content)


def test_the_database_refuses_bytes_that_do_not_match_their_hash(sql_conn, chart):
    content = b"%PDF-1.7 fake"
    with pytest.raises(psycopg.errors.CheckViolation, match="documents_content_check"):
        sql_conn.execute(
            "INSERT INTO documents (patient_id, kind, title, issued_by, engine, page_count, size_bytes, sha256,"
            " content) VALUES (%s, 'patient_record', 't', 'dba', 'weasyprint', 1, %s, %s, %s)",
            [chart["dubois"], len(content), hashlib.sha256(b"something else").digest(), content],
        )


def test_the_pdf_bytes_stay_out_of_the_audit_but_their_hash_is_in_it(app, sql_conn, chart):
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={})
    new_row = sql_conn.execute(
        "SELECT new_row FROM audit_log WHERE table_name = 'public.documents' AND row_pk = %s", [str(document.id)]
    ).fetchone()[0]
    assert new_row["content"] == "[masked]"
    assert new_row["sha256"] == "\\x" + document.sha256.hex()


def test_an_edited_template_is_a_new_version_and_documents_keep_theirs(app, sql_conn, chart):
    template_id = sql_conn.execute(
        "SELECT id FROM certificate_templates WHERE title = 'Certificat de présence'"
    ).fetchone()[0]
    fields = {"template_id": template_id, "values": {"visit_date": "2026-12-01"}}
    before = issue(app, "doctor", patient_id=chart["dubois"], kind="certificate", fields=fields)
    sql_conn.execute("UPDATE certificate_templates SET is_active = false WHERE id = %s", [template_id])
    sql_conn.execute("UPDATE certificate_templates SET is_active = true WHERE id = %s", [template_id])
    sql_conn.execute("UPDATE certificate_templates SET body = body || ' Fin.' WHERE id = %s", [template_id])
    sql_conn.execute("UPDATE certificate_templates SET version = 1 WHERE id = %s", [template_id])  # not by hand
    after = issue(app, "doctor", patient_id=chart["dubois"], kind="certificate", fields=fields)
    assert (before.template_version, after.template_version) == (1, 2)


@pytest.mark.parametrize(
    ("username", "kind", "allowed"),
    [
        ("secretary", "patient_record", True),
        ("secretary", "prescription", False),
        ("secretary", "certificate", False),
        ("secretary", "audit_history", False),
        ("secretary", "hospitalisation_report", False),  # no clinical document (issue 18)
        ("nurse", "certificate", False),
        ("nurse", "prescription", True),
        ("doctor", "audit_history", False),
        ("auditor", "audit_history", True),
        ("auditor", "patient_record", False),
        ("radiologist", "hospitalisation_report", False),
    ],
)
def test_who_may_issue_what(app, sql_conn, chart, username, kind, allowed):
    fields = {
        "patient_record": {},
        "audit_history": {},
        "prescription": {"prescription_id": chart["prescription"]},
        "hospitalisation_report": {"report_id": chart["report"]},
        "certificate": {"template_id": 3, "values": {"visit_date": "2026-12-01"}},
    }[kind]
    if allowed:
        assert issue(app, username, patient_id=chart["dubois"], kind=kind, fields=fields).kind == kind
    else:
        with pytest.raises(DocumentForbidden):
            issue(app, username, patient_id=chart["dubois"], kind=kind, fields=fields)
        assert count_documents(sql_conn) == 0


def test_only_a_doctor_signs_a_certificate_even_an_admin_may_not(app, sql_conn, chart):
    with pytest.raises(DocumentForbidden, match="Only a doctor"):
        issue(
            app, "admin", patient_id=chart["dubois"], kind="certificate",
            fields={"template_id": 3, "values": {"visit_date": "2026-12-01"}},
        )  # fmt: skip


def test_reading_a_document_is_checked_per_kind(app, chart):
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="prescription",
                     fields={"prescription_id": chart["prescription"]})  # fmt: skip
    with app.app_context():
        with pytest.raises(DocumentForbidden):
            open_document(db.session, issuer(app, "secretary"), document.id, action="download")
        db.session.rollback()
        assert db.session.query(DocumentAccess).count() == 0
        assert open_document(db.session, issuer(app, "auditor"), document.id, action="download")


@pytest.mark.parametrize(
    ("kind", "fields", "field", "says"),
    [
        ("letter", {}, "kind", "Unknown kind of document"),
        ("patient_record", {"colour": "red"}, "colour", "Not a field"),
        ("prescription", {}, "prescription_id", "required"),
        ("prescription", {"prescription_id": "abc"}, "prescription_id", "Expected a number"),
        ("prescription", {"prescription_id": 999999}, "prescription_id", "No such prescription"),
        ("hospitalisation_report", {"report_id": -1}, "report_id", "positive"),
        ("certificate", {"values": {}}, "template_id", "required"),
        ("certificate", {"template_id": 999, "values": {}}, "template_id", "No such certificate template"),
        ("certificate", {"template_id": 2, "values": {"start_date": "2026-12-01"}}, "values.end_date", "required"),
        ("certificate", {"template_id": 2, "values": "x"}, "values", "Expected an object"),
        # Issue 15 point 16: typed values checked before anything is archived.
        (
            "certificate",
            {"template_id": 2, "values": {"start_date": "2026-12-10", "end_date": "2026-12-05"}},
            "values.end_date",
            r"Au \(inclus\): cannot be before Du \(10/12/2026\)",
        ),
        (
            "certificate",
            {"template_id": 2, "values": {"start_date": "2026-12-10", "end_date": "05/12/2026"}},
            "values.end_date",
            "expected a date",
        ),
        (
            "certificate",
            {"template_id": 1, "values": {"sport": "judo", "competition": "peut-être"}},
            "values.competition",
            "answer yes or no",
        ),
        ("certificate", {"template_id": 1, "values": {"sport": "", "competition": True}}, "values.sport", "required"),
        ("certificate", {"template_id": 1, "values": {"sport": True}}, "values.sport", "expected a text"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(app, sql_conn, chart, kind, fields, field, says):  # fmt: skip
    with pytest.raises(DocumentInputError, match=says) as refused:
        issue(app, "doctor", patient_id=chart["dubois"], kind=kind, fields=fields)
    assert refused.value.field == field
    assert count_documents(sql_conn) == 0


def test_a_draft_or_someone_elses_prescription_is_not_printed(app, sql_conn, chart):
    from tests.prescribing import draft

    unsigned = draft(sql_conn, chart["dubois"], chart["martin"], [chart["med"]["AMOX"]])
    with pytest.raises(DocumentInputError, match="Only a signed prescription"):
        issue(app, "doctor", patient_id=chart["dubois"], kind="prescription", fields={"prescription_id": unsigned})
    with pytest.raises(DocumentInputError, match="No such prescription for this patient"):
        issue(app, "doctor", patient_id=chart["durand"], kind="prescription",
              fields={"prescription_id": chart["prescription"]})  # fmt: skip
    with pytest.raises(NotFound):
        issue(app, "doctor", patient_id=987654, kind="patient_record", fields={})
    assert count_documents(sql_conn) == 0


def test_a_template_broken_in_psql_refuses_clearly_for_the_doctor(app, sql_conn, chart):
    sql_conn.execute("UPDATE certificate_templates SET body = 'Bonjour\n{{ values.nope }}' WHERE id = 3")
    with pytest.raises(DocumentInputError, match=r"line 2: no field named 'nope'.*ask an administrator") as refused:
        issue(app, "doctor", patient_id=chart["dubois"], kind="certificate",
              fields={"template_id": 3, "values": {"visit_date": "2026-12-01"}})  # fmt: skip
    assert refused.value.field == "template_id"
    assert count_documents(sql_conn) == 0


def test_documents_of_a_patient_keep_the_patient(app, sql_conn, chart):
    issue(app, "doctor", patient_id=chart["durand"], kind="patient_record", fields={})
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="documents_patient_id_fkey"):
        sql_conn.execute("DELETE FROM patients WHERE id = %s", [chart["durand"]])
    with app.app_context():
        assert db.session.query(Document).filter_by(patient_id=chart["durand"]).count() == 1


def test_the_shipped_certificates_take_typed_values(sql_conn):
    """Migration 0061: the sport certificate's "competition" is a yes/no (it
    was free text matched against "oui"), a sick leave ends on or after its start."""
    fields = dict(sql_conn.execute("SELECT id, fields FROM certificate_templates WHERE id IN (1, 2)").fetchall())
    assert {f["name"]: f["type"] for f in fields[1]}["competition"] == "yesno"
    assert {f["name"]: f.get("not_before") for f in fields[2]}["end_date"] == "start_date"


@pytest.mark.parametrize(
    ("answer", "printed"), [(True, True), ("Oui", True), ("yes", True), (False, False), ("", False)]
)
def test_a_yes_no_answer_is_typed_whatever_its_spelling(app, sql_conn, chart, answer, printed):
    from tests.documents import pdf_text

    document = issue(app, "doctor", patient_id=chart["dubois"], kind="certificate",
                     fields={"template_id": 1, "values": {"sport": "judo", "competition": answer}})  # fmt: skip
    assert ("judo, y compris en compétition" in pdf_text(document.content)) is printed
    assert document.fields["values"]["competition"] is printed


def test_a_template_field_may_only_follow_an_earlier_date_field(app):
    from app.documents.certificates import validate_fields_definition

    with pytest.raises(DocumentInputError, match="not_before names a date field defined before it"):
        validate_fields_definition([{"name": "end", "label": "Au", "type": "date", "not_before": "start"}])
    with pytest.raises(DocumentInputError, match="not_before"):
        validate_fields_definition([
            {"name": "start", "label": "Du", "type": "text"},
            {"name": "end", "label": "Au", "type": "date", "not_before": "start"},
        ])  # fmt: skip
