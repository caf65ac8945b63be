"""Which Gunicorn server model serves Inkwell best on this machine, each with its own ceiling.

For each candidate (worker class, workers, threads, keep-alive), the bare-Flask
ceiling and Inkwell are served with exactly those settings through
deploy/gunicorn.conf.py, and wrk drives the ceiling (median of three runs) and
a few of Inkwell's reads on a seeded SQLite and PostgreSQL database. Reported
per candidate and scenario: requests per second, the ratio to that
candidate's own ceiling, p50 and p99, and the largest share of requests one
worker served (from the access log's process id; 1/workers is even).

    .venv/bin/python bench/servers.py [--seconds 8] [--articles 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from run import (
    CONNECTIONS,
    RESULTS,
    log_entries,
    new_run,
    prepare,
    seeded,
    serve,
    wrk,
)

CANDIDATES: dict[str, dict[str, str]] = {
    "gthread 2 x 4, keep-alive 5 s": {
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_KEEPALIVE": "5",
    },
    "gthread 2 x 4, no keep-alive": {
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_KEEPALIVE": "0",
    },
    "gthread 2 x 4, keep-alive 5 s, 8 connections a worker": {
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_KEEPALIVE": "5",
        "GUNICORN_WORKER_CONNECTIONS": "8",
    },
    "gthread 4 x 2, no keep-alive": {
        "GUNICORN_WORKERS": "4",
        "GUNICORN_THREADS": "2",
        "GUNICORN_KEEPALIVE": "0",
    },
    "sync x 4": {"GUNICORN_WORKERS": "4", "GUNICORN_THREADS": "1"},
    "sync x 6": {"GUNICORN_WORKERS": "6", "GUNICORN_THREADS": "1"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument(
        "--only", action="append", choices=list(CANDIDATES), help="measure only these models"
    )
    args = parser.parse_args()
    run = new_run("make bench-servers")
    work = Path(tempfile.mkdtemp(prefix="inkwell-servers-"))
    rows: list[dict[str, Any]] = []
    try:
        databases = {}
        for database in ("sqlite", "postgresql"):
            env = seeded(run, database, args.articles, work / database, "inkwell_servers")
            with serve(env, work / database / "prepare.log", "inkwell:create_app()") as base:
                token, slug, _tag = prepare(base)
                payload = work / "payload.json"
                payload.write_bytes(_get(base + "/api/articles?limit=20"))
            databases[database] = Served(env, token, slug)
        for candidate, settings in CANDIDATES.items():
            if args.only and candidate not in args.only:
                continue
            rows += measure(candidate, settings, databases, work, payload, args.seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(run.started, rows)


@dataclass(frozen=True)
class Served:
    """A seeded database: the environment to serve it with, a reader's token, an article."""

    env: dict[str, str]
    token: str
    slug: str


def measure(
    candidate: str,
    settings: dict[str, str],
    databases: dict[str, Served],
    work: Path,
    payload: Path,
    seconds: int,
) -> list[dict[str, Any]]:
    """The ceiling and Inkwell's reads under one candidate's settings."""
    folder = work / candidate.replace(" ", "-").replace(",", "")
    folder.mkdir()
    rows = []
    ceiling_env = databases["sqlite"].env | settings | {"INKWELL_BENCH_PAYLOAD": str(payload)}
    log = folder / "ceiling.log"
    with serve(ceiling_env, log, "ceiling:app", pythonpath=Path(__file__).parent) as ceiling:
        runs = sorted(wrk(ceiling + "/api/articles", seconds) for _ in range(3))
        rows.append(row(candidate, "ceiling", "GET /api/articles", runs[1], 1.0, log, None))
    ceiling_rps = runs[1][0]
    for database, served in databases.items():
        log = folder / f"{database}.log"
        with serve(served.env | settings, log, "inkwell:create_app()") as base:
            for name, path, headers in [
                ("GET /api/articles", "/api/articles", None),
                ("GET /api/articles (signed in)", "/api/articles", served.token),
                ("GET /api/articles/:slug", f"/api/articles/{served.slug}", None),
                ("GET / (web home)", "/", None),
            ]:
                offset = log.stat().st_size
                figures = wrk(base + path, seconds, token=headers)
                ratio = figures[0] / ceiling_rps
                rows.append(row(candidate, database, name, figures, ratio, log, (offset, path)))
    return rows


def row(
    candidate: str,
    served: str,
    scenario: str,
    figures: tuple[float, float, float, int],
    ratio: float,
    log: Path,
    since: tuple[int, str] | None,
) -> dict[str, Any]:
    rps, p50, p99, errors = figures
    offset, path = since or (0, "/api/articles")
    by_worker: dict[str, int] = {}
    for entry in log_entries(log, offset, path.split("?")[0]):
        by_worker[entry.get("pid", "?")] = by_worker.get(entry.get("pid", "?"), 0) + 1
    share = max(by_worker.values()) / sum(by_worker.values()) if by_worker else None
    result = {
        "candidate": candidate,
        "served": served,
        "scenario": scenario,
        "requests_per_second": round(rps),
        "ratio": round(ratio, 2),
        "p50_ms": p50,
        "p99_ms": p99,
        "busiest_worker_share": round(share, 2) if share else None,
        "errors": errors,
    }
    print(json.dumps(result), flush=True)
    return result


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def report(started: str, rows: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.replace("-", "").replace(" ", "-").replace(":", "")[:13]
    (RESULTS / f"{stamp}-servers.json").write_text(json.dumps(rows, indent=2))
    lines = [
        f"Command: `make bench-servers` · {started} · wrk, {CONNECTIONS} connections",
        "",
        "| server model | served | scenario | req/s | ratio to its ceiling | p50 ms | p99 ms | busiest worker's share | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['candidate']} | {r['served']} | {r['scenario']} | {r['requests_per_second']} | {r['ratio']:.2f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['busiest_worker_share']} | {r['errors']} |"
        )
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{stamp}-servers.md").write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
