"""Inkwell's benchmark: throughput, latency and scale against a ceiling from the same run.

For each database and size it seeds with `inkwell seed` (reporting rows per
second), serves Inkwell with deploy/gunicorn.conf.py, drives each scenario
with wrk on 127.0.0.1 for a fixed time, and reads the server-side time of
every request from Gunicorn's JSON access log. A bare Flask app with a
precomputed payload, under the same Gunicorn settings, gives the ceiling.

    .venv/bin/python bench/run.py            # short: 10k articles, SQLite and PostgreSQL
    .venv/bin/python bench/run.py --full     # 10k/100k SQLite, 10k/100k/1M PostgreSQL
    .venv/bin/python bench/run.py --full --only search   # the search scenarios alone
    .venv/bin/python bench/run.py --full --only dashboard   # the dashboard's pages alone
    .venv/bin/python bench/run.py --full --only scale-out   # one app server against two
    .venv/bin/python bench/run.py --full --only views   # article reads, views counted or not

Every database of a run is seeded first, so that the search terms can be
chosen from the text of all of them (`choose_search_terms`) and be the same
at every size; `--only search` drives only `GET /api/articles` (the list to
compare with) and the searches, against the same ceiling; `--only dashboard`
drives that list and the dashboard's overview, growth and database pages,
as an administrator signed in to the site.

The long form ends with the scale-out scenario, on PostgreSQL at 10k articles
(alone with `--only scale-out`): `GET /api/articles` driven through Nginx
(deploy/nginx.conf) in front of one Gunicorn, then in front of two
(deploy/inkwell_upstream.conf), each Gunicorn with the same workers as every
other scenario's, and the two servers' throughput given as a ratio to the one's;
one Gunicorn driven directly first shows what Nginx itself costs. The three
are driven in turn, three rounds of them, and medians reported.

The long form then counts views (alone with `--only views`, PostgreSQL at 10k
articles): the site's page of one article, every request from a reader never
seen before (bench/readers.lua), with view counting off, on in each process,
off with Redis configured (pages kept in Redis), and on in Redis with
`inkwell worker` writing the batches; three rounds, medians, each counting
layout a ratio to the same round's layout without counting. After each run with
counting on, the views the database holds are compared with the 200s the
servers logged: they must be equal.

The searches look for a rare and a common term of the seeded text, and each is
also asked for one request at a time, its matches counted. After the
scenarios on seeded content, pages deep in the archive are asked for
by offset one request at a time (10,000, 100,000 and, past the API's default
limit, 100,001, which must answer 422). Then twenty articles with 100 KB bodies
(mostly a table, the slowest Markdown to render) are written through the API
and the page of one and the site feed are measured the same way. With
`--before SRC` (the `src` folder of an older checkout of Inkwell), that code
is then served on the same database and driven through the same scenarios
(named "(before)"), and both long-article URLs are requested one at a time
by each code, for a before/after comparison within one run.

With `--writers`, only `POST /api/articles` is driven, on a small database of
each kind, `--repeats` times (medians reported, every run listed); with
`--before SRC` too, each repeat serves the older code and then the current
one on the same database, so the comparison shares the machine's load:

    .venv/bin/python bench/run.py --writers --before /tmp/inkwell-before/src
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inkwell.seeding.text import TAGS, english

ROOT = Path(__file__).resolve().parents[1]
# The deployment tests' Nginx, run from deploy/ as they run it.
sys.path.insert(0, str(ROOT))
from tests.deploy.nginx import NGINX, running_nginx  # noqa: E402
from tests.private_postgres import (  # noqa: E402
    BINARIES,
    COUNTING,
    PrivatePostgres,
    new_server,
    primary_with_database,
    running,
)

BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
POSTGRES = os.environ.get("INKWELL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CONNECTIONS = 20
LONG_ARTICLES = 20
# Requests made one at a time per URL in the before/after comparison: few, as
# the feed took about 25 s a request before bodies were stored rendered.
SEQUENTIAL = {"article": 10, "feed": 3}
WRITERS_ARTICLES = 1_000
WRITE_SCENARIO = "POST /api/articles"
SEARCHES_ALONE = 5  # requests one at a time per search
LIST_SCENARIO = "GET /api/articles"
SEARCH_RARE = "search (rare term)"
SEARCH_COMMON = "search (common term)"
SEARCH_COMMON_NEWEST = "search (common term, newest)"
DASHBOARD_HOME = "GET /admin/ (dashboard)"
DASHBOARD_GROWTH = "GET /admin/growth (365 days)"
DASHBOARD_DATABASE = "GET /admin/database"
ADMIN = ("benchadmin", "benchadmin@example.com", "bench admin password")
SCALE_OUT = ("postgresql", 10_000)
# (app servers, through Nginx): the first, served directly, shows what Nginx costs;
# the second is the baseline.
SCALE_OUT_LAYOUTS = ((1, False), (1, True), (2, True))
# Rounds of every layout in turn, medians reported: a machine shared with other
# work slows a stretch of the run, and a ratio from layouts measured side by side
# in one round suffers least from it.
SCALE_OUT_ROUNDS = 3


@dataclass
class Result:
    database: str
    articles: int
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    ceiling_ratio: float = 0.0
    server_p95_ms: float | None = None
    errors: int = 0
    error_statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class Run:
    started: str
    command: str
    machine: str
    databases: dict[str, str] = field(default_factory=dict)
    ceiling: dict[str, float] = field(default_factory=dict)
    seeding: list[dict[str, Any]] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    worker_rss_mb: dict[str, float] = field(default_factory=dict)
    long_articles: list[dict[str, Any]] = field(default_factory=list)
    deep_offsets: list[dict[str, Any]] = field(default_factory=list)
    search_terms: dict[str, str] = field(default_factory=dict)
    search_matches: list[dict[str, Any]] = field(default_factory=list)
    scale_out: list[dict[str, Any]] = field(default_factory=list)
    replica_reads: list[dict[str, Any]] = field(default_factory=list)
    view_counts: list[dict[str, Any]] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the long form with larger databases")
    parser.add_argument("--seconds", type=int, default=None, help="load time per scenario")
    parser.add_argument(
        "--before", type=Path, default=None, help="src folder of older code to compare with"
    )
    parser.add_argument(
        "--writers",
        action="store_true",
        help=f"only {WRITE_SCENARIO}, repeated, on small databases",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per code with --writers")
    parser.add_argument(
        "--only",
        choices=["search", "dashboard", "scale-out", "views"],
        default=None,
        help=f"only the searches, or the dashboard, with {LIST_SCENARIO} to compare them "
        "with; or only the scale-out scenario, or only view counting",
    )
    args = parser.parse_args()
    if args.only and (args.before or args.writers):
        parser.error("--only takes neither --before nor --writers")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    scale_out = args.only == "scale-out" or (args.full and not args.only and not args.writers)
    if scale_out and not Path(NGINX).exists():
        sys.exit("nginx is not installed: apt-get install -y nginx")
    if scale_out and not BINARIES:
        sys.exit("the scale-out scenario starts PostgreSQL servers: apt-get install -y postgresql")
    seconds = args.seconds or (15 if args.full else 8)
    if args.writers:
        measure_writers(seconds, args.repeats, args.before)
        return
    sizes = (
        [
            ("sqlite", 10_000),
            ("sqlite", 100_000),
            ("postgresql", 10_000),
            ("postgresql", 100_000),
            ("postgresql", 1_000_000),
        ]
        if args.full
        else [("sqlite", 10_000), ("postgresql", 10_000)]
    )
    views = args.only == "views" or (args.full and not args.only and not args.writers)
    if args.only in ("scale-out", "views"):
        sizes = [SCALE_OUT]
    command = "make bench-full" if args.full else "make bench"
    if args.before or args.only or args.seconds:
        command = " ".join([".venv/bin/python bench/run.py", *sys.argv[1:]])
    run = new_run(command)
    work = Path(tempfile.mkdtemp(prefix="inkwell-bench-"))
    try:
        envs = {
            (database, size): seeded(
                run, database, size, work / f"{database}-{size}", f"inkwell_bench_{size}"
            )
            for database, size in sizes
        }
        if args.only not in ("scale-out", "views"):
            run.search_terms = choose_search_terms([env["DATABASE_URL"] for env in envs.values()])
            print(f"  search terms: {run.search_terms}", flush=True)
            for (database, size), env in envs.items():
                measure_database(run, database, size, env, seconds, args.before, args.only)
        if scale_out:
            measure_scale_out(run, *SCALE_OUT, envs[SCALE_OUT], seconds)
            measure_replica_reads(run, *SCALE_OUT, work / "replication", seconds)
        if views:
            measure_view_counts(run, *SCALE_OUT, envs[SCALE_OUT], seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(run, "full" if args.full else "short")


def new_run(command: str) -> Run:
    """A run made by `command`, starting now on this machine."""
    return Run(
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=command,
        machine=f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
    )


def measure_database(
    run: Run,
    database: str,
    size: int,
    env: dict[str, str],
    seconds: int,
    before: Path | None,
    only: str | None,
) -> None:
    folder = Path(env["INKWELL_INSTANCE_PATH"])
    log = folder / "access.log"
    with serve(env, log, "inkwell:create_app()") as base:
        if not run.ceiling:
            measure_ceiling(run, base, folder, seconds)
        token, slug, tag = prepare(base)
        cookie = admin_cookie(base, env)
        searches = search_scenarios(run.search_terms)
        dashboard = [
            (DASHBOARD_HOME, "/admin/", {"cookie": cookie}),
            (DASHBOARD_GROWTH, "/admin/growth?days=365", {"cookie": cookie}),
            (DASHBOARD_DATABASE, "/admin/database", {"cookie": cookie}),
        ]
        if only != "dashboard":
            measure_searches_alone(run, database, size, base, log, searches)
        scenarios = [
            (LIST_SCENARIO, "/api/articles", {}),
            ("GET /api/articles (signed in)", "/api/articles", {"token": token}),
            ("GET /api/articles?tag=", f"/api/articles?tag={tag}", {}),
            ("GET /api/articles/feed", "/api/articles/feed", {"token": token}),
            ("GET /api/articles/:slug", f"/api/articles/{slug}", {}),
            # Before the writes, which would add articles to what the terms match.
            *searches,
            ("POST /api/articles", "/api/articles", {"token": token, "script": "write.lua"}),
            ("GET / (web home)", "/", {}),
            ("GET /article/:slug (web)", f"/article/{slug}", {}),
            *dashboard,
        ]
        if only == "search":
            scenarios = [scenarios[0], *searches]
        elif only == "dashboard":
            scenarios = [scenarios[0], *dashboard]
        for name, path, options in scenarios:
            measure_scenario(run, database, size, name, base + path, log, seconds, **options)
        run.worker_rss_mb[f"{database} {size:,}"] = worker_rss(base)
        if only:
            return
        measure_deep_offsets(run, database, size, base, log)
        long_urls = add_long_articles(base, token)
        for name, path in long_urls.items():
            measure_scenario(run, database, size, name, base + path, log, seconds)
        if before:
            compare(run, database, size, "after", base, log, long_urls)
    if before:
        env_before = env | {"PYTHONPATH": str(before), "GUNICORN_TIMEOUT": "300"}
        log = folder / "before.log"
        with serve(env_before, log, "inkwell:create_app()") as old:
            if ask(old, searches[0][1]) == 404:
                print("  the code before has no search: its search scenarios are skipped")
                scenarios = [scenario for scenario in scenarios if scenario not in searches]
            for name, path, options in scenarios:
                url = old + path
                measure_scenario(
                    run, database, size, f"{name} (before)", url, log, seconds, **options
                )
            compare(run, database, size, "before", old, log, long_urls)


def measure_scale_out(
    run: Run, database: str, size: int, env: dict[str, str], seconds: int
) -> None:
    """`GET /api/articles` driven for each layout of SCALE_OUT_LAYOUTS, served as in
    production (deploy/nginx.conf, with deploy/inkwell_upstream.conf for several
    app servers), SCALE_OUT_ROUNDS times; each layout's median throughput, and its
    median ratio to one app server behind Nginx in the same round."""
    folder = Path(env["INKWELL_INSTANCE_PATH"])
    rounds: dict[tuple[int, bool], list[dict[str, Any]]] = {}
    for number in range(SCALE_OUT_ROUNDS):
        for servers, proxied in SCALE_OUT_LAYOUTS:
            site = folder / f"scale-out-{number}-{servers}-{'nginx' if proxied else 'direct'}"
            figures = drive_layout(site, env, seconds, servers, proxied)
            rounds.setdefault((servers, proxied), []).append(figures)
            print(f"  {database} {size:>9,} scale-out {servers} {proxied}: {figures}", flush=True)
    baseline = rounds[(1, True)]
    for (servers, proxied), measured in rounds.items():
        name = f"{LIST_SCENARIO}, {servers} app server{'s' if servers > 1 else ''}"
        name += " via Nginx" if proxied else " (no Nginx)"
        rps, p50, p99 = (
            statistics.median(figures[key] for figures in measured) for key in ("rps", "p50", "p99")
        )
        servers_p95 = [figures["server_p95"] for figures in measured if figures["server_p95"]]
        server_p95 = statistics.median(servers_p95) if servers_p95 else None
        errors = sum(figures["errors"] for figures in measured)
        run.results.append(
            Result(database, size, name, rps, p50, p99, _to_ceiling(run, rps), server_p95, errors)
        )
        ratios = [
            figures["rps"] / alone["rps"] for figures, alone in zip(measured, baseline, strict=True)
        ]
        run.scale_out.append(
            {
                "database": database,
                "articles": size,
                "app_servers": servers,
                "nginx": proxied,
                "workers_each": int(env.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1))),
                "requests_per_second": rps,
                "runs_requests_per_second": [round(figures["rps"]) for figures in measured],
                "ratio_to_one_server": round(statistics.median(ratios), 3),
                "p50_ms": p50,
                "p99_ms": p99,
                "server_p95_ms": server_p95,
                "shares": [
                    round(statistics.median(shares), 3)
                    for shares in zip(*(figures["shares"] for figures in measured), strict=True)
                ],
                "errors": errors,
            }
        )


# Statements that read articles, and the time they took, per server.
ARTICLE_READS = (
    "SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0) FROM pg_stat_statements "
    "WHERE query LIKE '%FROM articles%'"
)


def measure_replica_reads(run: Run, database: str, size: int, folder: Path, seconds: int) -> None:
    """`GET /api/articles` from one Gunicorn on a private PostgreSQL primary, with the
    reads on the primary, then with INKWELL_DATABASE_REPLICA_URLS naming a hot standby
    of it (`pg_basebackup -R`), in turn for SCALE_OUT_ROUNDS rounds: throughput, and
    which server ran the list's statements and for how long (`pg_stat_statements`)."""
    folder.mkdir()
    with primary_with_database("inkwell", COUNTING) as primary:
        env = environment(primary.url("inkwell"), folder)
        seed(run, database, size, env)
        primary.first_row("inkwell", "CREATE EXTENSION pg_stat_statements")
        standby = new_server("inkwell-bench-standby-", COUNTING)
        standby.copy_of(primary)
        with running(standby):
            measured: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
            for number in range(SCALE_OUT_ROUNDS):
                for replica in (False, True):
                    site = folder / f"replica-{number}-{replica}"
                    site.mkdir()
                    extra = {"INKWELL_DATABASE_REPLICA_URLS": standby.url("inkwell")}
                    figures = drive_reads(
                        site, env | (extra if replica else {}), seconds, primary, standby
                    )
                    measured[replica].append(figures)
                    print(f"  replica reads {replica}: {figures}", flush=True)
    for replica, rounds in measured.items():
        ratios = [
            figures["rps"] / alone["rps"]
            for figures, alone in zip(rounds, measured[False], strict=True)
        ]
        run.replica_reads.append(
            {
                "database": database,
                "articles": size,
                "reads_from": "standby" if replica else "primary",
                "requests_per_second": statistics.median(f["rps"] for f in rounds),
                "runs_requests_per_second": [round(f["rps"]) for f in rounds],
                "ratio_to_primary": round(statistics.median(ratios), 3),
                "p99_ms": statistics.median(f["p99"] for f in rounds),
                "primary_statements": statistics.median(f["primary_statements"] for f in rounds),
                "standby_statements": statistics.median(f["standby_statements"] for f in rounds),
                "primary_ms": statistics.median(f["primary_ms"] for f in rounds),
                "standby_ms": statistics.median(f["standby_ms"] for f in rounds),
                "errors": sum(f["errors"] for f in rounds),
            }
        )


