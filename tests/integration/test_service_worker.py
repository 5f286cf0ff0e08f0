"""The service worker keeps static files cache-first, so each release that
changes one must reach browsers: pages register /sw.js?v=<the static files'
version>, a new version installs a new worker, and its cache replaces the old."""

import re
import shutil
from types import SimpleNamespace

from app.interface.views import static_version


def test_pages_register_the_worker_under_the_static_files_version(app, client, login):
    login("secretary")
    page = client.get("/patients/list/").get_data(as_text=True)
    url = re.search(r'data-sw-url="([^"]+)"', page).group(1)
    assert url == f"/sw.js?v={static_version(app)}"
    worker = client.get(url)
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert 'searchParams.get("v")' in worker.get_data(as_text=True), "the cache is named after v"


def test_the_version_follows_every_static_file(app, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    copy = SimpleNamespace(static_folder=str(static))
    assert static_version(copy) == static_version(app), "the same files: the same version"

    script = static / "js" / "a11y.js"
    script.write_text(script.read_text() + "\n// changed\n")
    changed = static_version(copy)
    assert changed != static_version(app)

    (static / "js" / "a11y.js").rename(static / "js" / "renamed.js")
    assert static_version(copy) not in (changed, static_version(app)), "a renamed file is a change too"
