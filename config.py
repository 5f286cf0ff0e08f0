"""CareTrail settings, read from the environment (a `.env` file is honoured).

`Config` is what `make run` and production use; `TestingConfig` is what the
test-suite builds its apps with.  Every setting is documented in README.md.
"""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv
from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CARETRAIL_INSTANCE_PATH", BASE_DIR / "instance"))

load_dotenv(BASE_DIR / ".env")


def env_flag(name: str, default: bool) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/.

    The generated key survives restarts (sessions stay valid) and never enters
    the repository (instance/ is git-ignored).
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting at once must not overwrite each other's key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    APP_NAME = "CareTrail"
    SECRET_KEY = load_secret_key()
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Paris")

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    # Migrations run as the schema's owner; the app itself can run as a
    # member of caretrail_app, which may not alter the schema or the audit.
    MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL") or None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        # Errors and logs show the SQL but never the values: they are patients' data.
        "hide_parameters": True,
        # Every connection speaks the hospital's time zone and names itself,
        # so a DBA looking at pg_stat_activity knows who is connected.  No
        # JIT: the planner's cost estimate alone decides it, and compiling a
        # page's statement took 20 to 85 ms where running it takes 2 (the
        # patient list of a freshly loaded database, 88.7 -> 13.1 ms).
        "connect_args": {
            "options": f"-c timezone={TIMEZONE} -c jit=off",
            "application_name": "caretrail-web",
        },
    }

    # E-mail (Flask-Mail over SMTP): alerts.  Sent by the worker's jobs only;
    # while the server is down, mails wait in the queue (retried with backoff).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = env_flag("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_flag("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "caretrail@localhost")
    # Flask-Mail suppresses sending when TESTING: the tests send to a real local SMTP server.
    MAIL_SUPPRESS_SEND = env_flag("MAIL_SUPPRESS_SEND", False)

    # Daily and weekly audit summaries by e-mail (comma-separated addresses; none: not sent).
    AUDIT_REPORT_RECIPIENTS = os.environ.get("AUDIT_REPORT_RECIPIENTS", "")

    # Appointment reminders: hours before the appointment, comma-separated (e.g. "48,2").
    REMINDER_OFFSETS_HOURS = os.environ.get("REMINDER_OFFSETS_HOURS", "24")
    # Channels of the reminders: email, and sms through SMS_SENDER ("module:Class", app/agenda/sms.py).
    REMINDER_CHANNELS = os.environ.get("REMINDER_CHANNELS", "email")
    SMS_SENDER = os.environ.get("SMS_SENDER", "app.agenda.sms:LoggingSmsSender")

    # How often the worker looks for new audit entries for the alert rules (app/alerts/watch.py).
    ALERT_POLL_SECONDS = float(os.environ.get("ALERT_POLL_SECONDS", "1"))

    # Break-the-glass (app/security/glass.py): how long a grant opens a patient's record, in minutes (1-1440).
    BREAK_GLASS_MINUTES = int(os.environ.get("BREAK_GLASS_MINUTES", "60"))

    # Where `flask audit archive` writes the months it detaches.
    AUDIT_ARCHIVE_DIR = os.environ.get("AUDIT_ARCHIVE_DIR", str(INSTANCE_DIR / "audit-archive"))

    # PDF documents (app/documents/): the engine (weasyprint, the default, or
    # wkhtmltopdf; README "PDF engines" says why), and the optional PAdES
    # signature: a PKCS#12 file and its passphrase (never logged, never audited).
    PDF_ENGINE = os.environ.get("PDF_ENGINE", "weasyprint")
    WKHTMLTOPDF_PATH = os.environ.get("WKHTMLTOPDF_PATH") or None
    DOCUMENT_SIGNING_P12 = os.environ.get("DOCUMENT_SIGNING_P12") or None
    DOCUMENT_SIGNING_PASSPHRASE = os.environ.get("DOCUMENT_SIGNING_PASSPHRASE") or None

    # First administrator, created on first start when no user exists.
    ADMIN_USERNAME = os.environ.get("ADMIN_USERNAME", "admin")
    ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD") or None
    ADMIN_EMAIL = os.environ.get("ADMIN_EMAIL", "admin@caretrail.local")

    # Demo data: on by default only for the embedded database (the launcher
    # sets CARETRAIL_EMBEDDED_DB=1 when it starts one).
    DEMO_DATA = env_flag("DEMO_DATA", default=env_flag("CARETRAIL_EMBEDDED_DB", False))
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD") or None

    # Flask-AppBuilder
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    # The schema (FAB's security tables included) comes only from migrations,
    # and permissions only from `flask roles sync`: starting the app or
    # importing it never writes to the database.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    # FAB's REST API over users, roles and permissions stays off: the screens
    # manage them, and `roles sync` owns the permissions.  The JWT login
    # (/api/v1/security/login) is FAB's SecurityApi and stays on.
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a hash algorithm, not a password)

    # Brute-force protection on both login doors (browser form and JWT API).
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 20 second")
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True

    # A request body larger than this is refused (413) before anything reads it.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))

    # Per-account lockout (both login doors count together, app/security/lockout.py):
    # LOCKOUT_THRESHOLD failures within LOCKOUT_MINUTES lock the account until
    # the oldest of them is LOCKOUT_MINUTES old.
    LOCKOUT_THRESHOLD = int(os.environ.get("LOCKOUT_THRESHOLD", "5"))
    LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))

    # Two-factor sign-in (TOTP): required for these roles (comma-separated,
    # empty turns enforcement off); the secrets are encrypted with
    # MFA_ENCRYPTION_KEY (a Fernet key), derived from SECRET_KEY when unset.
    MFA_REQUIRED_ROLES = os.environ.get("MFA_REQUIRED_ROLES", "Admin,Doctor")
    MFA_ENCRYPTION_KEY = os.environ.get("MFA_ENCRYPTION_KEY") or None
    MFA_ISSUER = os.environ.get("MFA_ISSUER", "CareTrail")

    # A browser session unused for this long ends (server-side, app/security/sessions.py).
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    PASSWORD_MIN_LENGTH = 12

    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", False)

    # The hospital's language: every screen's default (each user may switch,
    # and their choice is remembered); documents are always in it.
    HOSPITAL_LANGUAGE = os.environ.get("HOSPITAL_LANGUAGE", "fr")
    BABEL_DEFAULT_LOCALE = HOSPITAL_LANGUAGE
    # Ours, after FAB's own (which it puts first): ours win where both translate.
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")
    # Live notifications (app/live): a keep-alive comment every so often, and
    # a stream that ends (the browser reconnects, the login is checked again).
    LIVE_HEARTBEAT_SECONDS = 15
    LIVE_STREAM_SECONDS = 300
    LANGUAGES = {"en": {"flag": "gb", "name": "English"}, "fr": {"flag": "fr", "name": "Français"}}


class TestingConfig(Config):
    TESTING = True
    # The suite's assertions read the English screens; the French ones have their own tests.
    HOSPITAL_LANGUAGE = "en"
    BABEL_DEFAULT_LOCALE = "en"
    DEMO_DATA = False
    # The suite logs in many times per second from one address.
    AUTH_RATE_LIMITED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Users of the suite sign in with a password only; the 2FA tests turn it on.
    MFA_REQUIRED_ROLES = ""
    MFA_ENCRYPTION_KEY = "nrrWlF0hkCkxK7D9f6iH0sQm2T0cMZ5b0Gx8rC0JbqQ="
