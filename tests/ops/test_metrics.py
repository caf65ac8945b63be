"""Prometheus metrics: what they count, who may read them, and sums across workers."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from inkwell import create_app
from inkwell.extensions import db
from tests.conftest import environ_for
from tests.servers import gunicorn

REQUESTS = "inkwell_http_requests_total"
STANDARD_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{([^}}]*)\}})? ([0-9.e+-]+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_requests_are_counted_and_timed(client: Any, make_article: Any) -> None:
    make_article()
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        client.get("/api/tags")
    after = client.get("/metrics").get_data(as_text=True)
    labels = {"endpoint": "api.tags", "method": "GET", "status": "200"}
    assert (
        sample(after, "inkwell_http_requests_total", **labels)
        - sample(before, "inkwell_http_requests_total", **labels)
        == 3
    )
    assert sample(after, "inkwell_http_request_duration_seconds_count", endpoint="api.tags") >= 3
    assert sample(after, "inkwell_articles_published") == 1
    assert "inkwell_db_pool_checked_out" in after and "inkwell_users" in after
    assert sample(after, "inkwell_database_up") == 1


def test_metrics_answer_while_the_database_is_down(tmp_path: Path) -> None:
    """When the HTTP figures matter most; only the content figures are missing."""
    app = create_app(environ_for("postgresql://nobody@127.0.0.1:9/nowhere", tmp_path))
    client = app.test_client()
    assert client.get("/api/tags").status_code == 503
    answer = client.get("/metrics")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert sample(text, REQUESTS, endpoint="api.tags", method="GET", status="503") >= 1
    assert sample(text, "inkwell_database_up") == 0
    assert "inkwell_users" not in text and "inkwell_articles_published" not in text


def test_metrics_are_not_public(client: Any, tmp_path: Path) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 403
    app = create_app(
        environ_for(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, INKWELL_METRICS_TOKEN="s3cret")
    )
    outsider = app.test_client()
    assert outsider.get("/metrics").status_code == 403
    assert outsider.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    with app.app_context():
        from inkwell.ops.schema import upgrade

        upgrade()
        ok = outsider.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        db.engine.dispose()
    assert ok.status_code == 200


def test_the_shared_metrics_folder_is_made_with_the_app(tmp_path: Path) -> None:
    # A command run with the service's environment may come before Gunicorn made it.
    folder = tmp_path / "metrics" / "shared"
    app = create_app(
        environ_for(
            f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder)
        )
    )
    assert folder.is_dir()
    with app.app_context():
        db.engine.dispose()


def test_counts_are_summed_across_gunicorn_workers(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    with gunicorn(database, tmp_path, workers=3) as api:
        for _ in range(30):
            with urllib.request.urlopen(f"{api}/tags", timeout=10) as response:
                assert response.status == 200
        with urllib.request.urlopen(api.removesuffix("/api") + "/metrics", timeout=10) as response:
            text = response.read().decode()
    labels = {"endpoint": "api.tags", "method": "GET", "status": "200"}
    assert sample(text, "inkwell_http_requests_total", **labels) == 30
    pids = set(re.findall(r'pid="(\d+)"', text))
    assert not pids, "multiprocess samples should be merged, not listed per worker"


def test_methods_outside_the_standard_set_share_one_label(client: Any) -> None:
    """A client may send any method name; each would otherwise be a series of its own,
    kept until the process ends."""
    other = {"endpoint": "unmatched", "method": "other", "status": "405"}
    before = sample(client.get("/metrics").get_data(as_text=True), REQUESTS, **other)
    for n in range(50):
        client.open("/api/tags", method=f"X-PROBE-{n}")
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, REQUESTS, **other) - before == 50
    methods = set(re.findall(rf'{REQUESTS}{{[^}}]*method="([^"]*)"', text))
    assert methods <= STANDARD_METHODS | {"other"}


def test_unknown_paths_share_one_label(client: Any) -> None:
    for n in range(20):
        client.get(f"/no/such/page/{n}")
    text = client.get("/metrics").get_data(as_text=True)
    assert not [line for line in text.splitlines() if "/no/such" in line]
    assert sample(text, REQUESTS, endpoint="unmatched", method="GET", status="404") >= 20
