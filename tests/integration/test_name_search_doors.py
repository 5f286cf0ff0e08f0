"""Name searches at every door (issue 22): the same matches in the same
order as the plain "every word in the names" condition, similar names when
nothing matches ("dubuis" finds Dubois), and one or two letters answered at
once with a request for one more."""

import pytest

from tests.agenda import make_patient

DOORS_WITH_ROWS = {
    "quick search": lambda client, text: client.get("/patients/list/", query_string={"_flt_0_last_name": text}),
    "last name filter": lambda client, text: client.get("/patients/list/", query_string={"_flt_1_last_name": text}),
}


@pytest.fixture
def people(sql_conn):
    """Dubois Marie, Dubois Jean, Dupuis Marie, Martin Hélène, Moreau Paul (and Lefèvre Anne, born Dubois)."""
    ids = {
        "dubois marie": make_patient(sql_conn, "Dubois", "Marie"),
        "dubois jean": make_patient(sql_conn, "Dubois", "Jean", sex="M"),
        "dupuis marie": make_patient(sql_conn, "Dupuis", "Marie"),
        "martin helene": make_patient(sql_conn, "Martin", "Hélène"),
        "moreau paul": make_patient(sql_conn, "Moreau", "Paul", sex="M"),
        "lefevre anne": make_patient(sql_conn, "Lefèvre", "Anne"),
    }
    sql_conn.execute("UPDATE patients SET birth_name = 'Dubois' WHERE id = %s", [ids["lefevre anne"]])
    return ids


def plain_matches(sql_conn, text: str) -> list[int]:
    """What the search found before issue 22: every word in the indexed names, sorted by name."""
    conditions = " AND ".join(
        "normalize_search_text(last_name || ' ' || first_name || ' ' || coalesce(birth_name, '') || ' ' || mrn"
        " || ' ' || coalesce(nir, '')) LIKE normalize_search_text(%s)"
        for _ in text.split()
    )
    rows = sql_conn.execute(
        f"SELECT id FROM patients WHERE {conditions} AND status <> 'deceased' ORDER BY last_name, first_name, id",
        [f"%{word}%" for word in text.split()],
    ).fetchall()
    return [row[0] for row in rows]


def picker(client, text: str):
    return client.get("/patient-lookup/", query_string={"q": text})


def api_search(client, headers, text: str):
    query = f"(filters:!((col:last_name,opr:name,value:'{text}')),order_column:last_name,order_direction:asc)"
    return client.get("/api/v1/patients/", query_string={"q": query}, headers=headers)


@pytest.mark.parametrize("text", ["dubois", "DUBOIS marie", "mar", "dubois m", "lefèvre", "helene martin", "zzzz"])
def test_the_picker_finds_the_same_patients_in_the_same_order(client, login, sql_conn, people, text):
    login("secretary")
    expected = plain_matches(sql_conn, text)
    found = [p["id"] for p in picker(client, text).get_json()]
    if expected:
        assert found == expected[:10]
    else:  # nothing matches: similar names, if any ("zzzz" has none)
        assert found == []


def test_every_door_offers_similar_names_when_nothing_matches(client, login, api, sql_conn, people):
    headers = api("secretary")
    login("secretary")
    found = {p["id"] for p in picker(client, "dubuis").get_json()}
    assert {people["dubois marie"], people["dubois jean"], people["dupuis marie"]} <= found
    assert people["moreau paul"] not in found
    for door, ask in DOORS_WITH_ROWS.items():
        html = ask(client, "dubuis").get_data(as_text=True)
        assert "DUBOIS" in html.upper() and "similar names are shown" in html, door
        assert "MOREAU" not in html.upper(), door
    answer = api_search(client, headers, "dubuis")
    assert answer.status_code == 200
    assert {people["dubois marie"], people["dupuis marie"]} <= set(answer.get_json()["ids"])
    # Two words: the typo and the first name narrow it down.
    found = [p["id"] for p in picker(client, "dubuis marie").get_json()]
    assert set(found) == {people["dubois marie"], people["dupuis marie"]}


def test_an_exact_match_shows_no_similar_names(client, login, people):
    login("secretary")
    found = [p["id"] for p in picker(client, "dupuis").get_json()]
    assert found == [people["dupuis marie"]]  # not the Dubois, though similar
    html = DOORS_WITH_ROWS["quick search"](client, "dupuis").get_data(as_text=True)
    assert "similar names are shown" not in html


def test_one_or_two_letters_ask_for_one_more(client, login, api, people):
    headers = api("secretary")
    login("secretary")
    answer = picker(client, "du")
    assert answer.status_code == 400
    assert "at least 3 letters" in answer.get_json()["message"]
    for door, ask in DOORS_WITH_ROWS.items():
        page = ask(client, "du")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "at least 3 letters" in html, door
        assert "DUBOIS" not in html.upper(), door
    answer = api_search(client, headers, "du")
    assert answer.status_code == 400
    assert "at least 3 letters" in str(answer.get_json()["message"])
    # A short word beside a longer one narrows the search as before.
    assert [p["id"] for p in picker(client, "dubois j").get_json()] == [people["dubois jean"]]


def test_the_search_text_is_kept_by_the_database_from_the_names(sql_conn, people):
    """patients.search_text (migration 0120) follows every change of the names,
    folded as normalize_search_text() folds them; a value written directly is
    replaced, and an UPDATE that changes nothing still changes nothing (no
    version bump, no audit entry)."""
    pid = people["lefevre anne"]
    sql_conn.execute("UPDATE patients SET first_name = 'Anne-Hélène', nir = NULL WHERE id = %s", [pid])
    text, mrn = sql_conn.execute("SELECT search_text, mrn FROM patients WHERE id = %s", [pid]).fetchone()
    assert text == f"lefevre anne-helene dubois {mrn.lower()} "
    sql_conn.execute("UPDATE patients SET search_text = 'x' WHERE id = %s", [pid])
    assert sql_conn.execute("SELECT search_text FROM patients WHERE id = %s", [pid]).fetchone()[0] == text
    before = sql_conn.execute("SELECT version, (SELECT count(*) FROM audit_log) FROM patients WHERE id = %s", [pid])
    before = before.fetchone()
    sql_conn.execute("UPDATE patients SET last_name = last_name WHERE id = %s", [pid])
    after = sql_conn.execute("SELECT version, (SELECT count(*) FROM audit_log) FROM patients WHERE id = %s", [pid])
    assert after.fetchone() == before


def test_a_name_search_reads_the_stored_text_through_its_trigram_index(sql_conn, people):
    """The quick search's condition is on the column, so the index's candidates are
    rechecked without recomputing the folding (EXPLAIN, sequential scans off as on a big table)."""
    sql_conn.execute("SET enable_seqscan = off")
    plan = "\n".join(
        row[0]
        for row in sql_conn.execute(
            "EXPLAIN SELECT id FROM patients WHERE search_text LIKE normalize_search_text(%s)", ["%dubois%"]
        ).fetchall()
    )
    assert "patients_search_text_idx" in plan and "normalize_search_text(" not in plan.split("Recheck Cond")[-1]
