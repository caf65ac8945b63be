"""Export and import: portable JSON lines between any two of the three databases.

An export proves it is whole (counts and a checksum on its closing line) and
an import checks the whole file before it writes a row, so a cut, damaged or
hand-made file is refused in one line that names where, and the database is
left empty.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from inkwell.cli import cli
from inkwell.extensions import db
from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article, article_tags
from inkwell.ops import portable
from inkwell.services.accounts import register
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.transactions import unit_of_work
from tests.conftest import BACKENDS, environ_for, stale_tag_links
from tests.databases import Backend
from tests.ops.conftest import app_on

PAIRS = [("sqlite", "postgresql"), ("postgresql", "mysql"), ("mysql", "sqlite")]
SEED = ["seed", "--users", "4", "--articles", "12", "--seed", "5"]


@pytest.mark.parametrize(("origin", "destination"), PAIRS)
def test_export_import_round_trips_between_databases(
    origin: str, destination: str, tmp_path: Path
) -> None:
    for name in (origin, destination):
        if BACKENDS[name].problem:
            pytest.skip(f"{BACKENDS[name].label} not available")
    source_url = BACKENDS[origin].fresh_url("inkwell_test_export_source", tmp_path)
    target_url = BACKENDS[destination].fresh_url("inkwell_test_export_target", tmp_path)
    exported = io.BytesIO()
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
            assert portable.import_(io.BytesIO(exported.getvalue())) == counts
        assert portable.content_digest() == digest
        # The imported database keeps working: new rows get fresh ids.
        with unit_of_work():
            later = register("after-import", "after@example.com", "long enough")
        assert later.id > counts["users"]
        result = target.test_cli_runner().invoke(args=["import", "-"], input=exported.getvalue())
        assert "needs an empty one" in refusal(result)


@pytest.fixture(scope="module")
def exported(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A complete export of seeded content on the current backend."""
    folder = tmp_path_factory.mktemp("exported")
    with app_on(backend.fresh_url("inkwell_test_export_seeded", folder), folder) as app:
        result = app.test_cli_runner().invoke(args=SEED)
        assert result.exit_code == 0, result.output
        out = io.BytesIO()
        portable.export(out)
    return out.getvalue()


