"""Articles store their rendered HTML and the renderer version that made it

Revision ID: 3a7501a121fe
Revises: a59f158298d7
Create Date: 2026-11-24 03:34:00

Markdown was rendered on every page view and feed request, up to half a
second for a long article. `articles.body_html` now holds the sanitised HTML,
written with the body, and `articles.body_html_version` the renderer version
that made it (inkwell.markdown.RENDERER_VERSION).

Upgrading renders nothing: a migration must not depend on the app's
renderer, and rendering every article would hold the schema change for
minutes on a large archive. Existing rows get an empty HTML and version 0,
"never rendered"; Inkwell renders such rows on read, correctly but as slowly
as before, until `inkwell content rerender` has stored their HTML.

MariaDB's TEXT holds 65,535 bytes, less than an article body may take
(100,000 characters, up to four bytes each) and less than its HTML: both
columns are LONGTEXT there. Downgrading drops the two columns and gives
`body` back its TEXT, which fails on MariaDB if a body no longer fits it.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "3a7501a121fe"
down_revision = "a59f158298d7"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def on_mariadb():
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade():
    if on_mariadb():
        op.alter_column(
            "articles", "body", type_=mysql.LONGTEXT(), existing_type=sa.Text(), nullable=False
        )
    # Added nullable and filled, then made NOT NULL: MySQL refuses a default on
    # a TEXT column, so the usual server default cannot fill the existing rows.
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_html", LONG_TEXT, nullable=True))
        batch_op.add_column(
            sa.Column(
                "body_html_version", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )
    articles = sa.table("articles", sa.column("body_html"))
    op.execute(articles.update().values(body_html=""))
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.alter_column("body_html", existing_type=LONG_TEXT, nullable=False)
        batch_op.alter_column(
            "body_html_version",
            existing_type=sa.Integer(),
            existing_nullable=False,
            existing_server_default=sa.text("0"),
            server_default=None,
        )


def downgrade():
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("body_html_version")
        batch_op.drop_column("body_html")
    if on_mariadb():
        op.alter_column(
            "articles", "body", type_=sa.Text(), existing_type=mysql.LONGTEXT(), nullable=False
        )
