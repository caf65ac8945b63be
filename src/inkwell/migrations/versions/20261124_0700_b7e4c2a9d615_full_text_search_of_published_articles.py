"""Full-text search of published articles, on each database's own engine

Revision ID: b7e4c2a9d615
Revises: 5c1e7a9f3b20
Create Date: 2026-11-24 07:00:00

`article_search` holds one row per published article: title, tag names,
description and the body as plain text. Each database indexes it its own
way (see `inkwell.fulltext`, whose object names this revision spells out,
frozen as they were):

- SQLite: an external-content FTS5 table with the porter tokenizer, kept in
  step by three triggers;
- PostgreSQL: a stored generated, weighted `tsvector` column in the language
  of `INKWELL_SEARCH_LANGUAGE`, with a GIN index;
- MariaDB: two InnoDB FULLTEXT indexes (title and tags; everything), built
  without a stop-word list so that every word of three letters or more is found.

Upgrading fills the table from the published articles, in batches; downgrading
drops it with everything the engine built on it.
"""

import re
from html import unescape

import nh3
import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import mysql

revision = "b7e4c2a9d615"
down_revision = "5c1e7a9f3b20"
branch_labels = None
depends_on = None

BATCH = 500

SQLITE = [
    "CREATE VIRTUAL TABLE article_search_fts USING fts5("
    "title, tags, description, body, content='article_search', content_rowid='article_id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER article_search_ai AFTER INSERT ON article_search BEGIN "
    "INSERT INTO article_search_fts(rowid, title, tags, description, body) "
    "VALUES (new.article_id, new.title, new.tags, new.description, new.body); END",
    "CREATE TRIGGER article_search_ad AFTER DELETE ON article_search BEGIN "
    "INSERT INTO article_search_fts(article_search_fts, rowid, title, tags, description, body) "
    "VALUES ('delete', old.article_id, old.title, old.tags, old.description, old.body); END",
    "CREATE TRIGGER article_search_au AFTER UPDATE ON article_search BEGIN "
    "INSERT INTO article_search_fts(article_search_fts, rowid, title, tags, description, body) "
    "VALUES ('delete', old.article_id, old.title, old.tags, old.description, old.body); "
    "INSERT INTO article_search_fts(rowid, title, tags, description, body) "
    "VALUES (new.article_id, new.title, new.tags, new.description, new.body); END",
]
MARIADB = [
    "CREATE FULLTEXT INDEX ix_article_search_title_tags ON article_search (title, tags)",
    "CREATE FULLTEXT INDEX ix_article_search_everything "
    "ON article_search (title, tags, description, body)",
]


def postgresql(language):
    """The weighted document column and its index; `language` is a checked name."""
    weighted = " || ".join(
        f"setweight(to_tsvector('{language}'::regconfig, coalesce({column}, '')), '{weight}')"
        for column, weight in [("title", "A"), ("tags", "A"), ("description", "B"), ("body", "C")]
    )
    return [
        f"ALTER TABLE article_search ADD COLUMN document tsvector "
        f"GENERATED ALWAYS AS ({weighted}) STORED",
        "CREATE INDEX ix_article_search_document ON article_search USING gin (document)",
    ]


def upgrade():
    op.create_table(
        "article_search",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column(
            "body", sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_search_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_search")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    name = op.get_bind().dialect.name
    if name == "sqlite":
        statements = SQLITE
    elif name == "postgresql":
        statements = postgresql(current_app.config["INKWELL_SEARCH_LANGUAGE"])
    else:
        # The index takes the session's stop-word setting when it is built.
        statements = ["SET SESSION innodb_ft_enable_stopword = OFF", *MARIADB]
    for statement in statements:
        op.execute(statement)
    if name not in ("sqlite", "postgresql"):
        op.execute("SET SESSION innodb_ft_enable_stopword = ON")
    _fill()


def downgrade():
    name = op.get_bind().dialect.name
    if name == "sqlite":
        for trigger in ("article_search_ai", "article_search_ad", "article_search_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE article_search_fts")
    op.drop_table("article_search")


# The tables as this revision knows them, not as the models may later be.
articles = sa.table(
    "articles",
    sa.column("id"),
    sa.column("title"),
    sa.column("description"),
    sa.column("body_html"),
    sa.column("published_at"),
)
article_tags = sa.table("article_tags", sa.column("article_id"), sa.column("tag_id"))
tags = sa.table("tags", sa.column("id"), sa.column("name"))
article_search = sa.table(
    "article_search",
    sa.column("article_id"),
    sa.column("title"),
    sa.column("tags"),
    sa.column("description"),
    sa.column("body"),
)
_UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")
_BLANKS = re.compile(r"\s*\n\s*")


def _fill():
    """One row per published article, its body as the words of its HTML."""
    connection = op.get_bind()
    after = 0
    while True:
        batch = connection.execute(
            sa.select(articles.c.id, articles.c.title, articles.c.description, articles.c.body_html)
            .where(articles.c.published_at.is_not(None), articles.c.id > after)
            .order_by(articles.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        names = {}
        for article_id, name in connection.execute(
            sa.select(article_tags.c.article_id, tags.c.name)
            .join(tags, tags.c.id == article_tags.c.tag_id)
            .where(article_tags.c.article_id.in_([row.id for row in batch]))
            .order_by(tags.c.name)
        ):
            names.setdefault(article_id, []).append(name)
        connection.execute(
            article_search.insert(),
            [
                {
                    "article_id": row.id,
                    "title": row.title,
                    "tags": " ".join(names.get(row.id, [])),
                    "description": row.description,
                    "body": _plain(row.body_html),
                }
                for row in batch
            ],
        )
        after = batch[-1].id


def _plain(html):
    text = unescape(nh3.clean(html, tags=set()))
    return _BLANKS.sub("\n", _UNSEEN.sub(" ", text)).strip()
