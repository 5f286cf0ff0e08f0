"""HTML to PDF, with WeasyPrint or wkhtmltopdf (PDF_ENGINE), behind one function.

Neither engine may reach the network or the file system: documents embed
what they show (the logo as a data: URL, the style sheet inline), and
everything else is refused.
- WeasyPrint: a URL fetcher that serves data: URLs and refuses the rest.
- wkhtmltopdf (through pdfkit): JavaScript off, local file access off with
  an empty allow-list, every network request sent to a proxy that does not
  exist, load errors ignored (a refused image leaves a blank, not a failure).

README.md ("PDF engines") records why WeasyPrint is the default: paged-media
CSS (page X / Y, the letterhead on every page, repeated table headers) and
a maintained code base; Debian's wkhtmltopdf is built on an unpatched Qt,
which ignores header and footer options.
"""

import functools
import io
import logging
import shutil
import subprocess
from dataclasses import dataclass

import pdfkit
from pypdf import PdfReader

from app.core.errors import Unavailable

log = logging.getLogger(__name__)

ENGINES = ("weasyprint", "wkhtmltopdf")
# A port nothing listens on: wkhtmltopdf's requests fail at once.
UNREACHABLE_PROXY = "http://127.0.0.1:9"
WKHTMLTOPDF_TIMEOUT_SECONDS = 60


class RenderingFailed(Unavailable):
    """The engine could not produce a PDF (missing binary, crash, timeout): 503, nothing archived."""

    def __init__(self, message: str):
        super().__init__(f"The PDF could not be produced ({message}); nothing was archived.")
        self.reason = message


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    engine: str
    page_count: int


@functools.cache
def _weasyprint():
    """WeasyPrint's HTML class and our URL fetcher, loaded on first use: WeasyPrint
    loads Pango when imported, and the app must start (and say what is
    missing) on a machine without it."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetchingError
    except OSError as missing:
        raise RenderingFailed(
            f"WeasyPrint cannot load its libraries ({missing}): apt-get install libpango-1.0-0 libpangoft2-1.0-0"
        ) from missing

    class InlineOnlyFetcher(URLFetcher):
        """Serves data: URLs; refuses file:, http: and everything else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            log.warning("PDF rendering: refused to fetch %.80s", url)
            raise URLFetchingError("documents embed their resources; external URLs are refused")

    return HTML, InlineOnlyFetcher


def render_pdf(html: str, engine: str = "weasyprint", *, wkhtmltopdf_path: str | None = None) -> RenderedPdf:
    """The PDF of a self-contained HTML page, rendered by `engine`."""
    if engine == "weasyprint":
        html_document, fetcher = _weasyprint()
        content = html_document(string=html, base_url=None, url_fetcher=fetcher()).write_pdf()
    elif engine == "wkhtmltopdf":
        content = _wkhtmltopdf(html, wkhtmltopdf_path)
    else:
        raise ValueError(f"unknown PDF engine {engine!r} (expected one of {', '.join(ENGINES)})")
    return RenderedPdf(content=content, engine=engine, page_count=len(PdfReader(io.BytesIO(content)).pages))


WKHTMLTOPDF_OPTIONS = {
    "quiet": None,
    "encoding": "UTF-8",
    "page-size": "A4",
    "margin-top": "15mm",
    "margin-bottom": "15mm",
    "margin-left": "15mm",
    "margin-right": "15mm",
    "disable-javascript": None,
    "disable-local-file-access": None,
    "disable-external-links": None,
    "proxy": UNREACHABLE_PROXY,
    "load-error-handling": "ignore",
    "load-media-error-handling": "ignore",
}


def _wkhtmltopdf(html: str, binary: str | None) -> bytes:
    binary = binary or shutil.which("wkhtmltopdf")
    if not binary:
        raise RenderingFailed(
            "wkhtmltopdf is not installed (apt-get install wkhtmltopdf), or set PDF_ENGINE=weasyprint"
        )
    # pdfkit builds the command line; running it ourselves adds the timeout
    # pdfkit lacks.  '-' '-': the page on stdin, the PDF on stdout.
    try:
        command = pdfkit.PDFKit(
            html, "string", options=WKHTMLTOPDF_OPTIONS, configuration=pdfkit.configuration(wkhtmltopdf=binary)
        ).command()
        done = subprocess.run(  # noqa: S603 (the configured binary and fixed options; the page goes on stdin)
            command, input=html.encode("utf-8"), capture_output=True, timeout=WKHTMLTOPDF_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as timeout:
        raise RenderingFailed(f"wkhtmltopdf took more than {WKHTMLTOPDF_TIMEOUT_SECONDS} s") from timeout
    except OSError as cannot_run:  # WKHTMLTOPDF_PATH names no program, or one that cannot run
        reason = cannot_run.strerror or str(cannot_run).splitlines()[0]
        raise RenderingFailed(f"wkhtmltopdf could not be started ({reason})") from cannot_run
    # Exit status 1 with a PDF: a refused resource (load errors are ignored).
    if not done.stdout.startswith(b"%PDF-"):
        raise RenderingFailed(
            f"wkhtmltopdf failed (exit {done.returncode}): {done.stderr.decode(errors='replace')[-300:]}"
        )
    return done.stdout
