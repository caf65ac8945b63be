"""Tag links carry their article's publication time, indexed for a tag's page

Revision ID: 5c1e7a9f3b20
Revises: d2ea9c75cf86
Create Date: 2026-11-24 05:05:00

A tag's page lists the tag's published articles newest first. With only
`(tag_id, article_id)` on the links, every database but PostgreSQL collected
all the tag's articles and sorted them, per request, so the page slowed as
the archive grew. `article_tags.published_at` copies the article's (NULL for
a draft), and `(tag_id, published_at, article_id)` holds a tag's links in
page order. It replaces `(tag_id, article_id)`, whose every use it serves.

Upgrading copies the time from each link's article, then builds the index on
the filled column; downgrading restores the old index and drops the column.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "5c1e7a9f3b20"
down_revision = "d2ea9c75cf86"
branch_labels = None
depends_on = None

NEW_INDEX = "ix_article_tags_tag_id_published_at_article_id"
OLD_INDEX = "ix_article_tags_tag_id_article_id"


def upgrade():
    kind = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", kind, nullable=True))

    # The tables as this revision knows them, not as the models may later be.
    articles = sa.table("articles", sa.column("id"), sa.column("published_at"))
    article_tags = sa.table("article_tags", sa.column("article_id"), sa.column("published_at"))
    published_at = (
        sa.select(articles.c.published_at)
        .where(articles.c.id == article_tags.c.article_id)
        .scalar_subquery()
    )
    op.execute(article_tags.update().values(published_at=published_at))

    # The new index first: on MariaDB the tag's foreign key needs an index on
    # `tag_id` at every moment, and the new one leads with it.
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.create_index(NEW_INDEX, ["tag_id", "published_at", "article_id"])
        batch_op.drop_index(OLD_INDEX)


def downgrade():
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.create_index(OLD_INDEX, ["tag_id", "article_id"])
        batch_op.drop_index(NEW_INDEX)
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.drop_column("published_at")
