"""Two-factor sign-in: TOTP (RFC 6238, pyotp) and single-use recovery codes.

The secret is stored encrypted (Fernet, key MFA_ENCRYPTION_KEY, derived from
SECRET_KEY when unset) and masked in the audit; a code is accepted once
(the last time step used is kept, so a code seen over a shoulder cannot be
replayed).  Ten recovery codes are given at enrolment, shown once, stored as
SHA-256 hashes (they are random, 50 bits each) and struck off when used.
"""

import base64
import hashlib
import io
import secrets
import time
from contextlib import contextmanager

import pyotp
import segno
from cryptography.fernet import Fernet
from flask import current_app
from sqlalchemy import text

from app.core.actor import Actor, acting_as, role_names_of
from app.core.db_context import stamp_transaction
from app.core.extensions import db
from app.core.normalize import is_digits

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
VALID_WINDOW = 1  # the code before and after the current one are accepted (clock drift)


def required_roles() -> set[str]:
    raw = current_app.config.get("MFA_REQUIRED_ROLES") or ""
    return {name.strip() for name in raw.split(",") if name.strip()}


def is_required_for(role_names) -> bool:
    return bool(required_roles() & set(role_names))


def _fernet() -> Fernet:
    key = current_app.config.get("MFA_ENCRYPTION_KEY")
    if not key:
        digest = hashlib.sha256(b"caretrail-mfa-key:" + current_app.config["SECRET_KEY"].encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=current_app.config.get("MFA_ISSUER"))


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (no script, no external image)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def is_enrolled(user_id: int) -> bool:
    return db.session.execute(text("SELECT 1 FROM user_mfa WHERE user_id = :u"), {"u": user_id}).first() is not None


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _clean(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).upper()


def _hash_code(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def enrol(user_id: int, secret: str, code: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows; store the secret and
    ten recovery codes (returned, to be shown once).  None for a wrong code."""
    step = _matching_step(secret, _clean(code))
    if step is None:
        return None
    codes = new_recovery_codes()
    db.session.execute(text("DELETE FROM user_recovery_codes WHERE user_id = :u"), {"u": user_id})
    db.session.execute(text("DELETE FROM user_mfa WHERE user_id = :u"), {"u": user_id})
    db.session.execute(
        text("INSERT INTO user_mfa (user_id, secret_encrypted, last_used_step) VALUES (:u, :s, :step)"),
        {"u": user_id, "s": _fernet().encrypt(secret.encode()).decode(), "step": step},
    )
    db.session.execute(
        text("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (:u, :h)"),
        [{"u": user_id, "h": _hash_code(c)} for c in codes],
    )
    db.session.commit()
    return codes


@contextmanager
def _as_signing_in(user):
    """The second step writes (the last step used, a recovery code struck
    off) before the user is signed in: the audit must name them, not take
    the change for one made outside the application."""
    actor = Actor(user.username, user.id, role_names_of(user))
    with acting_as(actor):
        stamp_transaction()  # the transaction the user's loading opened
        yield


def verify(user, code: str) -> str | None:
    """'totp' or 'recovery' when the code is good (and now used), else None.
    `user` is FAB's user object of the person signing in."""
    with _as_signing_in(user):
        return _verify(user.id, code)


def _verify(user_id: int, code: str) -> str | None:
    cleaned = _clean(code)
    if not cleaned:
        return None
    if is_digits(cleaned) and len(cleaned) == 6:
        row = db.session.execute(
            text("SELECT secret_encrypted FROM user_mfa WHERE user_id = :u"), {"u": user_id}
        ).one_or_none()
        if row is None:
            return None
        step = _matching_step(_fernet().decrypt(row.secret_encrypted.encode()).decode(), cleaned)
        if step is None:
            return None
        # Atomic: two requests with the same code, only one wins.
        used = db.session.execute(
            text(
                "UPDATE user_mfa SET last_used_step = :step"
                " WHERE user_id = :u AND (last_used_step IS NULL OR last_used_step < :step)"
            ),
            {"u": user_id, "step": step},
        ).rowcount
        db.session.commit()
        return "totp" if used else None
    used = db.session.execute(
        text(
            "UPDATE user_recovery_codes SET used_at = now() WHERE user_id = :u AND code_hash = :h AND used_at IS NULL"
        ),
        {"u": user_id, "h": _hash_code(cleaned)},
    ).rowcount
    db.session.commit()
    return "recovery" if used else None


def reset(user_id: int) -> None:
    """Remove the second factor (an administrator's, for a lost phone): the
    user enrols again at the next sign-in when their role requires it."""
    db.session.execute(text("DELETE FROM user_recovery_codes WHERE user_id = :u"), {"u": user_id})
    db.session.execute(text("DELETE FROM user_mfa WHERE user_id = :u"), {"u": user_id})
    db.session.commit()


def remaining_recovery_codes(user_id: int) -> int:
    return db.session.execute(
        text("SELECT count(*) FROM user_recovery_codes WHERE user_id = :u AND used_at IS NULL"), {"u": user_id}
    ).scalar_one()


def current_code(secret: str) -> str:
    """The code an authenticator shows now (tests, and nothing else)."""
    return pyotp.TOTP(secret).now()
