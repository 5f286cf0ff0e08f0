"""A real browser against the real app: headless Chromium (Debian's package,
driven by Playwright) on a live server bound to this test's database.

The network here is closed: Chromium runs with a fresh profile and every
background service off, and talks only to the app on 127.0.0.1.  Playwright
is never asked to download a browser (`playwright install`); it drives the
system's /usr/bin/chromium.  Without it, these tests are skipped.
"""

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.conftest import TEST_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# --headless is Playwright's own (headless=True); listed for a reader all the same.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture
def live_server(app):
    """The app served on a free port of 127.0.0.1 by a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def playwright():
    """Playwright's driver (started once); skips when the system has no Chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}: install Debian's chromium (apt-get install chromium) for the browser tests")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def page(playwright, tmp_path):
    """A tab of a headless Chromium started for this test, on a fresh profile."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_FLAGS,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


@pytest.fixture
def sign_in(page, live_server):
    """sign_in(username) signs the browser in through the real login form; returns the page."""

    def _sign_in(username: str, password: str = TEST_PASSWORD):
        page.goto(f"{live_server}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("input[type=submit]")
        assert "/login/" not in page.url, "the login form refused the test user"
        return page

    return _sign_in


@pytest.fixture
def other_browser(playwright, tmp_path, live_server):
    """other_browser(username): a second, separate Chromium signed in as that
    user (its own profile and cookies: another person at another desk); returns its page."""
    contexts = []

    def _open(username: str, password: str = TEST_PASSWORD):
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / f"chromium-profile-{len(contexts)}-{username}"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        other = context.pages[0] if context.pages else context.new_page()
        other.goto(f"{live_server}/login/")
        other.fill("input[name=username]", username)
        other.fill("input[name=password]", password)
        with other.expect_navigation():
            other.click("input[type=submit]")
        assert "/login/" not in other.url, "the login form refused the test user"
        return other

    yield _open
    for context in contexts:
        context.close()
