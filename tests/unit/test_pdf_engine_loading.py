"""The app starts without loading WeasyPrint (which loads Pango when
imported): a machine missing Pango still serves every screen, and only
rendering says what to install."""

import subprocess
import sys

STARTS_WITHOUT_WEASYPRINT = """
import sys
from app import create_app
from config import TestingConfig
create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
assert "weasyprint" not in sys.modules, "WeasyPrint was imported at start-up"
assert "pyhanko" not in sys.modules, "pyHanko was imported at start-up"
"""


def test_the_app_starts_without_importing_the_pdf_libraries():
    done = subprocess.run(
        [sys.executable, "-c", STARTS_WITHOUT_WEASYPRINT], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
