"""The signed-out readers' response cache, and the content version its keys carry.

Every signed-out reader of a page gets the same answer, so a page rendered
for one can be kept for the next: in Redis when `INKWELL_REDIS_URL` is set
(shared by every worker and app server), in a bounded store per process
otherwise. An entry is never invalidated; it is found under a key that
carries the content version, a row of `counters` that every transaction
changing what readers can see raises before it commits. A reader reads the
version first (one statement, from the server the page would be read from),
so once a write has committed, the next request asks for a key nobody has
filled yet and renders afresh. A page read under version V holds content at
least as new as V (the version is read first, and content only moves
forward), so an entry can be newer than its key, never older.

The version is raised in one place for every writer, so none can forget it:
the engine notes each connection that ran an INSERT, UPDATE or DELETE on a
table readers may see (ORM flushes, bulk statements, Core and text alike;
`watch_content_writes`), and the session, as it commits, raises the version
on that connection inside the same transaction. Only tables no reader's page
shows are left out (`UNSHOWN_TABLES`); a sign-in, which records
`users.last_sign_in_at`, raises it too: a needless new version costs one
render per page, never a stale one.

Redis going away never fails a request: a failing read or write is logged,
Redis is left alone for a few seconds, and pages are rendered as if the
cache were empty.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakSet

import redis
import sqlalchemy as sa
from cachelib import BaseCache, RedisCache, SimpleCache
from cachelib.serializers import BaseSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from inkwell.models.counters import CONTENT_VERSION, Counter

logger = logging.getLogger("inkwell.cache")

# Tables that no page of the cached kind shows: writing them changes nothing a reader sees.
UNSHOWN_TABLES = frozenset(
    {
        "user_sessions",
        "audit_events",
        "health_samples",
        "slow_statements",
        "daily_activity",
        "alembic_version",
        # The analytics tables, when they share the main database (`models.views`).
        "article_views",
        "recent_views",
        "reader_keys",
        "alembic_version_analytics",
    }
)
# How long an entry is kept. Keys change with every write, so this bounds only
# the store's size and how long the home page's sidebar of popular tags (read
# once a minute per process, `web.articles`) may be kept with it.
ENTRY_SECONDS = 60
# The per-process store: entries and the largest body kept (at most 64 MB a process).
PROCESS_ENTRIES = 256
PROCESS_ENTRY_MAX = 256 * 1024
# Redis: the largest body kept (a feed stays under a megabyte by design), and how
# long Redis is left alone after it failed.
REDIS_ENTRY_MAX = 2 * 1024 * 1024
REDIS_PAUSE_SECONDS = 5.0

# Part of every key: entries of another layout (`Page.encode`) are never read.
FORMAT = "p2"

READ_VERSION = sa.select(Counter.value).where(Counter.name == CONTENT_VERSION)
RAISE_VERSION = (
    sa.update(Counter)
    .where(Counter.name == CONTENT_VERSION)
    .values(value=Counter.value + 1)
    .execution_options(synchronize_session=False)
)
# An execution option marking the raise itself, which is not a change to note.
_RAISING = "inkwell_raising_content_version"
# Text and driver SQL that writes (compiled DML says so itself).
_WRITES = re.compile(
    r"\s*(?:WITH\b.*?\b)?(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE)\b", re.I | re.S
)
# The connections a session's transaction runs on, kept in `Session.info`.
_SESSION_CONNECTIONS = "inkwell.connections"

_changed: WeakSet[sa.Connection] = WeakSet()


def watch_content_writes(engine: sa.Engine) -> None:
    """Note each connection of `engine` that writes a table readers may see, and raise
    the content version in every session transaction that wrote, as it commits."""
    if not event.contains(engine, "before_cursor_execute", _note_write):
        event.listen(engine, "before_cursor_execute", _note_write)
    if not event.contains(Session, "before_commit", _raise_version):
        event.listen(Session, "after_begin", _remember_connection)
        event.listen(Session, "before_commit", _raise_version)
        event.listen(Session, "after_transaction_end", _forget_connections)


def content_version(session: Session | scoped_session[Any]) -> int | None:
    """The current content version, read through `session` (so from the server the
    rest of the request reads from); None if the row is missing, when nothing may
    be cached."""
    version: int | None = session.scalar(READ_VERSION)
    return version


def _note_write(
    connection: sa.Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    if connection in _changed or context is None:
        return
    if context.execution_options.get(_RAISING):
        return
    compiled = getattr(context, "compiled", None)
    if context.isinsert or context.isupdate or context.isdelete:
        table = getattr(compiled.statement, "table", None) if compiled is not None else None
        if getattr(table, "name", None) in UNSHOWN_TABLES:
            return
    elif not _WRITES.match(statement):
        return
    _changed.add(connection)


def _remember_connection(session: Session, _transaction: Any, connection: sa.Connection) -> None:
    session.info.setdefault(_SESSION_CONNECTIONS, []).append(connection)


def _raise_version(session: Session) -> None:
    """Raise the content version on each connection of the committing transaction that
    wrote content, as its last statement before COMMIT (so its row lock is held
    for the shortest time). Savepoints released inside the transaction wait for it."""
    if session.in_nested_transaction():
        return
    session.flush()  # what the commit would flush after this hook may write content too
    for connection in session.info.get(_SESSION_CONNECTIONS, ()):
        if connection in _changed:
            connection.execute(RAISE_VERSION, execution_options={_RAISING: True})
            _changed.discard(connection)


def _forget_connections(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        for connection in session.info.pop(_SESSION_CONNECTIONS, ()):
            _changed.discard(connection)


@dataclass(frozen=True, slots=True)
class Page:
    """One kept answer: what the view made (the edge adds every other header), and the
    article a reader of it views (`inkwell.scaling.views`), which a kept answer counts
    like a fresh one."""

    content_type: str
    etag: str
    body: bytes
    viewed: int | None = None

    def encode(self) -> bytes:
        """The entry as bytes: no pickle, so whoever can write to Redis cannot run code."""
        viewed = b"" if self.viewed is None else str(self.viewed).encode()
        return b"\n".join((self.content_type.encode(), self.etag.encode(), viewed, self.body))

    @classmethod
    def decode(cls, stored: bytes) -> Page:
        """The page `encode` stored."""
        content_type, etag, viewed, body = stored.split(b"\n", 3)
        return cls(content_type.decode(), etag.decode(), body, int(viewed) if viewed else None)


class _Bytes(BaseSerializer):
    """Entries are bytes already: store them as they are."""

    def dumps(self, value: Any, protocol: int = 0) -> bytes:
        return bytes(value)

    def loads(self, bvalue: bytes) -> Any:
        return bvalue


class ResponseCache:
    """Pages kept under (content version, address), in Redis or in this process."""

    def __init__(self, redis_url: str | None) -> None:
        store: BaseCache
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
            store = RedisCache(client, key_prefix="inkwell:page:", default_timeout=ENTRY_SECONDS)
            self.largest = REDIS_ENTRY_MAX
        else:
            store = SimpleCache(threshold=PROCESS_ENTRIES, default_timeout=ENTRY_SECONDS)
            self.largest = PROCESS_ENTRY_MAX
        # Any BaseSerializer serves; the library declares its own class only.
        store.serializer = _Bytes()  # type: ignore[assignment]
        self.store = store
        self.shared = redis_url is not None
        self._paused_until = 0.0

    @staticmethod
    def key(version: int, address: str) -> str:
        """The key of the page at `address` (scheme, host, path and query) under `version`."""
        return f"{FORMAT}:{version}:{hashlib.sha256(address.encode()).hexdigest()}"

    def get(self, key: str) -> Page | None:
        """The page kept under `key`, if any (None while Redis is unreachable)."""
        if self._paused():
            return None
        try:
            stored = self.store.get(key)
        except redis.RedisError as error:
            self._pause(error)
            return None
        return None if stored is None else Page.decode(stored)

    def put(self, key: str, page: Page) -> None:
        """Keep `page` under `key`, unless it is larger than this store keeps."""
        if len(page.body) > self.largest or self._paused():
            return
        try:
            self.store.set(key, page.encode())
        except redis.RedisError as error:
            self._pause(error)

    def clear(self) -> None:
        """Drop every page (tests; the keys of a changed site are new anyway)."""
        try:
            self.store.clear()
        except redis.RedisError as error:
            self._pause(error)

    def _paused(self) -> bool:
        return self.shared and time.monotonic() < self._paused_until

    def _pause(self, error: redis.RedisError) -> None:
        logger.warning(
            "the response cache cannot reach Redis, rendering pages for %.0f s: %s",
            REDIS_PAUSE_SECONDS,
            error,
        )
        self._paused_until = time.monotonic() + REDIS_PAUSE_SECONDS
