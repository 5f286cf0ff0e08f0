"""The password rules, the same at every door (own change, an admin's
reset, a new user): at least PASSWORD_MIN_LENGTH characters, not the
username nor containing it, not a common password (common_passwords.txt,
compared without case, spaces and trailing digits or symbols)."""

import functools
import re
from pathlib import Path

from flask import current_app

from app.core.errors import ConstraintViolation

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_core(line) for line in lines if line.strip() and not line.startswith("#"))


def _core(password: str) -> str:
    """'Password123!' and 'password' alike: lower case, no spaces, no trailing digits or symbols."""
    lowered = re.sub(r"\s+", "", password.lower())
    return re.sub(r"[\d\W_]+$", "", lowered) or lowered


def password_problem(username: str | None, password: str) -> str | None:
    """Why this password is refused, or None."""
    minimum = current_app.config.get("PASSWORD_MIN_LENGTH", 12)
    if len(password or "") < minimum:
        return f"A password has at least {minimum} characters."
    name = (username or "").strip().lower()
    if name and name in password.lower():
        return "A password may not contain the username."
    if password.lower() in common_passwords() or _core(password) in common_passwords():
        return "This password is too common: choose another one."
    return None


def check_password_rules(username: str | None, password: str, field: str = "password") -> None:
    """Refuse (422 on `field`) a password the rules do not allow."""
    problem = password_problem(username, password)
    if problem:
        raise ConstraintViolation(field, problem)
