"""A restore never leaves the database worse than it found it, on every database.

Each test restores through the `inkwell restore` command, as an operator
does, into a database that already holds content: a file that is not a good
backup of this kind of database must be refused with one line and leave that
content exactly as it was; a good backup must replace it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask_migrate import upgrade

from inkwell.extensions import db
from inkwell.models import User
from inkwell.ops import backup as backups
from inkwell.ops.backup import mysql
from tests.databases import Backend
from tests.ops.conftest import app_on

FIRST_REVISION = "d4487b835368"
HEADERS = {
    "sqlite": b"SQLite format 3\x00",
    "postgresql": b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01",
    "mysql": b"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n--\n",
}
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}


@dataclass(frozen=True)
class Backup:
    """A good backup of a seeded database, and what that database held."""

    path: Path
    content: dict[str, Any]


def content() -> dict[str, Any]:
    """What a restore must keep or bring: every table's row count and the user names."""
    db.session.remove()
    counts = {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    names = sorted(db.session.scalars(sa.select(User.username)))
    db.session.remove()
    return {"counts": counts, "users": names}


def restore(app: Flask, path: Path, *extra: str) -> Result:
    return app.test_cli_runner().invoke(args=["restore", str(path), *extra])


def assert_one_line_error(result: Result, *words: str) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def scratch_databases(backend: Backend) -> list[str]:
    """Databases a MariaDB restore made beside the target and left behind."""
    if backend.name != "mysql":
        return []
    schemas = set(sa.inspect(db.engine).get_schema_names())
    return [name for name in mysql.scratch_names(str(db.engine.url.database)) if name in schemas]


@pytest.fixture
def good(backend: Backend, tmp_path: Path) -> Backup:
    url = backend.fresh_url("inkwell_test_restore_source", tmp_path)
    with app_on(url, tmp_path) as source:
        runner = source.test_cli_runner()
        seeded = runner.invoke(args=["seed", "--users", "3", "--articles", "12", "--seed", "1"])
        assert seeded.exit_code == 0, seeded.output
        made = runner.invoke(args=["backup", "--output", str(tmp_path / "good")])
        assert made.exit_code == 0, made.output
        (path,) = (tmp_path / "good").iterdir()
        return Backup(path, content())


@pytest.fixture
def target(backend: Backend, tmp_path: Path) -> Iterator[Flask]:
    """A database holding content of its own, different from the good backup's."""
    url = backend.fresh_url("inkwell_test_restore_target", tmp_path)
    with app_on(url, tmp_path) as app:
        seeded = app.test_cli_runner().invoke(
            args=["seed", "--users", "2", "--articles", "5", "--seed", "2"]
        )
        assert seeded.exit_code == 0, seeded.output
        yield app


def truncated(good: Backup, folder: Path, backend: Backend) -> Path:
    """The good backup cut at a line end near its middle, as a full disk or a lost
    connection leaves it: every statement in it is whole, but half are missing."""
    data = good.path.read_bytes()
    cut = data.rfind(b"\n", 0, len(data) // 2) + 1 or len(data) // 2
    path = folder / f"truncated{good.path.suffix}"
    path.write_bytes(data[:cut])
    return path


def cut_short(good: Backup, folder: Path, backend: Backend) -> Path:
    """The good backup missing only its last bytes: a pg_dump archive's table of
    contents, at its start, still reads, and only restoring its last data can tell."""
    data = good.path.read_bytes()
    path = folder / f"cut-short{good.path.suffix}"
    path.write_bytes(data[: len(data) - 64])
    return path


def foreign(good: Backup, folder: Path, backend: Backend) -> Path:
    """A complete, sound backup of some other application's database."""
    url = backend.fresh_url("inkwell_test_restore_foreign", folder)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO notes (id) VALUES (1)")
    engine.dispose()
    return backups.backup(backups.Target(sa.make_url(url)), folder / "foreign")


def garbage(good: Backup, folder: Path, backend: Backend) -> Path:
    path = folder / f"garbage{good.path.suffix}"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def corrupt(good: Backup, folder: Path, backend: Backend) -> Path:
    """A file that starts like a backup of this database's kind and then is garbage;
    a dump's last line is kept, so that only restoring it can tell."""
    path = folder / f"corrupt{good.path.suffix}"
    ending = good.path.read_bytes().rstrip().rsplit(b"\n", 1)[-1]
    noise = os.urandom(64 * 1024) if backend.name != "mysql" else b"INSERT INTO nowhere;\n" * 9
    path.write_bytes(HEADERS[backend.name] + noise + b"\n" + ending + b"\n")
    return path


@pytest.mark.parametrize("spoil", [truncated, cut_short, garbage, corrupt, foreign])
def test_a_bad_file_is_refused_and_the_content_stays(
    backend: Backend, tmp_path: Path, good: Backup, target: Flask, spoil: Any
) -> None:
    before = content()
    path = spoil(good, tmp_path, backend)
    result = restore(target, path, "--force")
    assert content() == before
    assert scratch_databases(backend) == []
    assert_one_line_error(result, path.name)


def test_a_good_backup_replaces_existing_content(
    backend: Backend, good: Backup, target: Flask
) -> None:
    result = restore(target, good.path, "--force")
    assert result.exit_code == 0, result.output
    assert content() == good.content
    assert scratch_databases(backend) == []


def test_a_backup_restores_under_any_name(
    backend: Backend, tmp_path: Path, good: Backup, target: Flask
) -> None:
    renamed = good.path.rename(tmp_path / "b.bak")
    result = restore(target, renamed, "--force")
    assert result.exit_code == 0, result.output
    assert content() == good.content


def test_the_backup_command_output_restores_under_its_own_name(
    backend: Backend, tmp_path: Path, target: Flask
) -> None:
    before = content()
    made = target.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "b.bak")])
    assert made.exit_code == 0, made.output
    url = backend.fresh_url("inkwell_test_restore_empty", tmp_path)
    with app_on(url, tmp_path, migrate=False) as empty:
        result = restore(empty, tmp_path / "b.bak")
        assert result.exit_code == 0, result.output
        assert content() == before