def refusal(result: Result) -> str:
    """The one line a refused command printed; fails unless it exited 1 with just that."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def exported_rows(exported: bytes, table: str) -> list[dict[str, Any]]:
    """The rows of `table` in an export."""
    entries = [json.loads(raw) for raw in exported.splitlines()]
    return [entry["row"] for entry in entries if entry.get("table") == table]


def content_rows() -> int:
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[name])) or 0
        for name in portable.TABLES
    )


def import_refused(backend: Backend, tmp_path: Path, content: bytes | str) -> str:
    """Import `content` into an empty database; returns the refusal, having seen it still empty."""
    url = backend.fresh_url("inkwell_test_import_bad", tmp_path)
    with app_on(url, tmp_path) as app:
        message = refusal(app.test_cli_runner().invoke(args=["import", "-"], input=content))
        assert content_rows() == 0
    return message


def reseal(lines: list[bytes]) -> bytes:
    """The file with its checksum made to match its lines again, as a careful forger would."""
    body = b"".join(lines[:-1])
    closing = json.loads(lines[-1])
    closing["sha256"] = hashlib.sha256(body).hexdigest()
    return body + json.dumps(closing).encode() + b"\n"


def with_row(lines: list[bytes], number: int, change: Callable[[dict[str, Any]], Any]) -> bytes:
    """The file with the row on line `number` changed and the checksum resealed."""
    entry = json.loads(lines[number - 1])
    change(entry["row"])
    changed = [*lines]
    changed[number - 1] = json.dumps(entry).encode() + b"\n"
    return reseal(changed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: not an Inkwell export"),
        ('{"format": "other"}\n', "line 1: not an Inkwell export"),
        ('{"format": "inkwell-export", "version": 99}\n', "version 99"),
        ("HEADER\n{not json\n", "line 1: not an Inkwell export"),
        (bytes(range(256)) * 64, "line 1: not an Inkwell export"),
    ],
)
def test_import_rejects_what_is_not_an_export(
    backend: Backend, tmp_path: Path, text: str | bytes, message: str
) -> None:
    assert message in import_refused(backend, tmp_path, text)


def set_column(column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.__setitem__(column, value)


# Line 2 holds the first user.
ROW_FAULTS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "missing column": (lambda row: row.pop("email"), "line 2: the users row lacks email"),
    "unknown column": (
        lambda row: row.update(nickname="x"),
        "line 2: unknown columns ['nickname'] for users",
    ),
    "integer timestamp": (
        set_column("created_at", 1_700_000_000),
        "line 2: users.created_at is not a timestamp",
    ),
    "timestamp without zone": (
        set_column("created_at", "2024-01-01T00:00:00"),
        "line 2: users.created_at is not a timestamp",
    ),
    "timestamp before year 1 in UTC": (
        set_column("created_at", "0001-01-01T00:00:00+01:00"),
        "line 2: users.created_at is out of range",
    ),
    "huge id": (set_column("id", 2**70), "line 2: users.id is out of range"),
    "boolean id": (set_column("id", True), "line 2: users.id is not an integer"),
    "text id": (set_column("id", "1"), "line 2: users.id is not an integer"),
    "null email": (set_column("email", None), "line 2: users.email cannot be null"),
    "long username": (
        set_column("username", "x" * 41),
        "line 2: users.username is longer than 40 characters",
    ),
    "NUL character": (
        set_column("bio", "a\x00b"),
        "line 2: users.bio holds a character no database can store",
    ),
    "unknown role": (
        set_column("role", "owner"),
        "line 2: users.role is not one of member, editor, admin",
    ),
}


@pytest.mark.parametrize("fault", list(ROW_FAULTS))
def test_import_checks_each_row_against_its_table(
    backend: Backend, tmp_path: Path, exported: bytes, fault: str
) -> None:
    change, message = ROW_FAULTS[fault]
    content = with_row(exported.splitlines(keepends=True), 2, change)
    assert message in import_refused(backend, tmp_path, content)


def cut_at_line(lines: list[bytes]) -> tuple[bytes, str]:
    keep = len(lines) // 2
    return b"".join(lines[:keep]), f"line {keep}: the file ends before its closing line"


def cut_in_a_line(lines: list[bytes]) -> tuple[bytes, str]:
    keep = len(lines) // 2
    return b"".join(lines[:keep]) + lines[keep][:20], f"line {keep + 1}: not JSON"


def header_only(lines: list[bytes]) -> tuple[bytes, str]:
    return lines[0], "line 1: the file ends before its closing line"


def not_utf8(lines: list[bytes]) -> tuple[bytes, str]:
    return reseal([*lines[:2], b"\xff\xfe" + lines[2], *lines[3:]]), "line 3: not UTF-8 text"


def deeply_nested(lines: list[bytes]) -> tuple[bytes, str]:
    nested = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    return reseal([*lines[:2], nested, *lines[3:]]), "line 3: nested too deeply"


def changed_value(lines: list[bytes]) -> tuple[bytes, str]:
    changed = [*lines]
    changed[1] = lines[1].replace(b'"role": "member"', b'"role": "admin"')
    assert changed[1] != lines[1]
    return b"".join(changed), f"line {len(lines)}: the checksum does not match"


def missing_row(lines: list[bytes]) -> tuple[bytes, str]:
    return reseal([*lines[:2], *lines[3:]]), f"line {len(lines) - 1}: the closing line counts"


def after_the_end(lines: list[bytes]) -> tuple[bytes, str]:
    return b"".join([*lines, lines[1]]), f"line {len(lines) + 1}: text after the closing line"


def out_of_order(lines: list[bytes]) -> tuple[bytes, str]:
    last = len(lines) - 2  # the last row: a comment, after every user
    moved = [lines[0], lines[last], *lines[1:last], lines[-1]]
    return reseal(moved), "line 3: table 'users' comes after 'comments'"


def version_1(lines: list[bytes]) -> tuple[bytes, str]:
    header = json.loads(lines[0])
    header["version"] = 1
    old = [json.dumps(header).encode() + b"\n", *lines[1:-1]]
    return b"".join(old), "line 1: export format version 1 has no checksum"


@pytest.mark.parametrize(
    "fault",
    [
        cut_at_line,
        cut_in_a_line,
        header_only,
        not_utf8,
        deeply_nested,
        changed_value,
        missing_row,
        after_the_end,
        out_of_order,
        version_1,
    ],
)
def test_import_refuses_a_file_that_is_not_whole(
    backend: Backend,
    tmp_path: Path,
    exported: bytes,
    fault: Callable[[list[bytes]], tuple[bytes, str]],
) -> None:
    content, message = fault(exported.splitlines(keepends=True))
    assert message in import_refused(backend, tmp_path, content)


class Pipe(io.BytesIO):
    """A stream that can be read only once, as from `inkwell import - < ...` through a pipe."""

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("seek")


class Rewritten(io.BytesIO):
    """A file that someone replaces between the import's check and its load."""

    def __init__(self, first: bytes, second: bytes) -> None:
        super().__init__(first)
        self.second: bytes | None = second

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.second is not None:
            second, self.second = self.second, None
            super().seek(0)
            self.truncate()
            self.write(second)
        return super().seek(offset, whence)


