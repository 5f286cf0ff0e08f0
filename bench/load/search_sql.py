"""The name searches' SQL alone, before and after issue 22, on the 50 most
common surnames of a database filled by bench.load.generate: p50/p95 of the
first page sorted by name, and whether both forms return the same rows.

    .venv/bin/python -m bench.load.search_sql --database-url OWNER_URL

Both forms run one after the other for each name, so the machine's load
weighs on both alike; the server's own time, without Python's."""

import argparse
import time

import psycopg
from sqlalchemy.engine import make_url

NAMES = (
    "normalize_search_text(last_name || ' ' || first_name || ' ' || coalesce(birth_name, '') || ' ' || mrn"
    " || ' ' || coalesce(nir, ''))"
)
LAST_NAME = "normalize_search_text(last_name::text)"
PAGE = "SELECT id FROM patients WHERE status = 'active' AND {} ORDER BY last_name, id LIMIT 25"
SORTED = "id = ANY(ARRAY(SELECT id FROM patients WHERE {} LIKE normalize_search_text(%(pattern)s)))"
WALKED = "{} LIKE normalize_search_text(%(pattern)s)"
FORMS = {
    "quick search (names, IPP, NIR)": (PAGE.format(WALKED.format(NAMES)), PAGE.format(SORTED.format(NAMES))),
    "Last name filter": (PAGE.format(WALKED.format(LAST_NAME)), PAGE.format(SORTED.format(LAST_NAME))),
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[round(p / 100 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    conninfo = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT lower(last_name) FROM patients GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 50"
            )
        ]
        patients = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
        print(f"{patients:,} patients, the 50 most common surnames; first page (25) sorted by name")
        print("| search | before p50 / p95 (ms) | after p50 / p95 (ms) | same rows |")
        print("|---|---|---|---|")
        for label, (walked, sorted_) in FORMS.items():
            before, after, same = [], [], True
            for name in names:
                params = {"pattern": f"%{name}%"}
                rows = []
                for query, times in ((walked, before), (sorted_, after)):
                    started = time.perf_counter()
                    rows.append(conn.execute(query, params).fetchall())
                    times.append((time.perf_counter() - started) * 1000)
                same &= rows[0] == rows[1]
            print(
                f"| {label} | {percentile(before, 50):.0f} / {percentile(before, 95):.0f}"
                f" | {percentile(after, 50):.0f} / {percentile(after, 95):.0f} | {'yes' if same else 'NO'} |"
            )


if __name__ == "__main__":
    main()
