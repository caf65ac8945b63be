"""Generated content at scale: demo data for `make run` and large archives for benchmarks.

Rows go in through Core bulk inserts in batches (PostgreSQL's COPY there, see
`inkwell.seeding.postgres`), bypassing the ORM's unit of work, because 100k+
articles through services would take many minutes. Ids are allocated here
from the current maximum, which keeps the links between articles, tags,
favorites and comments free of round trips; seeding therefore assumes it is
the only writer, as an operator's command on a quiet database.

Seeded articles carry their rendered HTML like any other: bodies come from a
pool, so each pool body is rendered once and its HTML shared by every
article that draws it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from inkwell.dialects import sync_id_sequences
from inkwell.extensions import db
from inkwell.markdown import plain_text
from inkwell.models import (
    Article,
    Comment,
    Favorite,
    Follow,
    SearchDocument,
    Tag,
    User,
    article_tags,
    utcnow,
)
from inkwell.models.identity import identity_key, skeleton
from inkwell.models.users import MEMBER
from inkwell.seeding import postgres
from inkwell.seeding.text import NAMES, TAGS, TextPool, sentence
from inkwell.services import search_index, totals
from inkwell.services.rendering import html_columns

BATCH = 2000
POOL = 1024
BULK = 10_000  # articles from which PostgreSQL's checks are rebuilt after the load
HISTORY = timedelta(days=730)
# Ten times what the benchmarks load: far past any demo, short of a run that
# would fill the disk before anyone noticed.
USERS_MAX = 1_000_000
ARTICLES_MAX = 10_000_000


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
    summary.counts["follows"] = _insert(Follow, _follows(user_ids, all_user_ids, now, rng))
    published = _seed_articles(articles, all_user_ids, now, rng, summary, progress)
    sync_id_sequences(db.session.connection(), User, Article, Comment)
    _add_to_totals(published)
    summary.counts.setdefault("articles", 0)
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass
class Published:
    """How many seeded articles are public, and how many of them carry each tag."""

    articles: int = 0
    per_tag: Counter[int] = field(default_factory=Counter)

    def add(self, batch: list[dict[str, Any]], tag_links: list[dict[str, Any]]) -> None:
        """Count a batch's public articles and their tags."""
        public = {row["id"] for row in batch if row["published_at"] is not None}
        self.articles += len(public)
        self.per_tag.update(row["tag_id"] for row in tag_links if row["article_id"] in public)


def _seed_articles(
    count: int,
    user_ids: Sequence[int],
    now: datetime,
    rng: random.Random,
    summary: SeedSummary,
    progress: Callable[[int], None],
) -> Published:
    """Write `count` articles in batches, each with its tags, favorites and comments."""
    tag_ids = _seed_tags()
    named = db.session.execute(sa.select(Tag.id, Tag.name).where(Tag.id.in_(tag_ids)))
    tag_names = {tag_id: name for tag_id, name in named}
    first_id = _next_id(Article)
    text = TextPool.generate(rng, min(POOL, count))
    rendered = {body: html_columns(body) for body in text.bodies}
    words = {body: plain_text(html["body_html"]) for body, html in rendered.items()}
    loaded = [
        Article.__table__,
        article_tags,
        Favorite.__table__,
        Comment.__table__,
        SearchDocument.__table__,
    ]
    published = Published()
    bulk = count >= BULK
    with _checks_deferred(loaded, enabled=bulk), search_index.bulk_loading(enabled=bulk):
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            batch = _article_batch(first_id + start, size, user_ids, now, rng, text, rendered)
            linked = _links(batch, user_ids, tag_ids, now, rng, text)
            indexed = _search_rows(batch, dict(linked)[article_tags], tag_names, words)
            for table, rows in [(Article, batch), *linked, (SearchDocument, indexed)]:
                written = _insert_rows(table, rows)
                summary.counts[_name(table)] = summary.counts.get(_name(table), 0) + written
            published.add(batch, dict(linked)[article_tags])
            progress(size)
    return published


def _add_to_totals(published: Published) -> None:
    """Move the kept totals by what was written, as publishing through the services
    moves them; recounting a million-article archive would cost seconds more."""
    totals.add_published(published.articles)
    for tag_id, count in published.per_tag.items():
        totals.add_tagged(count, [tag_id])


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
                "username_skeleton": skeleton(username),
                "email": email,
                "email_key": identity_key(email),
                "password_hash": password_hash,
                "bio": sentence(rng, 8, 16) if rng.random() < 0.7 else None,
                "image_url": None,
                "role": MEMBER,
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
    rendered: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    rows = []
    for article_id in range(first_id, first_id + size):
        title, slug = rng.choice(text.titles)
        written = now - HISTORY * rng.random()
        draft = rng.random() < 0.04
        description = rng.choice(text.descriptions)
        body = rng.choice(text.bodies)
        rows.append(
            {
                "id": article_id,
                "slug": f"{slug}-{article_id}",
                "title": title,
                "description": description,
                "body": body,
                **rendered[body],
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
            # The link carries its article's publication time, as the services keep it.
            tags.append(
                {
                    "article_id": article_id,
                    "tag_id": tag_id,
                    "published_at": article["published_at"],
                }
            )
        if article["published_at"] is None:
            continue
        fans = min(len(user_ids), int(rng.expovariate(1 / 4)))
        for user_id in rng.sample(user_ids, fans):
            liked = article["published_at"] + (now - article["published_at"]) * rng.random()
            favorites.append({"user_id": user_id, "article_id": article_id, "created_at": liked})
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


def _search_rows(
    batch: list[dict[str, Any]],
    links: list[dict[str, Any]],
    tag_names: dict[int, str],
    words: dict[str, str],
) -> list[dict[str, Any]]:
    """The search index rows of a batch's published articles, as the services write
    them (`services.search_index.document`), from the pool's words."""
    tags: dict[int, list[str]] = {}
    for link in links:
        tags.setdefault(link["article_id"], []).append(tag_names[link["tag_id"]])
    return [
        {
            "article_id": article["id"],
            "title": article["title"],
            "tags": " ".join(sorted(tags.get(article["id"], []))),
            "description": article["description"],
            "body": words[article["body"]],
        }
        for article in batch
        if article["published_at"] is not None
    ]


def _name(model: Any) -> str:
    return str(model.name if isinstance(model, sa.Table) else model.__tablename__)


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
        postgres.copy_rows(connection, table, rows)
    else:
        connection.execute(sa.insert(table), rows)
    return len(rows)


def _checks_deferred(tables: Sequence[Any], *, enabled: bool) -> AbstractContextManager[None]:
    """Rebuild keys and indexes after the load instead of row by row, where the
    database has a bulk loader that pays for it (PostgreSQL)."""
    connection = db.session.connection()
    if enabled and connection.dialect.name == "postgresql":
        return postgres.checks_deferred(connection, tables)
    return nullcontext()


def _next_id(model: Any) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
