"""Valid rows for tests."""

import itertools

from app.records.nir import nir_key

_serial = itertools.count(1)


def make_nir(prefix: str = "1850578006") -> str:
    """A valid NIR, different at each call (order number varies)."""
    body = f"{prefix}{next(_serial) % 1000:03d}"
    assert len(body) == 13
    return f"{body}{nir_key(body):02d}"


def patient_payload(**overrides) -> dict:
    payload = {
        "last_name": "Dubois",
        "first_name": "Hélène",
        "birth_date": "1985-05-17",
        "sex": "F",
        "nir": make_nir("2850578006"),
        "phone": "01 23 45 67 89",
        "email": "helene.dubois@example.fr",
        "city": "Paris",
        "postal_code": "75011",
    }
    payload.update(overrides)
    return payload


def process_is_running(pid: int) -> bool:
    """True while `pid` exists and has not exited.  An exited process whose
    parent has not reaped it yet (a zombie: this sandbox's init is slow to
    reap) no longer runs anything, so it counts as gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except FileNotFoundError:
        return False
    return True
