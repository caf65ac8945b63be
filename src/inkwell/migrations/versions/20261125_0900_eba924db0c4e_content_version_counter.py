"""The content version: a counter every change readers can see raises

Revision ID: eba924db0c4e
Revises: aed413e70b1e
Create Date: 2026-11-25 09:00:00

The anonymous readers' response cache keys each page on this number
(`inkwell.scaling.cache`); each transaction that changes content raises it
before it commits. Data only: upgrading inserts the row at 0, downgrading
deletes it.
"""

import sqlalchemy as sa
from alembic import op

revision = "eba924db0c4e"
down_revision = "aed413e70b1e"
branch_labels = None
depends_on = None

# The table as this revision knows it, not as the models may later be.
counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def upgrade():
    op.execute(counters.insert().values(name="content_version", value=0))


def downgrade():
    op.execute(counters.delete().where(counters.c.name == "content_version"))