def drive_reads(
    site: Path,
    env: dict[str, str],
    seconds: int,
    primary: PrivatePostgres,
    standby: PrivatePostgres,
) -> dict[str, Any]:
    """Serve `env` and drive `GET /api/articles` for `seconds`: wrk's figures, and the
    article statements each server ran meanwhile with their total time."""
    metrics = {"PROMETHEUS_MULTIPROC_DIR": str(site / "m")}
    with serve(env | metrics, site / "log", "inkwell:create_app()") as base:
        if "INKWELL_DATABASE_REPLICA_URLS" in env:
            _await_replica(base)
        for server in (primary, standby):
            server.first_row("inkwell", "SELECT pg_stat_statements_reset()")
        rps, p50, p99, errors = wrk(base + "/api/articles", seconds)
        drain(base)
        (on_primary, primary_ms), (on_standby, standby_ms) = (
            server.first_row("inkwell", ARTICLE_READS) for server in (primary, standby)
        )
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "errors": errors,
        "primary_statements": int(on_primary),
        "standby_statements": int(on_standby),
        "primary_ms": round(float(primary_ms)),
        "standby_ms": round(float(standby_ms)),
    }


# View counting's layouts: settings beyond the seeded site's (a worker runs beside the
# app when they name Redis), and the layout each is compared with: the same but for
# counting, so that Redis's response cache weighs on both sides alike.
BENCH_REDIS = "redis://127.0.0.1:6379/9"
VIEW_LAYOUTS: dict[str, tuple[dict[str, str], str]] = {
    "off": ({"INKWELL_COUNT_VIEWS": "false"}, "off"),
    "in each process": ({"INKWELL_COUNT_VIEWS": "true"}, "off"),
    "off, Redis configured": (
        {"INKWELL_COUNT_VIEWS": "false", "INKWELL_REDIS_URL": BENCH_REDIS},
        "off, Redis configured",
    ),
    "in Redis, written by a worker": (
        {"INKWELL_COUNT_VIEWS": "true", "INKWELL_REDIS_URL": BENCH_REDIS},
        "off, Redis configured",
    ),
}
COUNTED_VIEWS = (
    "SELECT coalesce(sum(v.views), 0) FROM article_views v "
    "JOIN articles a ON a.id = v.article_id WHERE a.slug = :slug"
)


