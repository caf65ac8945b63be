"""Article views: a total per article and day, the last day's readers, the day's key

Revision ID: 5dd3bce7c97a
Revises:
Create Date: 2026-11-24 15:58:12

The first revision of the analytics database (`inkwell.models.views`).
`article_views` holds how many views each article had each UTC day;
`recent_views` holds who read which article in which hour, as a keyed
hash, for a day, so that a reader counts once an hour whichever app server
saw them; `reader_keys` holds the secret each day's hashes are made with,
deleted once the day is over. All three start empty: no views were counted
before this revision.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "5dd3bce7c97a"
down_revision = None
branch_labels = None
depends_on = None

TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def utc_datetime():
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "article_views",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "day", name=op.f("pk_article_views")),
        **TABLE_OPTIONS,
    )
    op.create_index("ix_article_views_day", "article_views", ["day"])
    op.create_table(
        "reader_keys",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_reader_keys")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "recent_views",
        sa.Column("hour", utc_datetime(), nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reader", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("hour", "article_id", "reader", name=op.f("pk_recent_views")),
        **TABLE_OPTIONS,
    )


def downgrade():
    op.drop_table("recent_views")
    op.drop_table("reader_keys")
    op.drop_index("ix_article_views_day", table_name="article_views")
    op.drop_table("article_views")
