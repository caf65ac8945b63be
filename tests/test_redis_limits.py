"""With INKWELL_REDIS_URL set, every Gunicorn worker counts against the same limit."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import fresh_redis
from tests.servers import gunicorn

REDIS_URL = os.environ.get("INKWELL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    # Database 15 belongs to these tests: start with no counters from earlier runs.
    return fresh_redis(REDIS_URL)


def sign_in(base: str, email: str) -> int:
    body = json.dumps({"user": {"email": email, "password": "wrong-password"}}).encode()
    request = urllib.request.Request(f"{base}/users/login", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def test_workers_share_failed_sign_in_counters(redis_url: str, tmp_path: Path) -> None:
    """Three failures are allowed in all, not three per worker."""
    database = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    email = f"{uuid.uuid4().hex}@example.com"
    with gunicorn(
        database,
        tmp_path,
        workers=3,
        INKWELL_REDIS_URL=redis_url,
        INKWELL_LOGIN_LIMIT="3 per minute",
    ) as base:
        statuses = [sign_in(base, email) for _ in range(10)]
    assert statuses == [401] * 3 + [429] * 7
