"""Where one request's time goes, end to end, in process: a summary of a profile.

Serves requests for PATH through the WSGI app (no network, no Gunicorn) under
cProfile, and sums each function's own time into the part of the stack it
belongs to (the edge, validation, building statements, the driver, rows,
services, JSON, templates), printed as a table with the milliseconds per
request and a share bar. Without the profiler, it first times the same
requests, since profiling inflates Python's share.

    DATABASE_URL=sqlite:///bench.sqlite3 .venv/bin/python bench/request_profile.py /api/articles
    .venv/bin/python bench/request_profile.py --token TOKEN /api/articles/feed

The database must be migrated and seeded (`inkwell db upgrade`, `inkwell seed`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import tempfile
import time
from collections import defaultdict

from inkwell import create_app

# Which part of the stack a function's own time belongs to, by where it is
# defined: the first pattern found in its file name wins.
PARTS = [
    ("database driver", ("sqlite3", "psycopg", "pymysql")),
    ("rate-limit checks", ("flask_limiter/", "/limits/")),
    ("statements: build and compile", ("sqlalchemy/sql/",)),
    (
        "statements: execute and rows",
        ("sqlalchemy/engine/", "sqlalchemy/pool/", "sqlalchemy/event/"),
    ),
    ("ORM session", ("sqlalchemy/orm/", "sqlalchemy/util/", "flask_sqlalchemy/")),
    ("request validation", ("flask_openapi3/", "pydantic")),
    ("templates", ("jinja2/", "markupsafe/", "templates/")),
    ("response shapes and JSON", ("json/", "inkwell/api/schemas", "datetime")),
    ("Inkwell: services and queries", ("inkwell/services/", "inkwell/queries/")),
    ("Inkwell: edge, API and site", ("inkwell/",)),
    (
        "Flask and Werkzeug",
        ("flask/", "werkzeug/", "flask_login/", "flask_cors/", "flask_wtf/", "urllib/"),
    ),
    ("metrics and logging", ("prometheus_client/", "logging/")),
]


def part_of(filename: str) -> str:
    for part, patterns in PARTS:
        if any(pattern in filename for pattern in patterns):
            return part
    return "other (Python's builtins and standard library)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--token", help="sign the requests in with this API token")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="inkwell-profile-")
    app = create_app(
        {
            "INKWELL_ENV": "production",
            "INKWELL_SECRET_KEY": secrets.token_urlsafe(48),
            "INKWELL_PUBLIC_URL": "http://127.0.0.1",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///bench.sqlite3"),
            "INKWELL_INSTANCE_PATH": folder,
            "INKWELL_RATELIMIT_ENABLED": "false",
            "INKWELL_LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": folder,
        }
    )
    client = app.test_client()
    headers = {"Authorization": f"Token {args.token}"} if args.token else {}

    def serve(count: int) -> None:
        for _ in range(count):
            answer = client.get(args.path, headers=headers)
            if answer.status_code != 200:
                raise SystemExit(f"{args.path} answered {answer.status_code}")

    serve(100)  # warm every cache a steady server has warm
    started = time.perf_counter()
    serve(args.requests)
    plain_ms = (time.perf_counter() - started) / args.requests * 1000
    profile = cProfile.Profile()
    profile.runcall(serve, args.requests)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    own: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_calls, _primitive, tottime, _cumtime, _callers) in stats.items():
        own[part_of(filename if filename != "~" else name)] += tottime
    total = sum(own.values())
    print(f"{args.path}: {plain_ms:.3f} ms a request unprofiled, {args.requests} requests")
    print()
    print("| part of the stack (own time) | share | ms a request, scaled to unprofiled |")
    print("|---|---|---|")
    for part, seconds in sorted(own.items(), key=lambda item: -item[1]):
        share = seconds / total
        bar = "█" * round(share * 40)
        print(f"| {part} | {share:5.1%} {bar} | {share * plain_ms:.3f} |")


if __name__ == "__main__":
    main()
