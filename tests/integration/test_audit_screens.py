"""Restore screens, the deleted-patients bin, the statistics page and API, the Auditor role."""

import json
import re

from tests.conftest import browser_logout, csrf_token
from tests.integration.test_audit_restore import last_entry, patient
from tests.integration.test_audit_search import as_user, new_patient, synthetic_entry


def test_restore_preview_then_confirm(client, login, sql_conn):
    pid = new_patient(sql_conn, "Avant")
    sql_conn.execute("UPDATE patients SET city = 'Erreur' WHERE id = %s", [pid])
    entry = last_entry(sql_conn, "patients", pid)
    login("admin")
    page = client.get(f"/audit/restore/{entry['id']}?mode=before")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Erreur" in html and 'name="force"' not in html
    assert patient(sql_conn, pid)[1] == "Erreur"  # the preview kept nothing
    done = client.post(
        f"/audit/restore/{entry['id']}",
        data={"mode": "before", "reason": "wrong city", "csrf_token": csrf_token(html), "next": "/audit/"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/audit/")
    assert patient(sql_conn, pid)[1] is None
    assert last_entry(sql_conn, "patients", pid)["reason"] == "wrong city"


def test_a_conflict_needs_the_overwrite_box(client, login, sql_conn):
    pid = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Un' WHERE id = %s", [pid])
    entry = last_entry(sql_conn, "patients", pid)
    sql_conn.execute("UPDATE patients SET city = 'Deux' WHERE id = %s", [pid])
    login("admin")
    html = client.get(f"/audit/restore/{entry['id']}?mode=before").get_data(as_text=True)
    assert "Changed since this entry" in html and 'name="force"' in html
    refused = client.post(f"/audit/restore/{entry['id']}", data={"mode": "before", "csrf_token": csrf_token(html)})
    assert refused.status_code == 409 and patient(sql_conn, pid)[1] == "Deux"
    forced = client.post(
        f"/audit/restore/{entry['id']}", data={"mode": "before", "force": "1", "csrf_token": csrf_token(html)}
    )
    assert forced.status_code == 302 and patient(sql_conn, pid)[1] is None


def test_restore_refuses_an_outside_next_and_non_admins(client, login, sql_conn):
    pid = new_patient(sql_conn)
    entry = last_entry(sql_conn, "patients", pid)
    login("admin")
    html = client.get(f"/audit/restore/{entry['id']}?mode=before").get_data(as_text=True)
    done = client.post(
        f"/audit/restore/{entry['id']}",
        data={"mode": "before", "csrf_token": csrf_token(html), "next": "https://evil.example/"},
    )
    assert done.status_code == 302 and "evil" not in done.headers["Location"]
    browser_logout(client)
    login("auditor")
    assert client.get(f"/audit/restore/{entry['id']}").status_code in (302, 403)


def test_deleted_patients_lists_the_deleted_not_the_restored(client, login, sql_conn):
    as_user(sql_conn, "secretary", reason="duplicate record")
    gone = new_patient(sql_conn, "Parti")
    back = new_patient(sql_conn, "Revenu")
    sql_conn.execute("DELETE FROM patients WHERE id IN (%s, %s)", [gone, back])
    sql_conn.execute("SELECT audit_restore(%s, 'before')", [last_entry(sql_conn, "patients", back, "DELETE")["id"]])
    login("admin")
    html = client.get("/audit/deleted-patients/").get_data(as_text=True)
    assert f'data-patient-id="{gone}"' in html and f'data-patient-id="{back}"' not in html
    assert "duplicate record" in html and "secretary" in html and "Restore" in html


def test_deleted_patients_pages_with_a_cursor(client, login, sql_conn):
    from app.audit import deleted_patients

    ids = [new_patient(sql_conn, f"Bin{n}") for n in range(3)]
    for pid in ids:
        sql_conn.execute("DELETE FROM patients WHERE id = %s", [pid])
    login("admin")
    with client.application.app_context():
        first = deleted_patients.deleted_patients(page_size=2)
        second = deleted_patients.deleted_patients(before=first.next_before, page_size=2)
    assert [p.last_name for p in first.patients] == ["Bin2", "Bin1"]
    assert [p.last_name for p in second.patients] == ["Bin0"] and second.next_before is None


def test_deleted_patients_pages_within_one_statement_along_the_time_index(app, client, login, sql_conn):
    """Patients deleted by one statement share occurred_at: the id breaks the tie,
    and the newest-first walk reads audit_log_time_idx backwards, the cursor as its
    index condition, never a sort of every deletion (id has only a BRIN index):
    since migration 0126 the deletions' own index, (table_name, occurred_at, id)."""
    import sqlalchemy as sa

    from app.audit import deleted_patients
    from app.core.extensions import db

    ids = [new_patient(sql_conn, f"Lot{n}") for n in range(3)]
    sql_conn.execute("DELETE FROM patients WHERE id = ANY(%s)", [ids])
    with app.app_context():
        first = deleted_patients.deleted_patients(page_size=2)
        second = deleted_patients.deleted_patients(before=first.next_before, page_size=2)
        assert [p.last_name for p in first.patients + second.patients] == ["Lot2", "Lot1", "Lot0"]
        assert second.next_before is None
        last = first.patients[-1]
        db.session.execute(sa.text("SET LOCAL enable_sort = off"))  # a sort, if needed, shows as one
        query = deleted_patients.NEXT_PAGE
        plan = "\n".join(
            db.session.execute(
                sa.text("EXPLAIN " + query.text).bindparams(*query._bindparams.values()),
                {"before_at": last.deleted_at, "before_id": last.entry_id, "limit": 3},
            ).scalars()
        )
    assert not re.search(r"\bSort  \(cost", plan), plan  # no Sort node ("Sort Key" of Merge Append is fine)
    assert re.search(r"Index Scan Backward using audit_log_\w*table_name_occurred_at_id_idx", plan), plan
    assert re.search(r"Index Cond: \(.*\(ROW\(occurred_at, id\) < ROW\(", plan), plan
    login("admin")
    assert client.get("/audit/deleted-patients/?before=garbage").status_code == 400


def test_statistics_counts_in_the_hospital_time_zone(client, api, sql_conn):
    synthetic_entry(sql_conn, "2026-04-06 23:30:00+00", username="nurse")  # Tuesday 01:30 in Paris
    synthetic_entry(sql_conn, "2026-04-06 10:00:00+00", operation="DELETE", username="doctor")
    sql_conn.execute(
        "INSERT INTO audit_log (occurred_at, statement_id, table_name, operation, row_pk, new_row, db_user) "
        "VALUES ('2026-04-08 09:00+02', 0, 'public.patients', 'INSERT', '9', '{}', 'dba_jane')"
    )
    body = client.get(
        "/api/audit/stats", headers=api("auditor"), query_string={"from": "2026-04-06", "to": "2026-04-08"}
    )
    assert body.status_code == 200, body.get_data(as_text=True)
    stats = body.get_json()
    assert [(d["day"], d["count"]) for d in stats["per_day"]] == [
        ("2026-04-06", 1),
        ("2026-04-07", 1),
        ("2026-04-08", 1),
    ]
    assert {u["user"]: u["count"] for u in stats["per_user"]} == {"nurse": 1, "doctor": 1, "db:dba_jane": 1}
    assert stats["per_action"] == {"INSERT": 2, "DELETE": 1}
    tuesday = next(row for row in stats["heat_map"] if row["weekday"] == 2)
    assert tuesday["hours"][1] == 1
    assert {t["table"]: t["actions"] for t in stats["per_table"]} == {
        "rooms": {"INSERT": 1, "DELETE": 1},
        "patients": {"INSERT": 1},
    }
    too_long = client.get("/api/audit/stats", headers=api("auditor"), query_string={"from": "2020-01-01"})
    assert too_long.status_code == 400


def test_statistics_page_uses_the_local_chart_js(client, login, sql_conn):
    synthetic_entry(sql_conn, "2026-04-06 10:00:00+00")
    login("auditor")
    page = client.get("/audit/stats/?from=2026-04-01&to=2026-04-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    data = json.loads(re.search(r'<script id="audit-stats-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert data["total"] == 1
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "cdn" not in html.lower()
    script = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")
    assert client.get("/audit/stats/?from=garbage").status_code == 400


def test_the_auditor_reads_everything_and_changes_nothing(client, login, api, sql_conn):
    pid = new_patient(sql_conn)
    entry = last_entry(sql_conn, "patients", pid)
    login("auditor")
    for url in ("/audit/", f"/audit/patient/{pid}", "/audit/deleted-patients/", "/audit/stats/", "/audit/export.csv"):
        assert client.get(url).status_code == 200, url
    assert client.get("/patients/list/").status_code in (302, 403)
    headers = api("auditor")
    assert client.post("/api/audit/search", headers=headers, json={}).status_code == 200
    assert client.post("/api/audit/restore", headers=headers, json={"entry_id": entry["id"]}).status_code == 403
    assert client.get("/api/v1/patients/", headers=headers).status_code == 403


def test_statistics_header_shows_the_period_in_the_hospital_time_zone(client, login, api, sql_conn):
    """Issue 15 point 20: the header printed UTC labelled Europe/Paris (the
    default period ends now(UTC), a from/to given in UTC stayed in UTC)."""
    login("auditor")
    html = client.get("/audit/stats/?from=2026-04-06T08:00:00Z&to=2026-04-07T21:30:00Z").get_data(as_text=True)
    assert "from 2026-04-06 10:00 to 2026-04-07 23:30 (Europe/Paris)" in html, html
    stats = client.get(
        "/api/audit/stats", headers=api("auditor"), query_string={"from": "2026-01-06T08:00:00Z"}
    ).get_json()
    assert stats["from"] == "2026-01-06T09:00:00+01:00"
