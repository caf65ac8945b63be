"""Generated content at scale: demo data for `make run` and large archives for benchmarks.

Rows go in through Core bulk inserts in batches (PostgreSQL's COPY there),
bypassing the ORM's unit of work, because 100k+ articles through services
would take many minutes. Ids are allocated here from the current maximum,
which keeps the links between articles, tags, favorites and comments free of
round trips; seeding therefore assumes it is the only writer, as an
operator's command on a quiet database. Text is drawn from a pool generated
once per run: composing a fresh Markdown body per article would cost more
than writing it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from inkwell.dialects import sync_id_sequences
from inkwell.extensions import db
from inkwell.models import Article, Comment, Favorite, Follow, Tag, User, article_tags, utcnow
from inkwell.models.users import identity_key
from inkwell.services import totals
from inkwell.slugs import slugify

BATCH = 2000
POOL = 1024
BULK = 10_000  # articles from which PostgreSQL's checks are rebuilt after the load
HISTORY = timedelta(days=730)

WORDS = """
ink paper quill draft story chapter river mountain signal garden lantern harbor
engine compass orbit pattern archive letter journey winter summer autumn spring
city forest ocean desert island bridge tower market library kitchen window street
code server query index cache schema migration release test deploy network packet
coffee bread music rhythm colour light shadow memory future history method theory
quiet bright careful honest simple rapid gentle steady hidden open early late
builds writes reads keeps finds makes holds turns shows learns grows carries about
across after before between beyond during through under within without
""".split()
TAGS = """
python flask sqlalchemy postgresql mariadb sqlite databases performance testing
security design writing travel cooking music books science history photography
gardening productivity open-source devops linux web css accessibility career
teaching opinion tutorial news
""".split()
NAMES = """
ada grace alan barbara edsger frances guido linus margaret donald ken dennis radia
hedy katherine tim vint john sophie annie leslie niklaus
""".split()


@dataclass(frozen=True)
class TextPool:
    """Titles (with their slugs), descriptions, bodies and comments to draw from."""

    titles: list[tuple[str, str]]
    descriptions: list[str]
    bodies: list[str]
    comments: list[str]

    @classmethod
    def generate(cls, rng: random.Random, size: int) -> TextPool:
        """`size` of each, from `rng`."""
        titles = [_sentence(rng, 3, 8).rstrip(".") for _ in range(size)]
        return cls(
            titles=[(title, slugify(title)) for title in titles],
            descriptions=[_sentence(rng, 8, 18) for _ in range(size)],
            bodies=[_markdown(rng) for _ in range(size)],
            comments=[_sentence(rng, 6, 30) for _ in range(size)],
        )


@dataclass
class SeedSummary:
    """What a seeding run wrote, for the operator's report."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Every row written, across tables."""
        return sum(self.counts.values())


def seed(
    *,
    users: int,
    articles: int,
    password_hash: str,
    rng: random.Random,
    progress: Callable[[int], None] = lambda _n: None,
) -> SeedSummary:
    """Write `users` users and `articles` articles with tags, follows, favorites, comments.

    Every seeded user shares `password_hash` (hashing thousands of passwords
    would dominate the run). `progress` is told how many articles each batch
    wrote. The caller commits.
    """
    started = time.perf_counter()
    summary = SeedSummary()
    now = utcnow()
    user_ids = _seed_users(users, password_hash, now, rng, summary)
    all_user_ids = user_ids or list(db.session.scalars(sa.select(User.id)))
    if articles and not all_user_ids:
        raise ValueError("articles need authors: seed at least one user")
    tag_ids = _seed_tags()
    summary.counts["follows"] = _insert(Follow, _follows(user_ids, all_user_ids, now, rng))
    first_id = _next_id(Article)
    text = TextPool.generate(rng, min(POOL, articles))
    loaded = [Article.__table__, article_tags, Favorite.__table__, Comment.__table__]
    published = 0
    tagged: Counter[int] = Counter()
    with _checks_deferred(loaded, enabled=articles >= BULK):
        for start in range(0, articles, BATCH):
            size = min(BATCH, articles - start)
            batch = _article_batch(first_id + start, size, all_user_ids, now, rng, text)
            linked = _links(batch, all_user_ids, tag_ids, now, rng, text)
            for table, rows in [(Article, batch), *linked]:
                written = _insert_rows(table, rows)
                summary.counts[_name(table)] = summary.counts.get(_name(table), 0) + written
            public = {row["id"] for row in batch if row["published_at"] is not None}
            published += len(public)
            links = dict(linked)[article_tags]
            tagged.update(row["tag_id"] for row in links if row["article_id"] in public)
            progress(size)
    sync_id_sequences(db.session.connection(), User, Article, Comment)
    # The totals move by what was written, as publishing through the services
    # moves them; recounting a million-article archive would cost seconds more.
    totals.add_published(published)
    for tag_id, count in tagged.items():
        totals.add_tagged(count, [tag_id])
    summary.counts.setdefault("articles", 0)
    summary.seconds = time.perf_counter() - started
    return summary


