"""Published totals: a counters table and tags.published_count

Revision ID: a59f158298d7
Revises: d4487b835368
Create Date: 2026-11-23 19:45:24

A list's total came from counting matching articles on every request, which
grows with the archive. The number of published articles and, per tag, the
number of published articles carrying it are now kept as content changes.
Upgrading fills both from the existing content; downgrading drops them.
"""

import sqlalchemy as sa
from alembic import op

revision = "a59f158298d7"
down_revision = "d4487b835368"
branch_labels = None
depends_on = None


def upgrade():
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )

    # The tables as this revision knows them, not as the models may later be.
    articles = sa.table("articles", sa.column("id"), sa.column("published_at"))
    article_tags = sa.table("article_tags", sa.column("article_id"), sa.column("tag_id"))
    tags = sa.table("tags", sa.column("id"), sa.column("published_count"))
    published = (
        sa.select(sa.func.count())
        .select_from(articles)
        .where(articles.c.published_at.is_not(None))
        .scalar_subquery()
    )
    op.execute(
        counters.insert().from_select(
            ["name", "value"], sa.select(sa.literal("published_articles"), published)
        )
    )
    per_tag = (
        sa.select(sa.func.count())
        .select_from(article_tags.join(articles, articles.c.id == article_tags.c.article_id))
        .where(article_tags.c.tag_id == tags.c.id, articles.c.published_at.is_not(None))
        .scalar_subquery()
    )
    op.execute(tags.update().values(published_count=per_tag))


def downgrade():
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("published_count")
    op.drop_table("counters")
