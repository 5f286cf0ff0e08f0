"""FAB's security REST API (users, roles, groups, permissions) is switched
off (README, "Architecture notes"): the screens manage users and roles, and
`roles sync` alone writes permissions.  Only the JWT login stays."""

import pytest

FAB_SECURITY_PATHS = ("users", "roles", "groups", "permissions", "resources", "permissions-resources")


@pytest.mark.parametrize("resource", FAB_SECURITY_PATHS)
def test_fab_security_api_is_not_served_even_to_an_admin(client, api, resource):
    response = client.get(f"/api/v1/security/{resource}/", headers=api("admin"))
    assert response.status_code == 404 and response.is_json


def test_the_openapi_spec_offers_only_the_jwt_login_under_security(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    under_security = sorted(path for path in spec["paths"] if path.startswith("/api/v1/security/"))
    assert under_security == ["/api/v1/security/login", "/api/v1/security/refresh"]