def _seed_users(
    count: int, password_hash: str, now: datetime, rng: random.Random, summary: SeedSummary
) -> list[int]:
    first = _next_id(User)
    rows: list[dict[str, Any]] = []
    for user_id in range(first, first + count):
        username = f"{rng.choice(NAMES)}_{user_id}"
        email = f"{username}@example.com"
        joined = now - HISTORY * rng.random()
        rows.append(
            {
                "id": user_id,
                "username": username,
                "username_key": identity_key(username),
                "email": email,
                "email_key": identity_key(email),
                "password_hash": password_hash,
                "bio": _sentence(rng, 8, 16) if rng.random() < 0.7 else None,
                "image_url": None,
                "is_admin": False,
                "created_at": joined,
                "updated_at": joined,
            }
        )
    summary.counts["users"] = _insert_rows(User, rows)
    return [row["id"] for row in rows]


def _seed_tags() -> list[int]:
    """The tag vocabulary, reusing tags that already exist."""
    existing = set(db.session.scalars(sa.select(Tag.name).where(Tag.name.in_(TAGS))))
    missing = [{"name": name} for name in TAGS if name not in existing]
    if missing:
        db.session.execute(sa.insert(Tag), missing)
    return list(db.session.scalars(sa.select(Tag.id).where(Tag.name.in_(TAGS))))


