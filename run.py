"""Build the app and serve it on HOST:PORT (development server).

`flask --app run.py ...` and gunicorn (`gunicorn -w 4 run:app`) import `app`
from here; importing never touches the database.
"""

import os
import sys

from app import create_app

app = create_app()


def main() -> None:
    from app.bootstrap import prepare_to_serve, unreachable_database

    try:
        with app.app_context():
            prepare_to_serve(app)
    except Exception as exc:
        if (message := unreachable_database(exc, app.config["SQLALCHEMY_DATABASE_URI"])) is None:
            raise
        print(f"[caretrail] {message}", file=sys.stderr, flush=True)
        sys.exit(1)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"CareTrail is serving on http://{host}:{port}/", flush=True)
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
