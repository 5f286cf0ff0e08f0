"""The vital signs chart in a real browser: Chart.js from the app's own
static files draws the kind's measurements fetched from the chart endpoint,
and the page asks nothing of another host."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from tests.clinical import make_clinical_ward, observation

POINTS = (
    "() => { const c = Chart.getChart(document.getElementById('observation-chart'));"
    " return c ? c.data.datasets.map(d => d.data) : null; }"
)


def test_the_blood_pressure_chart_draws_both_pressures_from_the_app_itself(sign_in, live_server, sql_conn):
    ward = make_clinical_ward(sql_conn)
    now = datetime.now(UTC)
    observation(sql_conn, ward["dubois"], "blood_pressure", 150, 95, at=now - timedelta(hours=3))
    observation(sql_conn, ward["dubois"], "blood_pressure", 125, 80, at=now - timedelta(hours=1))
    page = sign_in("nurse")
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlsplit(request.url).netloc != urlsplit(live_server).netloc and request.url.startswith("http")
            else None
        ),
    )
    page.goto(f"{live_server}/clinical/patients/{ward['dubois']}/observations?kind=blood_pressure")
    page.wait_for_function(POINTS)
    assert page.evaluate(POINTS) == [[150, 125], [95, 80]]
    assert elsewhere == []
