"""Export and import: portable JSON lines between any two of the three databases."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from inkwell.ops import portable
from inkwell.services.accounts import register
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.transactions import unit_of_work
from tests.conftest import BACKENDS
from tests.databases import Backend
from tests.ops.conftest import app_on

PAIRS = [("sqlite", "postgresql"), ("postgresql", "mysql"), ("mysql", "sqlite")]


@pytest.mark.parametrize(("origin", "destination"), PAIRS)
def test_export_import_round_trips_between_databases(
    origin: str, destination: str, tmp_path: Path
) -> None:
    for name in (origin, destination):
        if BACKENDS[name].problem:
            pytest.skip(f"{BACKENDS[name].label} not available")
    source_url = BACKENDS[origin].fresh_url("inkwell_test_export_source", tmp_path)
    target_url = BACKENDS[destination].fresh_url("inkwell_test_export_target", tmp_path)
    exported = io.StringIO()
    with app_on(source_url, tmp_path) as source:
        result = source.test_cli_runner().invoke(
            args=["seed", "--users", "6", "--articles", "60", "--seed", "5"]
        )
        assert result.exit_code == 0, result.output
        with unit_of_work():
            author = register("Ünïcode", "uni@example.com", "long enough")
            create_article(
                author,
                ArticleDraft("日本語 and émoji 🎉", "d", "Body\n\n| a |\n|---|\n| 1 |", ("ß",)),
            )
        counts = portable.export(exported)
        digest = portable.content_digest()
    with app_on(target_url, tmp_path) as target:
        with unit_of_work():
            assert portable.import_(io.StringIO(exported.getvalue())) == counts
        assert portable.content_digest() == digest
        # The imported database keeps working: new rows get fresh ids.
        with unit_of_work():
            later = register("after-import", "after@example.com", "long enough")
        assert later.id > counts["users"]
        result = target.test_cli_runner().invoke(args=["import", "-"], input=exported.getvalue())
        assert result.exit_code == 1 and "needs an empty one" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not an Inkwell export"),
        ('{"format": "other"}\n', "not an Inkwell export"),
        ('{"format": "inkwell-export", "version": 99}\n', "version 99"),
        ("HEADER\n{not json\n", "not an Inkwell export"),
    ],
)
def test_import_rejects_bad_files_cleanly(
    backend: Backend, tmp_path: Path, text: str, message: str
) -> None:
    url = backend.fresh_url("inkwell_test_import_bad", tmp_path)
    with app_on(url, tmp_path) as app:
        result = app.test_cli_runner().invoke(args=["import", "-"], input=text)
    assert result.exit_code == 1 and message in result.output
