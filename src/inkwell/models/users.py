"""Users and who follows whom."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base, utcnow
from inkwell.models.identity import identity_key, skeleton

USERNAME_MAX = 40
# A look-alike's representative can be longer than the character it stands for.
USERNAME_SKELETON_MAX = 4 * USERNAME_MAX
EMAIL_MAX = 254
IMAGE_URL_MAX = 2048

MEMBER, EDITOR, ADMIN = "member", "editor", "admin"
ROLES = (MEMBER, EDITOR, ADMIN)
"""What an account may do, each role including the one before it: a member
manages their own content, an editor moderates everyone's, an admin also
changes roles (`inkwell.services.roles`)."""


class User(Base):
    """An account: a reader, an author, or an administrator.

    `username_key` and `email_key` hold the normalised, case-folded forms
    (see `inkwell.models.identity`) so that the database's unique
    constraints, not a check-then-insert, reject "Ada" when "ada" exists,
    the same way on every dialect; the displayed forms keep the letter case
    the user chose. `username_skeleton` is unique too, so a name that only
    looks like a taken one is taken. It may be null for accounts that
    already looked alike when it was introduced (the later one keeps its
    name, and nobody else can take a third look-alike of it).
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES!r}", name="known_role"),
        # A day's sign-ups, for the dashboard's roll-up (`services.growth`).
        sa.Index(None, "created_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(USERNAME_MAX))
    username_key: Mapped[str] = mapped_column(sa.String(USERNAME_MAX), unique=True)
    username_skeleton: Mapped[str | None] = mapped_column(
        sa.String(USERNAME_SKELETON_MAX), unique=True
    )
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    email_key: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    bio: Mapped[str | None] = mapped_column(sa.Text)
    image_url: Mapped[str | None] = mapped_column(sa.String(IMAGE_URL_MAX))
    role: Mapped[str] = mapped_column(
        sa.String(10), default=MEMBER, server_default=MEMBER, info={"choices": ROLES}
    )
    # Set while the account is suspended: it cannot sign in, and what it wrote
    # is withheld from everyone (`inkwell.services.moderation`).
    suspended_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    # Raised whenever every credential issued so far must stop working (a new
    # password, "sign out everywhere"); API tokens carry the value they were
    # issued under.
    credential_version: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("username", "email")
    def _keep_key(self, column: str, value: str) -> str:
        setattr(self, f"{column}_key", identity_key(value))
        if column == "username":
            self.username_skeleton = skeleton(value)
        return value

    @property
    def is_admin(self) -> bool:
        """Whether this account may change roles and everything else."""
        return self.role == ADMIN

    @property
    def can_moderate(self) -> bool:
        """Whether this account may act on everyone's content."""
        return self.role in (EDITOR, ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


class Follow(Base):
    """`follower` reads `followee`'s articles in their feed."""

    __tablename__ = "follows"
    __table_args__ = (
        sa.CheckConstraint("follower_id <> followee_id", name="not_self"),
        sa.Index(None, "followee_id"),
        MYSQL_TABLE_OPTIONS,
    )

    follower_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
