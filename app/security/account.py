"""Per-account flags and the gates a signed-in user must pass before any
page: enrolling in two-factor sign-in (a role in MFA_REQUIRED_ROLES) and
choosing a new password after an administrator's forced reset."""

from sqlalchemy import text

from app.core.extensions import db

GATE_KEY = "_ct_gate"
GATE_MFA = "mfa"
GATE_PASSWORD = "password"  # noqa: S105 (a gate's name)


def must_change_password(user_id: int) -> bool:
    return bool(
        db.session.execute(
            text("SELECT must_change_password FROM user_security WHERE user_id = :u"), {"u": user_id}
        ).scalar()
    )


def force_password_change(user_id: int) -> None:
    db.session.execute(
        text(
            "INSERT INTO user_security (user_id, must_change_password) VALUES (:u, true)"
            " ON CONFLICT (user_id) DO UPDATE SET must_change_password = true"
        ),
        {"u": user_id},
    )
    db.session.commit()


def password_changed(user_id: int) -> None:
    db.session.execute(
        text("UPDATE user_security SET must_change_password = false WHERE user_id = :u AND must_change_password"),
        {"u": user_id},
    )
    db.session.commit()
