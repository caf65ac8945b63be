"""A database server that cannot be reached, or never answers, costs a request a 503
within INKWELL_DB_CONNECT_TIMEOUT, not a worker waiting for ever."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell import create_app
from inkwell.extensions import db
from tests.conftest import environ_for
from tests.servers import free_port

CONNECT_TIMEOUT = 2  # libpq's least
UNAVAILABLE = {"errors": {"database": ["is unavailable, try again shortly"]}}
SERVERS = ["postgresql", "mysql"]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel completes into a backlog nobody ever
    accepts from: the server's greeting, or its answer to ours, never comes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def app_on(scheme: str, port: int, instance: Path) -> Flask:
    url = f"{scheme}://inkwell@127.0.0.1:{port}/inkwell"
    return create_app(environ_for(url, instance, INKWELL_DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT)))


def timed_get(app: Flask, path: str) -> tuple[float, int, object]:
    started = time.monotonic()
    response = app.test_client().get(path)
    return time.monotonic() - started, response.status_code, response.get_json()


@pytest.mark.parametrize("scheme", SERVERS)
def test_a_server_that_never_answers_is_given_up_after_the_connect_timeout(
    scheme: str, silent_port: int, tmp_path: Path
) -> None:
    took, status, body = timed_get(app_on(scheme, silent_port, tmp_path), "/api/tags")
    assert (status, body) == (503, UNAVAILABLE)
    assert CONNECT_TIMEOUT - 0.1 < took < CONNECT_TIMEOUT + 2


@pytest.mark.parametrize("scheme", SERVERS)
def test_a_port_nobody_listens_on_answers_503_at_once(scheme: str, tmp_path: Path) -> None:
    took, status, body = timed_get(app_on(scheme, free_port(), tmp_path), "/api/tags")
    assert (status, body) == (503, UNAVAILABLE)
    assert took < 1


@pytest.mark.backends("mysql")
def test_mariadb_statements_may_outlast_the_connect_timeout(app: Flask, tmp_path: Path) -> None:
    """PyMySQL reads the greeting with its read timeout, which must not outlive it."""
    url = app.config["SQLALCHEMY_DATABASE_URI"].render_as_string(hide_password=False)
    quick = create_app(environ_for(url, tmp_path, INKWELL_DB_CONNECT_TIMEOUT="1"))
    with quick.app_context():
        try:
            assert db.session.scalar(sa.text("SELECT SLEEP(1.5)")) == 0
        finally:
            db.session.rollback()
            db.engine.dispose()
