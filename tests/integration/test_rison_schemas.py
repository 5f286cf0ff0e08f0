"""FAB's list queries are checked against validators built once per schema
(app/core/rison_schemas.py), with the same answers as before."""

import jsonschema

ADMIN_LIST = "/api/v1/patients/"


def test_a_list_query_is_checked_without_checking_the_schema_again(client, api, monkeypatch):
    headers = api("admin")
    assert client.get(ADMIN_LIST, query_string={"q": "(page:0,page_size:5)"}, headers=headers).status_code == 200
    chosen = []
    choose = jsonschema.validators.validator_for

    def counted(schema, *args, **kwargs):
        chosen.append(1)
        return choose(schema, *args, **kwargs)

    monkeypatch.setattr(jsonschema.validators, "validator_for", counted)
    for _ in range(3):
        response = client.get(ADMIN_LIST, query_string={"q": "(page:0,page_size:5)"}, headers=headers)
        assert response.status_code == 200
    # Checking the schema against the meta-schema chooses a validator ~470
    # times; validating a query with a validator already built, 9.
    assert len(chosen) < 3 * 20


def test_a_query_against_the_schema_is_refused_as_before(client, api):
    response = client.get(ADMIN_LIST, query_string={"q": "(page_size:'five')"}, headers=api("admin"))
    assert response.status_code == 400
    assert response.get_json()["message"] == {"q": ["Not a valid rison schema 'five' is not of type 'integer'"]}