def test_a_non_empty_database_needs_force(good: Backup, target: Flask) -> None:
    before = content()
    assert_one_line_error(restore(target, good.path), "not empty", "--force")
    assert content() == before


def test_a_backup_of_another_kind_of_database_is_named_as_such(
    backend: Backend, tmp_path: Path, target: Flask
) -> None:
    before = content()
    path = tmp_path / "b.bak"
    for other in sorted(HEADERS.keys() - {backend.name}):
        path.write_bytes(HEADERS[other] + b"\n" * 64)
        line = assert_one_line_error(restore(target, path, "--force"))
        assert line == (
            f"Error: b.bak is a {LABELS[other]} backup; this database is {LABELS[backend.name]}"
        )
    assert content() == before


def test_a_missing_file_or_a_folder_is_one_line(tmp_path: Path, target: Flask) -> None:
    before = content()
    assert_one_line_error(restore(target, tmp_path / "nothing.bak", "--force"), "nothing.bak")
    (tmp_path / "folder.sqlite3").mkdir()
    assert_one_line_error(restore(target, tmp_path / "folder.sqlite3", "--force"), "folder")
    assert content() == before


def test_a_backup_of_an_older_schema_restores_and_then_upgrades(
    backend: Backend, tmp_path: Path, target: Flask
) -> None:
    url = backend.fresh_url("inkwell_test_restore_old", tmp_path)
    with app_on(url, tmp_path, migrate=False) as old:
        upgrade(revision=FIRST_REVISION)
        made = old.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "old")])
        assert made.exit_code == 0, made.output
    (path,) = (tmp_path / "old").iterdir()
    result = restore(target, path, "--force")
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        revision = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert revision == FIRST_REVISION
    assert "counters" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert content()["users"] == []
    assert scratch_databases(backend) == []


@pytest.mark.backends("mysql")
def test_a_mariadb_dump_that_names_a_database_is_refused(
    backend: Backend, tmp_path: Path, good: Backup, target: Flask
) -> None:
    """A dump made with --databases switches to the database it names, which would
    write straight into the target instead of beside it."""
    before = content()
    header, rest = good.path.read_bytes().split(b"\n\n", 1)
    path = tmp_path / "databases.sql"
    path.write_bytes(header + f"\n\nUSE `{db.engine.url.database}`;\n".encode() + rest)
    result = restore(target, path, "--force")
    assert content() == before
    assert_one_line_error(result, "names a database")


@pytest.mark.backends("mysql")
def test_a_mariadb_restore_never_drops_a_scratch_database_it_did_not_make(
    backend: Backend, good: Backup, target: Flask
) -> None:
    """An interrupted restore may have left the replaced tables there: only the operator
    may decide they are not needed."""
    before = content()
    left = mysql.scratch_names(str(db.engine.url.database)).replaced
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE `{left}`")
        connection.exec_driver_sql(f"CREATE TABLE `{left}`.users (id INTEGER PRIMARY KEY)")
    try:
        assert_one_line_error(restore(target, good.path, "--force"), left, "exists already")
        assert content() == before
        assert sa.inspect(db.engine).get_table_names(schema=left) == ["users"]
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP DATABASE `{left}`")


def test_mariadb_scratch_names_fit_and_stay_apart() -> None:
    long = "x" * 60
    names = {*mysql.scratch_names(long), *mysql.scratch_names(long[:-1] + "y")}
    assert len(names) == 4 and all(len(name) <= 64 for name in names)
    assert mysql.scratch_names("inkwell") == ("inkwell_restoring", "inkwell_replaced")