def _follows(
    new_ids: Sequence[int], all_ids: Sequence[int], now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    for follower in new_ids:
        others = rng.sample(all_ids, min(len(all_ids), rng.randint(0, 12)))
        for followee in others:
            if followee != follower:
                yield {"follower_id": follower, "followee_id": followee, "created_at": now}


def _article_batch(
    first_id: int,
    size: int,
    user_ids: Sequence[int],
    now: datetime,
    rng: random.Random,
    text: TextPool,
) -> list[dict[str, Any]]:
    rows = []
    for article_id in range(first_id, first_id + size):
        title, slug = rng.choice(text.titles)
        written = now - HISTORY * rng.random()
        draft = rng.random() < 0.04
        rows.append(
            {
                "id": article_id,
                "slug": f"{slug}-{article_id}",
                "title": title,
                "description": rng.choice(text.descriptions),
                "body": rng.choice(text.bodies),
                "author_id": rng.choice(user_ids),
                "created_at": written,
                "updated_at": written,
                "published_at": None if draft else written,
            }
        )
    return rows


def _links(
    batch: list[dict[str, Any]],
    user_ids: Sequence[int],
    tag_ids: Sequence[int],
    now: datetime,
    rng: random.Random,
    text: TextPool,
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Tags, favorites and comments for a batch of articles, in realistic proportions."""
    tags, favorites, comments = [], [], []
    for article in batch:
        article_id = article["id"]
        for tag_id in rng.sample(tag_ids, rng.randint(0, min(4, len(tag_ids)))):
            tags.append({"article_id": article_id, "tag_id": tag_id})
        if article["published_at"] is None:
            continue
        fans = min(len(user_ids), int(rng.expovariate(1 / 4)))
        for user_id in rng.sample(user_ids, fans):
            favorites.append({"user_id": user_id, "article_id": article_id, "created_at": now})
        for _ in range(int(rng.expovariate(1 / 1.5))):
            said = article["published_at"] + (now - article["published_at"]) * rng.random()
            comments.append(
                {
                    "body": rng.choice(text.comments),
                    "article_id": article_id,
                    "author_id": rng.choice(user_ids),
                    "created_at": said,
                    "updated_at": said,
                }
            )
    return [(article_tags, tags), (Favorite, favorites), (Comment, comments)]


def _name(model: Any) -> str:
    return str(model.name if isinstance(model, sa.Table) else model.__tablename__)


def _sentence(rng: random.Random, shortest: int, longest: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(shortest, longest))
    return " ".join(words).capitalize() + "."


def _markdown(rng: random.Random) -> str:
    parts = []
    for number in range(rng.randint(2, 5)):
        if number and rng.random() < 0.3:
            parts.append("## " + _sentence(rng, 2, 5).rstrip("."))
        parts.append(" ".join(_sentence(rng, 6, 16) for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.15:
            parts.append("\n".join(f"- {_sentence(rng, 3, 7)}" for _ in range(3)))
    return "\n\n".join(parts)


def _insert(model: Any, rows: Iterator[dict[str, Any]]) -> int:
    written = 0
    while chunk := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        written += _insert_rows(model, chunk)
    return written


def _insert_rows(model: Any, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = model if isinstance(model, sa.Table) else model.__table__
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, rows)
    else:
        connection.execute(sa.insert(table), rows)
    return len(rows)


@contextmanager
def _checks_deferred(tables: Sequence[Any], *, enabled: bool) -> Iterator[None]:
    """On PostgreSQL, drop the foreign keys and secondary indexes of `tables` for a
    large load and rebuild them after it, as pg_restore does.

    Checking each row's references and inserting it into every index one at a
    time costs several times the load itself; one sorted index build and one
    join per foreign key do the same work in bulk. The drop and rebuild run in
    the seeding transaction, so a failed run leaves the schema untouched, and
    rebuilding the foreign keys still verifies every reference.
    """
    connection = db.session.connection()
    if not enabled or connection.dialect.name != "postgresql":
        yield
        return
    foreign_keys = [key for table in tables for key in table.foreign_key_constraints]
    referenced = {
        key.referred_table
        for table in db.metadata.tables.values()
        for key in table.foreign_key_constraints
        if key not in foreign_keys
    }
    keys = [
        constraint
        for table in tables
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
        or (isinstance(constraint, sa.PrimaryKeyConstraint) and table not in referenced)
    ]
    indexes = [index for table in tables for index in table.indexes]
    # Room to sort a million-row index, and to join a million-row table when a
    # foreign key is checked, in memory rather than in temporary files.
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    for constraint in [*foreign_keys, *keys]:
        connection.execute(sa.schema.DropConstraint(constraint))
    for index in indexes:
        connection.execute(sa.schema.DropIndex(index))
    yield
    for index in indexes:
        connection.execute(sa.schema.CreateIndex(index))
    for constraint in [*keys, *foreign_keys]:
        connection.execute(sa.schema.AddConstraint(constraint))


def _copy_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's binary COPY, in the session's own transaction: several times the
    rate of multi-row INSERTs, which matters at a million articles."""
    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    statement = (
        f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN (FORMAT BINARY)"
    )
    types = _column_types(connection, table.name)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(statement) as copy:
        copy.set_types([types[column] for column in columns])
        values = itemgetter(*columns)
        for row in rows:
            copy.write_row(values(row))


def _column_types(connection: sa.Connection, table: str) -> dict[str, int]:
    """The server's type of each column of `table`, which binary COPY must be told.

    Asked once per table per session (a million articles are thousands of
    batches) and kept in the session's `info`, which ends with the command.
    """
    known: dict[str, dict[str, int]] = db.session.info.setdefault("inkwell.copy_types", {})
    if table in known:
        return known[table]
    found = connection.execute(
        sa.text(
            "SELECT attname, atttypid::int FROM pg_attribute"
            " WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
        ),
        {"table": table},
    )
    known[table] = {name: oid for name, oid in found}
    return known[table]


def _next_id(model: Any) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