def measure_view_counts(
    run: Run, database: str, size: int, env: dict[str, str], seconds: int
) -> None:
    """One article's page read by a new reader each request, with each of VIEW_LAYOUTS,
    SCALE_OUT_ROUNDS times: medians, each layout's ratio to counting off in the same
    round, and whether every 200 the servers logged ended as one view."""
    folder = Path(env["INKWELL_INSTANCE_PATH"])
    engine = connect(env["DATABASE_URL"])
    with engine.connect() as connection:
        slug = connection.execute(
            sa.text("SELECT slug FROM articles WHERE published_at IS NOT NULL LIMIT 1")
        ).scalar_one()
    rounds: dict[str, list[dict[str, Any]]] = {}
    try:
        for number in range(SCALE_OUT_ROUNDS):
            for layout, (settings, _) in VIEW_LAYOUTS.items():
                site = folder / f"views-{number}-{len(rounds.get(layout, []))}-{layout[:8]}"
                figures = drive_view_counting(site, env | settings, seconds, slug, engine)
                rounds.setdefault(layout, []).append(figures)
                print(f"  {database} {size:>9,} views {layout}: {figures}", flush=True)
    finally:
        engine.dispose()
    for layout, measured in rounds.items():
        baseline = VIEW_LAYOUTS[layout][1]
        ratios = [
            figures["rps"] / off["rps"]
            for figures, off in zip(measured, rounds[baseline], strict=True)
        ]
        run.view_counts.append(
            {
                "database": database,
                "articles": size,
                "views_counted": layout,
                "requests_per_second": statistics.median(f["rps"] for f in measured),
                "runs_requests_per_second": [round(f["rps"]) for f in measured],
                "compared_with": baseline,
                "ratio_to_off": round(statistics.median(ratios), 3),
                "p99_ms": statistics.median(f["p99"] for f in measured),
                "answered": sum(f["answered"] for f in measured),
                "views": sum(f["views"] for f in measured),
                "errors": sum(f["errors"] for f in measured),
            }
        )


