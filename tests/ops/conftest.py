"""Apps on databases of a test's own, for drills that back up, restore, export and import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from inkwell import create_app
from inkwell.extensions import db
from inkwell.ops.schema import upgrade
from tests.conftest import environ_for


@contextmanager
def app_on(url: str, instance: Path, *, migrate: bool = True) -> Iterator[Flask]:
    app = create_app(environ_for(url, instance))
    with app.app_context():
        if migrate:
            upgrade()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