def test_import_reads_a_stream_it_cannot_rewind(
    backend: Backend, tmp_path: Path, exported: bytes
) -> None:
    with app_on(backend.fresh_url("inkwell_test_import_pipe", tmp_path), tmp_path):
        with unit_of_work():
            counts = portable.import_(Pipe(exported))
        assert sum(counts.values()) == content_rows() == len(exported.splitlines()) - 2


def test_an_export_leaves_the_html_out_and_an_import_renders_it(
    backend: Backend, tmp_path: Path, exported: bytes
) -> None:
    articles = exported_rows(exported, "articles")
    assert articles and not any("body_html" in row for row in articles)
    with app_on(backend.fresh_url("inkwell_test_import_html", tmp_path), tmp_path):
        with unit_of_work():
            portable.import_(io.BytesIO(exported))
        stored = db.session.execute(
            sa.select(Article.body, Article.body_html, Article.body_html_version)
        ).all()
    assert len(stored) == len(articles)
    assert all(
        (html, version) == (render_markdown(body), RENDERER_VERSION)
        for body, html, version in stored
    )


def test_an_export_leaves_the_tag_links_times_out_and_an_import_copies_them(
    backend: Backend, tmp_path: Path, exported: bytes
) -> None:
    links = exported_rows(exported, "article_tags")
    assert links and not any("published_at" in row for row in links)
    with app_on(backend.fresh_url("inkwell_test_import_links", tmp_path), tmp_path):
        with unit_of_work():
            portable.import_(io.BytesIO(exported))
        timed = sa.select(sa.func.count()).where(article_tags.c.published_at.is_not(None))
        assert stale_tag_links() == []
        assert db.session.scalar(timed)


def test_import_writes_nothing_when_the_file_changes_after_its_check(
    backend: Backend, tmp_path: Path, exported: bytes
) -> None:
    lines = exported.splitlines(keepends=True)
    cut = b"".join(lines[: len(lines) // 2])
    with app_on(backend.fresh_url("inkwell_test_import_changed", tmp_path), tmp_path):
        with pytest.raises(portable.PortableError, match="closing line"), unit_of_work():
            portable.import_(Rewritten(exported, cut))
        assert content_rows() == 0


def test_export_to_a_file_is_private_and_whole(backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    path = folder / "content.jsonl"
    path.write_text("an older export\n")
    with app_on(backend.fresh_url("inkwell_test_export_file", tmp_path), tmp_path) as app:
        runner = app.test_cli_runner()
        assert runner.invoke(args=SEED).exit_code == 0
        result = runner.invoke(args=["export", "--output", str(path)])
        assert result.exit_code == 0, result.output
        # The same content goes to stdout, the default.
        to_stdout = runner.invoke(args=["export"])
        assert to_stdout.exit_code == 0, to_stdout.output
        assert to_stdout.stdout_bytes == path.read_bytes()
    assert [p.name for p in folder.iterdir()] == ["content.jsonl"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body, _, last = path.read_bytes().rstrip(b"\n").rpartition(b"\n")
    closing = json.loads(last)
    assert closing["sha256"] == hashlib.sha256(body + b"\n").hexdigest()
    with app_on(backend.fresh_url("inkwell_test_import_file", tmp_path), tmp_path) as app:
        result = app.test_cli_runner().invoke(args=["import", str(path)])
        assert result.exit_code == 0, result.output
        assert content_rows() == sum(closing["counts"].values())


def unreachable(backend: Backend, folder: Path) -> str:
    """A URL for this kind of database that cannot be opened: nothing listens, or a folder."""
    if backend.server_url is None:
        (folder / "a-folder").mkdir()
        return f"sqlite:///{folder / 'a-folder'}"
    return backend.server_url.set(port=9).render_as_string(hide_password=False)


def test_a_failed_export_leaves_no_file(backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    older = folder / "older.jsonl"
    older.write_text("an older export\n")
    environ = environ_for(unreachable(backend, tmp_path), tmp_path)
    for path in (folder / "new.jsonl", older):
        result = CliRunner().invoke(cli, ["export", "--output", str(path)], env=environ)
        assert "cannot use the database" in refusal(result)
    assert [p.name for p in folder.iterdir()] == ["older.jsonl"]
    assert older.read_text() == "an older export\n"


def test_export_to_an_unwritable_place_is_one_line(backend: Backend, tmp_path: Path) -> None:
    with app_on(backend.fresh_url("inkwell_test_export_nowhere", tmp_path), tmp_path) as app:
        result = app.test_cli_runner().invoke(args=["export", "--output", "/proc/nope"])
    assert "cannot write /proc/nope" in refusal(result)