def drive_view_counting(
    site: Path, env: dict[str, str], seconds: int, slug: str, engine: sa.Engine
) -> dict[str, Any]:
    """Serve `env` (with `inkwell worker` beside it when it names Redis), drive the
    article's page for `seconds`, stop the servers, and count what they wrote."""
    site.mkdir()
    path = f"/article/{slug}"
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM article_views"))
        connection.execute(sa.text("DELETE FROM recent_views"))
    redis_url = env.get("INKWELL_REDIS_URL")
    counting = env.get("INKWELL_COUNT_VIEWS") == "true"
    if redis_url:
        subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
    log = site / "gunicorn.log"
    with contextlib.ExitStack() as stack:
        if redis_url and counting:
            output = stack.enter_context((site / "worker.log").open("wb"))
            worker = subprocess.Popen(
                [str(BIN / "inkwell"), "worker"], env=env, stdout=output, stderr=output
            )
            stack.callback(worker.wait, 60)
            stack.callback(worker.send_signal, signal.SIGTERM)
        metrics = {"PROMETHEUS_MULTIPROC_DIR": str(site / "m")}
        base = stack.enter_context(serve(env | metrics, log, "inkwell:create_app()"))
        rps, p50, p99, errors = wrk(base + path, seconds, script="readers.lua")
        drain(base)
        answered = sum(1 for e in log_entries(log, 0, path) if str(e["status"]) == "200")
        if redis_url and counting:
            _await_flushed(redis_url)
    with engine.connect() as connection:
        views = int(connection.execute(sa.text(COUNTED_VIEWS), {"slug": slug}).scalar_one())
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "errors": errors,
        "answered": answered,
        "views": views,
    }


