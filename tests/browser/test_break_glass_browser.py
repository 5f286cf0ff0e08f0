"""Break-the-glass in a real browser: a secretary opens a record with a
reason (the browser will not send the form without one), sees its medical
part, and an auditor closes the review from the queue."""

from tests.integration.test_break_glass import make_patient


def test_a_secretary_breaks_the_glass_and_an_auditor_reviews_it(sign_in, page, live_server, sql_conn):
    patient = make_patient(sql_conn)
    sign_in("secretary")
    page.goto(f"{live_server}/patients/show/{patient}")
    assert "Iodine contrast" not in page.content()
    page.click(".break-glass-form button[type=submit]")  # no reason: the browser keeps the form
    assert page.url.endswith(f"/patients/show/{patient}")
    assert sql_conn.execute("SELECT count(*) FROM break_glass_grants").fetchone()[0] == 0
    page.fill("#break-glass-reason", "Collapsed in the waiting room, family asks about allergies")
    with page.expect_navigation():
        page.click(".break-glass-form button[type=submit]")
    assert page.locator(".break-glass-active").is_visible()
    assert "Iodine contrast" in page.content()

    page.context.clear_cookies()
    sign_in("auditor")
    page.goto(f"{live_server}/break-glass-reviews/")
    row = page.locator(".break-glass-grant")
    assert "Collapsed in the waiting room" in row.inner_text() and "secretary" in row.inner_text()
    row.locator("select[name=verdict]").select_option("justified")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator(".break-glass-grant").count() == 0
    assert sql_conn.execute("SELECT verdict FROM break_glass_grants").fetchone() == ("justified",)