def _await_flushed(redis_url: str) -> None:
    """Wait until the worker has written every view waiting in Redis."""
    for _ in range(300):
        left = subprocess.run(
            ["redis-cli", "-u", redis_url, "--scan", "--pattern", "inkwell:views:*"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        if not [key for key in left if not key.endswith("flush-planned")]:
            return
        time.sleep(0.2)
    raise RuntimeError("the worker did not write the views waiting in Redis")


def _await_replica(base: str) -> None:
    """Wait until the server reads from its standby (each worker checks it once a second)."""
    for _ in range(100):
        with urllib.request.urlopen(base + "/readyz", timeout=5) as answer:
            if [r["state"] for r in json.load(answer).get("replicas", [])] == ["in use"]:
                time.sleep(1.5)
                return
        time.sleep(0.2)
    raise RuntimeError("the standby did not come into use")


def drive_layout(
    site: Path, env: dict[str, str], seconds: int, servers: int, proxied: bool
) -> dict[str, Any]:
    """Serve `servers` app servers (behind Nginx if `proxied`) and drive `GET
    /api/articles` for `seconds`: wrk's figures, the server p95 over every app
    server's access log, and each app server's share of the requests."""
    site.mkdir()
    logs = [site / f"gunicorn-{n}.log" for n in range(servers)]
    with contextlib.ExitStack() as stack:
        bases = []
        for n, log in enumerate(logs):
            # A metrics folder each: Gunicorn empties its own when it starts.
            own = {"INKWELL_PROXY_HOPS": "1", "PROMETHEUS_MULTIPROC_DIR": str(site / f"m{n}")}
            bases.append(stack.enter_context(serve(env | own, log, "inkwell:create_app()")))
        if proxied:
            ports = [int(base.rsplit(":", 1)[1]) for base in bases]
            listen = stack.enter_context(running_nginx(site, free_port(), site, ports))
            bases = [f"http://127.0.0.1:{listen}"]
        offsets = [log.stat().st_size for log in logs]
        rps, p50, p99, errors = wrk(bases[0] + "/api/articles", seconds)
        drain(bases[0])
        answered = [
            durations(log, offset, "/api/articles")
            for log, offset in zip(logs, offsets, strict=True)
        ]
    times = [ms for server in answered for ms in server]
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "errors": errors,
        "server_p95": round(statistics.quantiles(times, n=100)[94], 2)
        if len(times) >= 20
        else None,
        "shares": [round(len(server) / max(len(times), 1), 3) for server in answered],
    }


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seeded(run: Run, database: str, size: int, folder: Path, name: str) -> dict[str, str]:
    """A fresh database `name` (a file in `folder` for SQLite) migrated and seeded with
    `size` articles, its seeding speed recorded; the environment to serve it with."""
    folder.mkdir()
    url = fresh_database(database, name, folder)
    env = environment(url, folder)
    run.databases.setdefault(database, server_version(url))
    seed(run, database, size, env)
    return env


def seed(run: Run, database: str, size: int, env: dict[str, str]) -> None:
    """Migrate and seed the database of `env` with `size` articles, recording the speed."""
    subprocess.run([BIN / "inkwell", "db", "upgrade"], env=env, check=True, capture_output=True)
    output = subprocess.run(
        [
            BIN / "inkwell",
            "seed",
            "--users",
            str(max(100, size // 20)),
            "--articles",
            str(size),
            "--seed",
            "1",
            "--force",  # the server under test runs with INKWELL_ENV=production
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"Wrote (.*) in ([0-9.]+)s \(([0-9,]+) rows/s\)", output.stdout)
    if match:
        run.seeding.append(
            {
                "database": database,
                "articles": size,
                "seconds": float(match.group(2)),
                "rows_per_second": int(match.group(3).replace(",", "")),
                "rows": match.group(1),
            }
        )
    subprocess.run([BIN / "inkwell", "db", "maintain"], env=env, check=True, capture_output=True)


def measure_writers(seconds: int, repeats: int, before: Path | None) -> None:
    """Drive only the write scenario, `repeats` times on each database, alternating
    the older code (if any) with the current one, and report the medians."""
    run = new_run(" ".join([".venv/bin/python bench/run.py", *sys.argv[1:]]))
    work = Path(tempfile.mkdtemp(prefix="inkwell-bench-"))
    try:
        for database in ("sqlite", "postgresql"):
            folder = work / database
            env = seeded(run, database, WRITERS_ARTICLES, folder, "inkwell_bench_writers")
            codes = {"after": env}
            if before:
                codes = {"before": env | {"PYTHONPATH": str(before)}, **codes}
            token = None
            for attempt in range(repeats):
                for code, code_env in codes.items():
                    log = folder / f"{code}-{attempt}.log"
                    with serve(code_env, log, "inkwell:create_app()") as base:
                        token = token or sign_up(base, "benchwriter")
                        name = f"{WRITE_SCENARIO} ({code})"
                        options = {"token": token, "script": "write.lua"}
                        url = base + "/api/articles"
                        measure_scenario(
                            run, database, WRITERS_ARTICLES, name, url, log, seconds, **options
                        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(run, "writers")


def measure_scenario(
    run: Run,
    database: str,
    size: int,
    name: str,
    url: str,
    log: Path,
    seconds: int,
    token: str | None = None,
    script: str | None = None,
    cookie: str | None = None,
) -> None:
    """Drive `url` with wrk for `seconds` and record its figures as scenario `name`."""
    offset = log.stat().st_size
    rps, p50, p99, errors = wrk(url, seconds, token=token, script=script, cookie=cookie)
    parts = urllib.parse.urlsplit(url)
    drain(f"{parts.scheme}://{parts.netloc}")
    path = parts.path
    server, statuses = server_figures(log, offset, path, 95)
    run.results.append(
        Result(
            database,
            size,
            name,
            rps,
            p50,
            p99,
            _to_ceiling(run, rps),
            server,
            errors,
            statuses,
        )
    )
    print(
        f"  {database} {size:>9,} {name:<32} {rps:>8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  server p95 {server} ms",
        flush=True,
    )


# Offsets asked for one request at a time: the deepest the API allows by default
# (INKWELL_API_OFFSET_MAX), a tenth of it, and one past it, which must be refused.
DEEP_OFFSETS = (10_000, 100_000, 100_001)
DEEP_REQUESTS = 5


def measure_deep_offsets(run: Run, database: str, size: int, base: str, log: Path) -> None:
    """Ask for pages deep in the archive by offset, one request at a time, and record
    the server's median time and the status (422 past the limit)."""
    for offset in DEEP_OFFSETS:
        path = f"/api/articles?offset={offset}"
        since = log.stat().st_size
        statuses = set()
        for _ in range(DEEP_REQUESTS):
            try:
                with urllib.request.urlopen(base + path, timeout=60) as response:
                    statuses.add(response.status)
            except urllib.error.HTTPError as error:
                statuses.add(error.code)
        times = durations(log, since, "/api/articles")
        row = {
            "database": database,
            "articles": size,
            "offset": offset,
            "statuses": sorted(statuses),
            "server_median_ms": round(statistics.median(times), 1) if times else None,
            "server_max_ms": round(max(times), 1) if times else None,
        }
        run.deep_offsets.append(row)
        print(f"  {database} {size:>9,} deep offset: {row}", flush=True)


def long_body() -> str:
    """100,000 characters, the longest body Inkwell takes: a few paragraphs and a list,
    then a table to the end. Tables are the slowest Markdown to render, and their
    HTML is about three times the Markdown's size."""
    sentence = "Ink keeps what the river carries, and the archive remembers every quiet letter. "
    rows = "".join(f"| {n} | ink | paper | quill | lantern |\n" for n in range(5000))
    parts = [
        "# A long article",
        sentence * 12,
        "\n".join(f"- point *{n}* with [a link](https://example.com/{n})" for n in range(40)),
        sentence * 12,
        "| n | a | b | c | d |\n|---|---|---|---|---|\n" + rows,
    ]
    return "\n\n".join(parts)[:100_000]


def add_long_articles(base: str, token: str) -> dict[str, str]:
    """Write LONG_ARTICLES long articles through the API, the newest on the site; the
    scenarios that read them, by name."""
    slug = ""
    for number in range(LONG_ARTICLES):
        article = {
            "title": f"A long article {number}",
            "description": "One hundred thousand characters, mostly a table.",
            "body": long_body(),
            "tagList": ["long"],
        }
        slug = call(base, "POST", "/api/articles", {"article": article}, token)["article"]["slug"]
    return {
        "GET /article/:slug (100 KB body, web)": f"/article/{slug}",
        f"GET /feed.atom ({LONG_ARTICLES} x 100 KB bodies)": "/feed.atom",
    }


def compare(
    run: Run, database: str, size: int, code: str, base: str, log: Path, urls: dict[str, str]
) -> None:
    """Request each URL one at a time, a few times, and record the server's time and
    the answer's size, for the before/after table."""
    for name, path in urls.items():
        count = SEQUENTIAL["feed" if path.endswith(".atom") else "article"]
        offset = log.stat().st_size
        started = time.perf_counter()
        sizes = []
        for _ in range(count):
            with urllib.request.urlopen(base + path, timeout=600) as response:
                sizes.append(len(response.read()))
        elapsed = time.perf_counter() - started
        times = durations(log, offset, path)
        row = {
            "database": database,
            "articles": size,
            "scenario": name,
            "code": code,
            "requests": count,
            "server_median_ms": round(statistics.median(times), 1) if times else None,
            "server_max_ms": round(max(times), 1) if times else None,
            "bytes": max(sizes),
            "requests_per_second": round(count / elapsed, 3),
            "ceiling_ratio": round(count / elapsed / run.ceiling["requests_per_second"], 6),
        }
        run.long_articles.append(row)
        print(f"  {database} {size:>9,} {name} ({code}): {row}", flush=True)


def measure_ceiling(run: Run, base: str, folder: Path, seconds: int) -> None:
    payload = folder / "payload.json"
    with urllib.request.urlopen(base + "/api/articles?limit=20", timeout=10) as response:
        payload.write_bytes(response.read())
    env = environment("sqlite:///unused", folder) | {"INKWELL_BENCH_PAYLOAD": str(payload)}
    # The median of three: single runs of the ceiling vary by up to 2x on a
    # machine shared with wrk.
    with serve(env, folder / "ceiling.log", "ceiling:app", pythonpath=ROOT / "bench") as ceiling:
        runs = sorted(wrk(ceiling + "/api/articles", seconds) for _ in range(3))
    rps, p50, p99, _ = runs[1]
    run.ceiling = {
        "requests_per_second": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "payload_bytes": payload.stat().st_size,
        "runs_requests_per_second": [round(result[0]) for result in runs],
    }
    print(f"  ceiling: {rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)


def fresh_database(database: str, name: str, folder: Path) -> str:
    if database == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    admin = sa.create_engine(
        sa.make_url(POSTGRES).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def connect(url: str) -> sa.Engine:
    """An engine for a database URL as Inkwell is given it (psycopg for PostgreSQL)."""
    parsed = sa.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed)


def server_version(url: str) -> str:
    engine = connect(url)
    with engine.connect() as connection:
        version = ".".join(str(part) for part in connection.dialect.server_version_info or ())
    engine.dispose()
    return version


def environment(url: str, folder: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "INKWELL_ENV": "production",
        "INKWELL_SECRET_KEY": secrets.token_urlsafe(48),
        "INKWELL_PUBLIC_URL": "http://127.0.0.1",  # `serve` names the port it picks
        "DATABASE_URL": url,
        "INKWELL_INSTANCE_PATH": str(folder),
        "INKWELL_RATELIMIT_ENABLED": "false",
        "INKWELL_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }


class serve:
    """Gunicorn with deploy/gunicorn.conf.py on a free port, its access log in `log`."""

    def __init__(
        self, env: dict[str, str], log: Path, app: str, pythonpath: Path | None = None
    ) -> None:
        self.port = free_port()
        self.env = env | {
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "INKWELL_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
        }
        self.log, self.app, self.pythonpath = log, app, pythonpath

    def __enter__(self) -> str:
        command = [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")]
        if self.pythonpath:
            command += ["--pythonpath", str(self.pythonpath)]
        self.output = self.log.open("wb")
        self.process = subprocess.Popen(
            [*command, self.app], env=self.env, stdout=self.output, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/api/articles?limit=1", timeout=2).read()
                return base
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.output.close()


def admin_cookie(base: str, env: dict[str, str]) -> str:
    """The cookie of an administrator signed in to the site, made with `inkwell
    users create --admin` and the sign-in form, as a browser would.

    The site's cookies are Secure in production, which this plain-HTTP run is,
    so they are read from the answers and sent back by hand.
    """
    username, email, password = ADMIN
    subprocess.run(
        [BIN / "inkwell", "users", "create", username, email, "--admin", "--password-stdin"],
        env=env,
        input=password + "\n",
        capture_output=True,
        text=True,
    )  # an account left by an earlier scenario is fine
    host = urllib.parse.urlsplit(base).netloc
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request("GET", "/login")
    form = connection.getresponse()
    page = form.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    cookie = _cookie(form.getheader("Set-Cookie") or "")
    fields = {"csrf_token": token.group(1) if token else "", "email": email, "password": password}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection.request("POST", "/login", urllib.parse.urlencode(fields), headers)
    signed_in = connection.getresponse()
    signed_in.read()
    if signed_in.status != 302:
        raise RuntimeError(f"the benchmark's admin could not sign in: {signed_in.status}")
    return _cookie(signed_in.getheader("Set-Cookie") or "")


def _cookie(set_cookie: str) -> str:
    """The name=value part of a Set-Cookie header."""
    return set_cookie.split(";", 1)[0]


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def sign_up(base: str, username: str) -> str:
    """Register `username` through the API; its token."""
    user = {"username": username, "email": f"{username}@example.com", "password": "bench-password"}
    return str(call(base, "POST", "/api/users", {"user": user})["user"]["token"])


def prepare(base: str) -> tuple[str, str, str]:
    """A signed-in reader who follows 30 authors, an article and a popular tag to ask for."""
    token = sign_up(base, "benchreader")
    page = call(base, "GET", "/api/articles?limit=100")
    authors = {article["author"]["username"] for article in page["articles"]}
    for author in list(authors)[:30]:
        call(base, "POST", f"/api/profiles/{author}/follow", token=token)
    tag = call(base, "GET", "/api/tags")["tags"][0]
    return token, page["articles"][0]["slug"], tag


def search_scenarios(terms: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """The searches driven, anonymous, with the API's default page of 20: each term
    as a reader types it (a bare last word also matches as a prefix)."""
    rare, common = (urllib.parse.quote(terms[kind]) for kind in ("rare", "common"))
    return [
        (SEARCH_RARE, f"/api/search?q={rare}", {}),
        (SEARCH_COMMON, f"/api/search?q={common}", {}),
        (SEARCH_COMMON_NEWEST, f"/api/search?q={common}&order=newest", {}),
    ]


def measure_searches_alone(
    run: Run,
    database: str,
    size: int,
    base: str,
    log: Path,
    searches: list[tuple[str, str, Any]],
) -> None:
    """For each search: how many published articles it matches (the API's own count)
    out of how many, and the server's time and status for it asked one request at
    a time, with no other request sharing the machine's two cores.

    The count is read from the newest page of one, which ranks nothing: a page by
    relevance may run past the statement timeout where the count does not."""
    published = call(base, "GET", "/api/articles?limit=1")["articlesCount"]
    for name, path, _ in searches:
        term = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["q"][0]
        matches = count_matches(base, term)
        ask(base, path)  # once, to warm the caches
        since = log.stat().st_size
        statuses = {ask(base, path) for _ in range(SEARCHES_ALONE)}
        times = durations(log, since, "/api/search")
        row = {
            "database": database,
            "articles": size,
            "scenario": name,
            "query": urllib.parse.unquote(path),
            "matches": matches,
            "published": published,
            "alone_statuses": sorted(statuses),
            "alone_median_ms": round(statistics.median(times), 1),
            "alone_max_ms": round(max(times), 1),
        }
        run.search_matches.append(row)
        print(f"  {database} {size:>9,} {name}: {row}", flush=True)


def count_matches(base: str, term: str, attempts: int = 3) -> int | None:
    """The API's count of the articles matching `term`; None if every attempt ran
    past the statement timeout. A first attempt on a database just seeded may: it
    reads the matches from disk, and leaves them in the cache for the next."""
    counted = f"/api/search?q={urllib.parse.quote(term)}&order=newest&limit=1"
    for _ in range(attempts):
        try:
            return int(call(base, "GET", counted)["articlesCount"])
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise
    return None


def drain(base: str) -> None:
    """Wait for the requests wrk left queued to be answered: a sync worker answers
    a request whose client has gone, so a scenario slower than wrk's time would
    otherwise run on into the next one. One request from the process alone,
    queued behind them, is answered once they are."""
    ask(base, "/healthz", timeout=600)


def ask(base: str, path: str, timeout: int = 60) -> int:
    """GET `path`; the status of the answer, whatever it is."""
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


_WORDS = re.compile(r"[a-z]+")
# A term at least this long is searched as a prefix (`search_terms.PREFIX_MIN` is 3)
# and indexed by MariaDB (`innodb_ft_min_token_size` 3).
TERM_MIN = 4
COMMON_SHARE = 0.10  # of published articles, at the least, for the common term
POOLED = ("title", "description", "body")


@dataclass(frozen=True)
class SeededText:
    """One database's seeded text, per word: how many distinct pooled texts hold it,
    and the share of published articles whose title, description or body does."""

    texts: Counter[str]
    shares: dict[str, float]


def choose_search_terms(urls: list[str]) -> dict[str, str]:
    """The rare and the common term, chosen from the seeded text of every database
    in `urls`, so that one pair serves at every size of a run.

    Seeded articles draw their title, description and body each from a pool of
    1,024, and each size draws its own pools, so a word rare at one size may be
    missing at another. Candidates are the seeding vocabulary's words of
    TERM_MIN letters or more that PostgreSQL indexes as themselves (no stop
    word, no stem of another form), that begin no other word and are no tag
    nor the start of one (tags are indexed too): as a reader types it, a bare
    word also matches as a prefix, and these match as themselves only. The
    rare term is the candidate most frequent in English that stands in exactly
    one pooled text in every database: about one article in 1,024 matches it
    at every size, so its matches grow with the archive while its share does
    not. The common term is the candidate with the smallest share that is at
    least COMMON_SHARE in every database: the least common word that is still
    as common as asked.
    """
    seeded = [_seeded_text(url) for url in urls]
    vocabulary = english().words
    taken = {word[:n] for word in vocabulary for n in range(TERM_MIN, len(word))}
    taken |= {
        tag[:n] for tag in _WORDS.findall(" ".join(TAGS)) for n in range(TERM_MIN, len(tag) + 1)
    }
    indexed = _indexed_as_themselves([word for word in vocabulary if len(word) >= TERM_MIN])
    candidates = [word for word in vocabulary if word in indexed and word not in taken]
    rare = next(word for word in candidates if all(text.texts[word] == 1 for text in seeded))
    common = min(
        (
            word
            for word in candidates
            if all(text.shares.get(word, 0) >= COMMON_SHARE for text in seeded)
        ),
        key=lambda word: min(text.shares[word] for text in seeded),
    )
    return {"rare": rare, "common": common}


def _seeded_text(url: str) -> SeededText:
    """Read the distinct titles, descriptions and bodies of a seeded database with
    how many published articles draw each; the fields are drawn independently."""
    texts: Counter[str] = Counter()
    absent: dict[str, float] = {}  # per word, the share of articles without it
    engine = connect(url)
    with engine.connect() as connection:
        published = connection.exec_driver_sql("SELECT count(*) FROM article_search").scalar_one()
        for column in POOLED:
            held: Counter[str] = Counter()
            drawn = connection.exec_driver_sql(
                f"SELECT {column}, count(*) FROM article_search GROUP BY {column}"  # noqa: S608
            )
            for text, count in drawn:
                words = set(_WORDS.findall(text.lower()))
                texts.update(words)
                held.update(dict.fromkeys(words, count))
            for word, count in held.items():
                absent[word] = absent.get(word, 1.0) * (1 - count / published)
    engine.dispose()
    return SeededText(texts, {word: 1 - share for word, share in absent.items()})


def _indexed_as_themselves(words: list[str]) -> set[str]:
    """Those of `words` that PostgreSQL's English configuration (Inkwell's default
    search language) indexes unchanged, in one statement."""
    engine = connect(POSTGRES)
    with engine.connect() as connection:
        indexed = connection.execute(
            sa.text(
                "SELECT word FROM unnest(CAST(:words AS text[])) AS word "
                "WHERE CAST(to_tsvector('english', word) AS text) = format('%L:1', word)"
            ),
            {"words": words},
        ).scalars()
        found = set(indexed)
    engine.dispose()
    return found


def wrk(
    url: str,
    seconds: int,
    token: str | None = None,
    script: str | None = None,
    cookie: str | None = None,
) -> tuple[float, float, float, int]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    env = dict(os.environ)
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if token:
        command += ["-H", f"Authorization: Token {token}"]
        env["INKWELL_BENCH_TOKEN"] = token
    if script:
        command += ["-s", str(ROOT / "bench" / script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env=env
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"50%\s+([0-9.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"99%\s+([0-9.]+\w+)", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    # Connections refused, reset or timed out never got an answer: failures too.
    lost = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, lost.groups())) if lost else 0)
    return rps, p50, p99, errors


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def server_figures(
    log: Path, offset: int, path: str, percentile: int
) -> tuple[float | None, dict[str, int]]:
    """The server's own `percentile` time for `path`, and how often it answered other
    than 2xx/3xx, by status, so that a failure in a run can be told from a slow one."""
    entries = log_entries(log, offset, path)
    times = [int(entry["duration_us"]) / 1000 for entry in entries]
    statuses: dict[str, int] = {}
    for entry in entries:
        if not str(entry.get("status", "")).startswith(("2", "3")):
            statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
    if len(times) < 20:
        return None, statuses
    return round(statistics.quantiles(times, n=100)[percentile - 1], 2), statuses


def durations(log: Path, offset: int, path: str) -> list[float]:
    """The server's time for each request to `path` logged after `offset`, in ms."""
    return [int(entry["duration_us"]) / 1000 for entry in log_entries(log, offset, path)]


def log_entries(log: Path, offset: int, path: str) -> list[dict[str, Any]]:
    """Gunicorn's access-log entries for `path` after `offset`."""
    time.sleep(0.5)  # let the workers flush their last lines
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("path") == path:
            entries.append(entry)
    return entries


def worker_rss(base: str) -> float:
    """The largest resident set of the Gunicorn workers, in MB."""
    largest = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            cmdline = (status.parent / "cmdline").read_text()
        except OSError:
            continue
        if "gunicorn" in cmdline and "inkwell:create_app()" in cmdline and "PPid" in text:
            rss = re.search(r"VmRSS:\s+(\d+) kB", text)
            parent = int(re.search(r"PPid:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
            if rss and parent != os.getpid():
                largest = max(largest, int(rss.group(1)) / 1024)
    return round(largest, 1)


GROWTH_SCENARIOS = (
    LIST_SCENARIO,
    "GET /api/articles?tag=",
    "GET /api/articles/feed",
    "GET /api/articles/:slug",
    SEARCH_RARE,
    SEARCH_COMMON,
    DASHBOARD_HOME,
    DASHBOARD_GROWTH,
)


def growth(run: Run) -> list[str]:
    """Server p95 at each larger size as a multiple of the smallest size's, per database."""
    p95 = {(r.database, r.articles, r.scenario): r.server_p95_ms for r in run.results}
    lines = [
        "",
        "| growth of server p95 | scenario | from | to | factor |",
        "|---|---|---|---|---|",
    ]
    for database in dict.fromkeys(r.database for r in run.results):
        sizes = sorted({r.articles for r in run.results if r.database == database})
        for size in sizes[1:]:
            for scenario in GROWTH_SCENARIOS:
                base, now = (
                    p95.get((database, sizes[0], scenario)),
                    p95.get((database, size, scenario)),
                )
                if base and now:
                    lines.append(
                        f"| {database} | {scenario} | {sizes[0]:,} | {size:,} | {now / base:.2f}x |"
                    )
    return lines if len(lines) > 3 else []


def report(run: Run, form: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    data = asdict(run)
    (RESULTS / f"{stamp}-{form}.json").write_text(json.dumps(data, indent=2))
    lines = [
        f"Command: `{run.command}` · {run.started} · {run.machine} · "
        + ", ".join(f"{k} {v}" for k, v in run.databases.items()),
        "",
    ]
    if run.ceiling:
        lines += [
            f"Ceiling (bare Flask, same Gunicorn settings, {run.ceiling['payload_bytes']:,}-byte payload): "
            f"{run.ceiling['requests_per_second']:.0f} req/s, p50 {run.ceiling['p50_ms']:.1f} ms, p99 {run.ceiling['p99_ms']:.1f} ms"
            f" (median of three runs: {', '.join(map(str, run.ceiling['runs_requests_per_second']))} req/s)",
            "",
        ]
    lines += [
        "| database | articles | scenario | req/s | ratio to ceiling | p50 ms | p99 ms | server p95 ms | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in run.results:
        server = "-" if r.server_p95_ms is None else f"{r.server_p95_ms:.2f}"
        lines.append(
            f"| {r.database} | {r.articles:,} | {r.scenario} | {r.requests_per_second:.0f} | {r.ceiling_ratio or '-'} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {server} | {_failures(r)} |"
        )
    lines += ["", "| seeding | articles | seconds | rows/s |", "|---|---|---|---|"]
    lines += [
        f"| {s['database']} | {s['articles']:,} | {s['seconds']:.1f} | {s['rows_per_second']:,} |"
        for s in run.seeding
    ]
    lines += growth(run)
    lines += search_table(run)
    lines += deep_offsets_table(run)
    lines += long_articles_table(run)
    lines += medians_table(run)
    lines += scale_out_table(run)
    lines += replica_reads_table(run)
    lines += view_counts_table(run)
    if run.worker_rss_mb:
        lines += ["", "| worker RSS after load | MB |", "|---|---|"]
        lines += [f"| {k} | {v:.1f} |" for k, v in run.worker_rss_mb.items()]
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{stamp}-{form}.md").write_text(text)
    print("\n" + text)


def search_table(run: Run) -> list[str]:
    """Each search with its matches, and its throughput as a share of the ceiling and
    of the list (`GET /api/articles`) on the same database and size."""
    results = {(r.database, r.articles, r.scenario): r for r in run.results}
    terms = ", ".join(f"{kind} `{term}`" for kind, term in run.search_terms.items())
    lines = [
        "",
        f"Search terms: {terms}",
        "",
        "| search | articles | scenario | query | matches (share of published) | req/s | ratio to ceiling | ratio to list | p50 ms | p99 ms | server p95 ms | non-2xx | alone: server median / max ms (status) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in run.search_matches:
        key = (row["database"], row["articles"])
        found, listed = results.get((*key, row["scenario"])), results.get((*key, LIST_SCENARIO))
        if found is None:
            continue
        ratio = f"{found.requests_per_second / listed.requests_per_second:.3f}" if listed else "-"
        server = "-" if found.server_p95_ms is None else f"{found.server_p95_ms:.2f}"
        lines.append(
            f"| {row['database']} | {row['articles']:,} | {row['scenario']} | `{row['query']}` "
            f"| {_share(row['matches'], row['published'])} "
            f"| {found.requests_per_second:.0f} | {found.ceiling_ratio or '-'} | {ratio} "
            f"| {found.p50_ms:.1f} | {found.p99_ms:.1f} | {server} | {_failures(found)} "
            f"| {row['alone_median_ms']} / {row['alone_max_ms']} "
            f"({', '.join(map(str, row['alone_statuses']))}) |"
        )
    return lines if run.search_matches else []


def deep_offsets_table(run: Run) -> list[str]:
    """Deep offsets, one request at a time."""
    lines = [
        "",
        f"| deep offset, {DEEP_REQUESTS} requests one at a time | articles | offset | status | server median ms | server max ms |",
        "|---|---|---|---|---|---|",
    ]
    for row in run.deep_offsets:
        statuses = ", ".join(map(str, row["statuses"]))
        lines.append(
            f"| {row['database']} | {row['articles']:,} | {row['offset']:,} | {statuses} | {row['server_median_ms']} | {row['server_max_ms']} |"
        )
    return lines if run.deep_offsets else []


def long_articles_table(run: Run) -> list[str]:
    """The before/after comparison, when `--before` asked for one."""
    if not run.long_articles:
        return []
    lines = [
        "",
        "| database | scenario | code | requests, one at a time | server median ms | server max ms | bytes | req/s | ratio to ceiling |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in run.long_articles:
        lines.append(
            f"| {row['database']} | {row['scenario']} | {row['code']} | {row['requests']} | {row['server_median_ms']} | {row['server_max_ms']} | {row['bytes']:,} | {row['requests_per_second']:.2f} | {row['ceiling_ratio']:.6f} |"
        )
    return lines


def medians_table(run: Run) -> list[str]:
    """Each scenario's medians over its repeated runs, where a scenario ran more than
    once on the same database and size (`--writers`)."""
    runs: dict[tuple[str, int, str], list[Result]] = {}
    for result in run.results:
        runs.setdefault((result.database, result.articles, result.scenario), []).append(result)
    lines = [
        "",
        "| database | scenario | runs | median req/s | median p50 ms | median p99 ms (each run) | median server p95 ms | non-2xx (all runs) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (database, _articles, scenario), results in runs.items():
        if len(results) < 2:
            continue
        p99s = " / ".join(f"{r.p99_ms:.0f}" for r in results)
        servers = [r.server_p95_ms for r in results if r.server_p95_ms is not None]
        server = f"{statistics.median(servers):.1f}" if servers else "-"
        lines.append(
            f"| {database} | {scenario} | {len(results)} | {statistics.median(r.requests_per_second for r in results):.0f} "
            f"| {statistics.median(r.p50_ms for r in results):.1f} | {statistics.median(r.p99_ms for r in results):.1f} ({p99s}) "
            f"| {server} | {sum(r.errors for r in results)} |"
        )
    return lines if len(lines) > 3 else []


def scale_out_table(run: Run) -> list[str]:
    """The scale-out scenario: each number of app servers against one."""
    lines = [
        "",
        f"| scale-out, {LIST_SCENARIO}, medians of {SCALE_OUT_ROUNDS} rounds | articles | app servers x workers | Nginx | req/s (each round) | ratio to one app server via Nginx, same round | p50 ms | p99 ms | server p95 ms | each server's share | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in run.scale_out:
        server = "-" if row["server_p95_ms"] is None else f"{row['server_p95_ms']:.2f}"
        lines.append(
            f"| {row['database']} | {row['articles']:,} | {row['app_servers']} x {row['workers_each']} "
            f"| {'yes' if row['nginx'] else 'no'} | {row['requests_per_second']:.0f} ({', '.join(map(str, row['runs_requests_per_second']))}) | {row['ratio_to_one_server']:.3f} | {row['p50_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | {server} | {' / '.join(f'{share:.2f}' for share in row['shares'])} | {row['errors']} |"
        )
    return lines if run.scale_out else []


def replica_reads_table(run: Run) -> list[str]:
    """The list's reads on the primary, then on a standby: throughput and where they ran."""
    lines = [
        "",
        f"| {LIST_SCENARIO}, one app server, medians of {SCALE_OUT_ROUNDS} rounds | articles | reads from | req/s (each round) | ratio to reads on the primary, same round | p99 ms | article statements on the primary / standby | their time on the primary / standby, ms | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in run.replica_reads:
        lines.append(
            f"| {row['database']} | {row['articles']:,} | {row['reads_from']} "
            f"| {row['requests_per_second']:.0f} ({', '.join(map(str, row['runs_requests_per_second']))}) "
            f"| {row['ratio_to_primary']:.3f} | {row['p99_ms']:.1f} "
            f"| {row['primary_statements']:,.0f} / {row['standby_statements']:,.0f} "
            f"| {row['primary_ms']:,.0f} / {row['standby_ms']:,.0f} | {row['errors']} |"
        )
    return lines if run.replica_reads else []


def view_counts_table(run: Run) -> list[str]:
    """Article reads with views counted or not, and whether every answer became a view."""
    lines = [
        "",
        f"| one article's page, a new reader each request, medians of {SCALE_OUT_ROUNDS} rounds | articles | views counted | req/s (each round) | ratio to the same round's | p99 ms | 200s logged / views counted (all rounds) | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in run.view_counts:
        counted = (
            "-"
            if row["views_counted"].startswith("off")
            else f"{row['answered']:,} / {row['views']:,}"
        )
        lines.append(
            f"| {row['database']} | {row['articles']:,} | {row['views_counted']} "
            f"| {row['requests_per_second']:.0f} ({', '.join(map(str, row['runs_requests_per_second']))}) "
            f"| {row['ratio_to_off']:.3f} ({row['compared_with']}) | {row['p99_ms']:.1f} | {counted} | {row['errors']} |"
        )
    return lines if run.view_counts else []


def _to_ceiling(run: Run, rps: float) -> float:
    """`rps` as a share of the run's ceiling (0 when the run measured none)."""
    return round(rps / run.ceiling["requests_per_second"], 3) if run.ceiling else 0.0


def _share(matches: int | None, published: int) -> str:
    """A count of matches with its share of the published articles."""
    if matches is None:
        return "- (cut off)"
    return f"{matches:,} ({matches / max(published, 1):.2%})"


def _failures(result: Result) -> str:
    """wrk's count of non-2xx/3xx answers, with the statuses the server logged."""
    if not result.error_statuses:
        return str(result.errors)
    statuses = ", ".join(f"{n} x {status}" for status, n in sorted(result.error_statuses.items()))
    return f"{result.errors} ({statuses})"


if __name__ == "__main__":
    main()
