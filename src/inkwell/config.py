"""Every setting declared once, read from the environment and validated at start-up.

`Settings` is the one table of what an operator may change: each field names
its variable, its default written as an operator would write it, the parser
that checks it, what it means and whether it is secret. Parsing, `inkwell
check` (`Settings.describe`) and the README's configuration table
(`settings_markdown`) all derive from it, so a setting cannot be documented
one way and read another. A bad value stops start-up with one line naming
the variable (`ConfigError`) instead of surfacing later as a traceback deep
inside a request.

This is the only module that reads the process environment.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from limits import parse_many
from pydantic import AliasChoices, BeforeValidator, Field, ValidationError, ValidationInfo
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from inkwell.dialects import engine_options, url_problem

Environment = Literal["development", "production", "testing"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production", "testing")

# What `describe` hides of a secret setting: the whole value, or a URL's password.
Hidden = Literal["value", "password"]

# Drivers Inkwell ships and tests. A bare dialect name is completed with the
# driver Inkwell installs, so `postgresql://...` works without knowing psycopg.
SUPPORTED_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "mariadb+pymysql": "mariadb+pymysql",
}

MIN_PRODUCTION_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT_CHARACTERS = 8
MIN_SECRET_BITS = 80
SECRET_RECIPE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105  (how to make a key, not a key)
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
SQLITE_FILE = "inkwell.sqlite3"
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})

PRODUCTION_STATEMENT_TIMEOUT_MS = 5000

SETTINGS_START = "<!-- settings:start (make settings-doc writes this table) -->"
SETTINGS_END = "<!-- settings:end -->"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting


def setting(
    name: str,
    default: str | None,
    meaning: str,
    *,
    shown_default: str | None = None,
    hide: Hidden | None = None,
    in_app_config: bool = False,
    keeps_blank: bool = False,
    preferred_name: str | None = None,
) -> Any:
    """Declare the setting read from the variable `name`.

    `default` is the text used when the variable is unset (None: no value),
    parsed like the operator's own, so a default cannot escape validation.
    `shown_default` documents a default that is computed rather than written;
    `hide` marks a secret, masked (or its password hidden) where settings are shown.
    `in_app_config` puts the value in `app.config` under `name` for the modules
    that read it there. A blank variable counts as unset unless `keeps_blank`.
    `preferred_name`, when set, is read first and wins over `name`.
    """
    return Field(
        default,
        alias=name,
        validation_alias=AliasChoices(preferred_name, name) if preferred_name else name,
        description=meaning,
        json_schema_extra={
            "shown_default": shown_default or (f"`{default}`" if default is not None else "unset"),
            "hide": hide,
            "in_app_config": in_app_config,
            "keeps_blank": keeps_blank,
        },
    )


def whole_number(minimum: int) -> BeforeValidator:
    """A whole number no smaller than `minimum`."""
    return BeforeValidator(lambda raw: _whole(raw, minimum))


def _whole(raw: str, minimum: int) -> int:
    text = raw.strip()
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number, got {text!r}") from None
    if value < minimum:
        raise ValueError(f"must be at least {minimum}, got {value}")
    return value


def one_of(*choices: str) -> BeforeValidator:
    """One of `choices` in any case, returned as declared."""
    return BeforeValidator(lambda raw: _choose(raw, choices))


def _choose(raw: str, choices: tuple[str, ...]) -> str:
    by_key = {choice.lower(): choice for choice in choices}
    text = raw.strip()
    if text.lower() not in by_key:
        raise ValueError(f"must be one of {', '.join(by_key)}, got {text!r}")
    return by_key[text.lower()]


def _flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"must be true or false, got {text!r}")


def _rate(raw: str) -> str:
    text = raw.strip()
    try:
        parse_many(text)
    except ValueError:
        raise ValueError(f"is not a rate limit like '10 per 15 minutes', got {text!r}") from None
    return text


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not * or an http(s) origin")
    return origins


def _redis_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.strip()
    if not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss:// or unix://")
    return text


def _optional_text(raw: str | None) -> str | None:
    return None if raw is None else raw.strip()


def _path(raw: str) -> Path:
    return Path(raw).resolve()


def _optional_path(raw: str | None) -> Path | None:
    return None if raw is None else _path(raw)


def _earlier(info: ValidationInfo, attribute: str) -> Any:
    """A setting declared above this one. If that one failed, its error comes first
    in declaration order and is the one reported; this one's is never seen."""
    if attribute not in info.data:
        raise ValueError(f"needs a valid {_name(Settings.model_fields[attribute])}")
    return info.data[attribute]


def _database_url(raw: str | None, info: ValidationInfo) -> sa.URL:
    if raw is None:
        folder: Path = _earlier(info, "instance_path")
        return sa.URL.create("sqlite+pysqlite", database=str(folder / SQLITE_FILE))
    try:
        url = sa.make_url(raw.strip())
    except (ArgumentError, ValueError):
        # A port that is not a number, an unclosed [ of an IPv6 host, ...
        raise ValueError(
            "is not a database URL (expected dialect://user@host:port/database)"
        ) from None
    driver = SUPPORTED_DRIVERS.get(url.drivername)
    if driver is None:
        supported = "sqlite, postgresql+psycopg, mysql+pymysql, mariadb+pymysql"
        raise ValueError(f"unsupported driver {url.drivername!r} (use {supported})")
    url = url.set(drivername=driver)
    _check_database_named(url)
    if problem := url_problem(url):
        raise ValueError(problem)
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise ValueError(f"driver {driver!r} is not installed") from None
    return url


def _replica_urls(raw: str | None, info: ValidationInfo) -> tuple[sa.URL, ...]:
    """Each replica is a URL like the primary's, of the same database product: PostgreSQL
    only, whose commits carry a WAL position that makes reading one's own writes exact."""
    if raw is None:
        return ()
    primary: sa.URL = _earlier(info, "database_url")
    if primary.get_backend_name() != "postgresql":
        raise ValueError("read replicas are supported with PostgreSQL only")
    urls = []
    for number, text in enumerate((part for part in raw.split(",") if part.strip()), 1):
        try:
            url = _database_url(text, info)
        except ValueError as error:
            raise ValueError(f"replica {number} {error}") from None
        if url.get_backend_name() != "postgresql":
            raise ValueError(f"replica {number} is not a PostgreSQL URL")
        urls.append(url)
    return tuple(urls)


def _analytics_url(raw: str | None, info: ValidationInfo) -> sa.URL | None:
    """A URL like the main one; None (the main database) when unset or the same, a
    SQLite file however its path is spelt: two engines on one file would wait on
    each other's write lock."""
    if raw is None:
        return None
    url = _database_url(raw, info)
    main: sa.URL = _earlier(info, "database_url")
    if url == main or _same_sqlite_file(url, main):
        return None
    return url


def _same_sqlite_file(one: sa.URL, other: sa.URL) -> bool:
    if one.get_backend_name() != "sqlite" or other.get_backend_name() != "sqlite":
        return False
    return Path(one.database or "").resolve() == Path(other.database or "").resolve()


def _seconds(raw: str) -> float:
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be more than 0 seconds, got {text!r}")
    return value


def _check_database_named(url: sa.URL) -> None:
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("SQLite needs a file path (sqlite:///path/to/file)")
    elif not url.database:
        raise ValueError("names no database (add /DATABASE_NAME to the URL)")


def _secret_key(raw: str | None, info: ValidationInfo) -> str:
    environment: Environment = _earlier(info, "environment")
    if environment == "production":
        return _production_secret(raw or "")
    if raw is not None:
        return raw
    if environment == "testing":
        return secrets.token_urlsafe(32)
    return _development_secret(_earlier(info, "instance_path"))


def _production_secret(key: str) -> str:
    """Refuse keys that are missing, short, or plainly not random.

    Sessions and tokens are only as safe as this key. Length alone lets through
    "k" * 40 or a word typed over and over; counting characters catches those
    (and padding around a few random ones), though no count can prove a key
    random. The thresholds pass every key the usual generators make, down to
    `secrets.token_hex(16)`.
    """
    distinct = len(set(key))
    if not key:
        problem = "is required in production"
    elif len(key) < MIN_PRODUCTION_SECRET_LENGTH:
        problem = f"is too short ({len(key)} characters, at least {MIN_PRODUCTION_SECRET_LENGTH})"
    elif distinct < MIN_SECRET_DISTINCT_CHARACTERS:
        problem = (
            f"is too regular to be random ({distinct} different characters, "
            f"at least {MIN_SECRET_DISTINCT_CHARACTERS})"
        )
    elif (bits := _counted_bits(key)) < MIN_SECRET_BITS:
        problem = (
            f"is too regular to be random (about {bits:.0f} bits by its character counts, "
            f"at least {MIN_SECRET_BITS})"
        )
    else:
        return key
    raise ValueError(f"{problem}: make one with {SECRET_RECIPE}")


def _counted_bits(text: str) -> float:
    """The Shannon entropy of `text`'s character frequencies, times its length: what a
    key would carry if its characters were drawn independently at those rates (an
    upper bound: patterns such as "0123456789..." score well)."""
    return -sum(n * math.log2(n / len(text)) for n in Counter(text).values())


def _public_url(raw: str | None, info: ValidationInfo) -> str | None:
    """The site's address as readers reach it, kept without a trailing slash.

    Required in production, where the alternative is the request's Host
    header, which the client chooses, in links that feed readers, crawlers
    and caches keep. The value is never echoed in errors: it may hold a password.
    """
    if raw is None:
        if _earlier(info, "environment") == "production":
            raise ValueError(
                "is required in production: the address readers use, "
                "such as https://blog.example.com"
            )
        return None
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "must be an absolute http:// or https:// URL, such as https://blog.example.com"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ValueError("must not have a query or a fragment")
    if any(character.isspace() for character in text):
        raise ValueError("must not contain spaces")
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        raise ValueError("has no valid port") from None
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _development_secret(instance_path: Path) -> str:
    """Generate the development key once and keep it, so sessions survive restarts."""
    path = instance_path / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    except FileExistsError:
        return path.read_text().strip()
    except OSError as err:
        raise ValueError(f"unset and cannot write {path}: {err}") from None
    return key


def _debug(raw: str, info: ValidationInfo) -> bool:
    """Off in production whatever the variable says: the debugger it brings runs
    Python for whoever can make a request fail, and a stray FLASK_DEBUG=1 in a
    service's environment must not open it."""
    return _flag(raw) and _earlier(info, "environment") != "production"


def _statement_timeout(raw: str | None, info: ValidationInfo) -> int:
    """On by default in production only: there a runaway statement holds a worker and
    a connection that other readers need, while in development a slow statement is
    something to look at, not to cut off."""
    if raw is None:
        production = _earlier(info, "environment") == "production"
        return PRODUCTION_STATEMENT_TIMEOUT_MS if production else 0
    return _whole(raw, 0)


def _log_format(raw: str | None, info: ValidationInfo) -> str:
    if raw is None:
        return "json" if _earlier(info, "environment") == "production" else "text"
    return _choose(raw, ("json", "text"))


def _backup_dir(raw: str | None, info: ValidationInfo) -> Path:
    if raw is None:
        folder: Path = _earlier(info, "instance_path")
        return folder / "backups"
    return _path(raw)


def _search_language(raw: str) -> str:
    """A text search configuration's name: written into PostgreSQL's index
    definition, so letters and underscores only."""
    text = raw.strip().lower()
    if not re.fullmatch(r"[a-z_]{1,63}", text):
        raise ValueError(f"must be a text search configuration such as english, got {raw!r}")
    return text


class Settings(BaseSettings):
    """What an operator may change, in the order the README and `inkwell check` list it."""

    # validate_default: defaults are text, parsed like the operator's own.
    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        extra="ignore",
        arbitrary_types_allowed=True,
        validate_default=True,
    )

    environment: Annotated[Environment, one_of(*ENVIRONMENTS)] = setting(
        "INKWELL_ENV", "development", "`development`, `production` or `testing`."
    )
    debug: Annotated[bool, BeforeValidator(_debug)] = setting(
        "FLASK_DEBUG",
        "false",
        "Debug mode for development: `inkwell run` serves Werkzeug's interactive debugger "
        "and reloads on changes, errors show tracebacks. Always off in production.",
    )
    instance_path: Annotated[Path, BeforeValidator(_path)] = setting(
        "INKWELL_INSTANCE_PATH",
        "./instance",
        "Folder for the SQLite database and the development secret key.",
    )
    database_url: Annotated[sa.URL, BeforeValidator(_database_url)] = setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL. `sqlite:///path`, `postgresql://user@host/db` (psycopg 3) or "
        "`mysql://user@host/db` / `mariadb://...` (PyMySQL). "
        "`INKWELL_DATABASE_URL` wins if both are set.",
        shown_default="SQLite file `instance/inkwell.sqlite3`",
        hide="password",
        preferred_name="INKWELL_DATABASE_URL",
    )
    replica_urls: Annotated[tuple[sa.URL, ...], BeforeValidator(_replica_urls)] = setting(
        "INKWELL_DATABASE_REPLICA_URLS",
        None,
        "PostgreSQL hot standbys to read from, comma-separated URLs. Requests that only read "
        "go to a standby that is up and within `INKWELL_REPLICA_MAX_LAG_SECONDS`, unless "
        "the reader wrote something it has not replayed yet; everything else goes to "
        "`DATABASE_URL`. See docs/scaling.md.",
        shown_default="unset (every statement on `DATABASE_URL`)",
        hide="password",
    )
    replica_max_lag: Annotated[float, BeforeValidator(_seconds)] = setting(
        "INKWELL_REPLICA_MAX_LAG_SECONDS",
        "10",
        "A standby further behind the primary than this is not read from until it catches up.",
    )
    analytics_url: Annotated[sa.URL | None, BeforeValidator(_analytics_url)] = setting(
        "INKWELL_ANALYTICS_DATABASE_URL",
        None,
        "A database of its own for article view counts, a URL like `DATABASE_URL`'s, of any "
        "of the three products; it has its own migrations, which `inkwell db upgrade` runs "
        "too. See docs/scaling.md.",
        shown_default="unset (the main database, on the same connections)",
        hide="password",
    )
    count_views: Annotated[bool, BeforeValidator(_flag)] = setting(
        "INKWELL_COUNT_VIEWS",
        "true",
        "Count article views (one per reader per article per hour; readers are told apart "
        "by a keyed hash whose key changes daily, never by a stored address) and show them "
        "to authors and on the dashboard.",
    )
    views_flush_seconds: Annotated[int, whole_number(1)] = setting(
        "INKWELL_VIEWS_FLUSH_SECONDS",
        "10",
        "How long views wait in Redis, or in each process without Redis, before they are "
        "written in one batch: the most a crash of a process may lose without Redis.",
    )
    secret_key: Annotated[str, BeforeValidator(_secret_key)] = setting(
        "INKWELL_SECRET_KEY",
        None,
        f"Signs sessions and tokens. Required in production: at least "
        f"{MIN_PRODUCTION_SECRET_LENGTH} characters, random ones (`{SECRET_RECIPE}`).",
        shown_default="development: generated once into `instance/secret_key`",
        hide="value",
    )
    public_url: Annotated[str | None, BeforeValidator(_public_url)] = setting(
        "INKWELL_PUBLIC_URL",
        None,
        "The site's address as readers reach it, such as `https://blog.example.com` (a path "
        "after the host if the site lives under one). Feeds, the sitemap and robots.txt link "
        "to it. Required in production; unset, links name the host each request asked for.",
        shown_default="unset (development: the request's host)",
    )
    pool_size: Annotated[int, whole_number(1)] = setting(
        "INKWELL_DB_POOL_SIZE", "5", "Connections each process keeps open."
    )
    max_overflow: Annotated[int, whole_number(0)] = setting(
        "INKWELL_DB_MAX_OVERFLOW", "10", "Extra connections allowed under bursts."
    )
    pool_recycle: Annotated[int, whole_number(-1)] = setting(
        "INKWELL_DB_POOL_RECYCLE", "1800", "Seconds after which a connection is replaced."
    )
    ping_after_idle: Annotated[int, whole_number(-1)] = setting(
        "INKWELL_DB_PING_AFTER_IDLE",
        "10",
        "Test a pooled connection before use when it has been idle this many seconds (0: "
        "every time; -1: never). One cut in steady use fails one request with a 503.",
    )
    pool_timeout: Annotated[int, whole_number(1)] = setting(
        "INKWELL_DB_POOL_TIMEOUT", "30", "Seconds to wait for a free connection."
    )
    connect_timeout: Annotated[int, whole_number(1)] = setting(
        "INKWELL_DB_CONNECT_TIMEOUT",
        "5",
        "Seconds to wait for PostgreSQL or MariaDB to accept a new connection before "
        "answering 503 (PostgreSQL waits at least 2). Not for SQLite: it opens a file, and "
        "waits only on locks (`INKWELL_SQLITE_BUSY_TIMEOUT_MS`).",
    )
    statement_timeout_ms: Annotated[int, BeforeValidator(_statement_timeout)] = setting(
        "INKWELL_DB_STATEMENT_TIMEOUT",
        None,
        "Milliseconds one SQL statement of a request may run before the database cuts it "
        "off and the request answers 503; `0` turns it off. `inkwell` commands (migrations, "
        "backups, maintenance, seeding) are never cut off.",
        shown_default=f"`{PRODUCTION_STATEMENT_TIMEOUT_MS}` in production, else `0` (off)",
    )
    sqlite_busy_timeout_ms: Annotated[int, whole_number(0)] = setting(
        "INKWELL_SQLITE_BUSY_TIMEOUT_MS", "5000", "How long SQLite waits on a locked database."
    )
    api_offset_max: Annotated[int, whole_number(0)] = setting(
        "INKWELL_API_OFFSET_MAX",
        "100000",
        "Deepest `offset` the API's lists accept; deeper asks get a 422 naming it, so no "
        "request makes the database walk more index entries than this. The site pages by "
        "position instead and has no such limit.",
        in_app_config=True,
    )
    response_cache: Annotated[bool, BeforeValidator(_flag)] = setting(
        "INKWELL_RESPONSE_CACHE",
        "true",
        "Keep the pages signed-out readers get (home, articles, tags, feeds, `GET "
        "/api/articles`) until the next write: in Redis when `INKWELL_REDIS_URL` is set, "
        "else in each process. A write shows on the very next request either way.",
    )
    cache_max_age: Annotated[int, whole_number(0)] = setting(
        "INKWELL_CACHE_MAX_AGE",
        "0",
        "`max-age` in seconds of signed-out readers' pages, for browsers, Nginx or a CDN; "
        "`0` makes them ask again each time (a 304 when nothing changed), so a write shows "
        "at once through a proxy too. More trades that many seconds of freshness for load.",
    )
    search_language: Annotated[str, BeforeValidator(_search_language)] = setting(
        "INKWELL_SEARCH_LANGUAGE",
        "english",
        "PostgreSQL's text search configuration for stemming and stop words (`english`, "
        "`french`, `german`, `simple` for none, ...). Run `inkwell search reindex` after "
        "changing it. SQLite stems English always; MariaDB does not stem.",
        in_app_config=True,
    )
    token_ttl_days: Annotated[int, whole_number(1)] = setting(
        "INKWELL_TOKEN_TTL_DAYS", "30", "How long an API token stays valid.", in_app_config=True
    )
    max_body_bytes: Annotated[int, whole_number(1024)] = setting(
        "INKWELL_MAX_BODY_BYTES", "1048576", "Largest request body accepted (413 beyond)."
    )
    cors_origins: Annotated[tuple[str, ...], BeforeValidator(_origins)] = setting(
        "INKWELL_CORS_ORIGINS",
        "*",
        "Origins allowed to call `/api/` from a browser, comma-separated (empty: none). "
        "Never the web pages.",
        keeps_blank=True,
    )
    redis_url: Annotated[str | None, BeforeValidator(_redis_url)] = setting(
        "INKWELL_REDIS_URL",
        None,
        "Redis for rate-limit counters shared by every worker, e.g. `redis://127.0.0.1:6379/0`, "
        "the background jobs' queue, which `inkwell worker` runs (unset: each job runs in "
        "a thread of the process that queued it), and, with read replicas, each API caller's "
        "last write position (unset: signed-in API callers read from the primary).",
        shown_default="unset (in-memory)",
        hide="password",
    )
    login_limit: Annotated[str, BeforeValidator(_rate)] = setting(
        "INKWELL_LOGIN_LIMIT",
        "10 per 15 minutes",
        "Failed sign-ins allowed per account from one client address (site and API together).",
        in_app_config=True,
    )
    login_address_limit: Annotated[str, BeforeValidator(_rate)] = setting(
        "INKWELL_LOGIN_ADDRESS_LIMIT",
        "50 per 15 minutes",
        "Failed sign-ins allowed per client address, whatever the accounts tried.",
        in_app_config=True,
    )
    login_account_limit: Annotated[str, BeforeValidator(_rate)] = setting(
        "INKWELL_LOGIN_ACCOUNT_LIMIT",
        "100 per day",
        "Failed sign-ins per account from all addresses; past it, only addresses that "
        "have not failed on the account may try.",
        in_app_config=True,
    )
    register_limit: Annotated[str, BeforeValidator(_rate)] = setting(
        "INKWELL_REGISTER_LIMIT",
        "100 per hour",
        "Registrations allowed per client address.",
        in_app_config=True,
    )
    ratelimit_enabled: Annotated[bool, BeforeValidator(_flag)] = setting(
        "INKWELL_RATELIMIT_ENABLED", "true", "Turn rate limiting off (for load tests only)."
    )
    proxy_hops: Annotated[int, whole_number(0)] = setting(
        "INKWELL_PROXY_HOPS",
        "0",
        "Reverse proxies in front of Inkwell whose X-Forwarded-For/-Proto/-Host to trust "
        "(1 behind Nginx).",
    )
    metrics_token: Annotated[str | None, BeforeValidator(_optional_text)] = setting(
        "INKWELL_METRICS_TOKEN",
        None,
        "Bearer token that may read `/metrics`; unset, only requests from this machine may.",
        hide="value",
        in_app_config=True,
    )
    prometheus_multiproc_dir: Annotated[Path | None, BeforeValidator(_optional_path)] = setting(
        "PROMETHEUS_MULTIPROC_DIR",
        None,
        "Folder through which Gunicorn workers share their metrics (`deploy/gunicorn.conf.py` "
        "sets it); unset, each process counts alone. Read when the process starts.",
    )
    log_level: Annotated[str, one_of("DEBUG", "INFO", "WARNING", "ERROR")] = setting(
        "INKWELL_LOG_LEVEL", "INFO", "`DEBUG`, `INFO`, `WARNING` or `ERROR`.", in_app_config=True
    )
    log_format: Annotated[str, BeforeValidator(_log_format)] = setting(
        "INKWELL_LOG_FORMAT",
        None,
        "`json` (one object a line, to stdout) or `text`.",
        shown_default="`json` in production, else `text`",
        in_app_config=True,
    )
    slow_query_ms: Annotated[int, whole_number(0)] = setting(
        "INKWELL_SLOW_QUERY_MS",
        "200",
        "Log every SQL statement slower than this, with its duration and endpoint.",
        in_app_config=True,
    )
    health_sample_seconds: Annotated[int, whole_number(0)] = setting(
        "INKWELL_HEALTH_SAMPLE_SECONDS",
        "60",
        "How often each process copies the request metrics and the slow statements it saw "
        "into the database, for the dashboard's Health page (one row per minute is kept, "
        "whatever the number of workers); `0` turns the sampling off.",
    )
    backup_dir: Annotated[Path, BeforeValidator(_backup_dir)] = setting(
        "INKWELL_BACKUP_DIR",
        None,
        "Folder `inkwell backup` writes to by default, and where the dashboard looks for "
        "the newest backups.",
        shown_default="`instance/backups`",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the environment `from_env` is given: left alone, pydantic-settings would
        also read the process environment, `.env` files and secret folders by itself,
        and tests and `create_app(environ)` build apps from environments of their own."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], instance_path: Path) -> Settings:
        """Read and validate settings from `environ` (normally `process_environ()`);
        `instance_path` is the folder Flask already settled on for the app."""
        given: dict[str, Any] = _given(environ)
        given[_name(cls.model_fields["instance_path"])] = str(instance_path)
        try:
            return cls(**given)
        except ValidationError as err:
            raise _config_error(err) from None

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite, which takes pragmas instead of a pool."""
        return self.database_url.get_backend_name() == "sqlite"

    def flask_config(self) -> dict[str, Any]:
        """The Flask and extension configuration these settings stand for, with the
        settings other modules read from `app.config` under their own names."""
        return {
            "TESTING": self.environment == "testing",
            "DEBUG": self.debug,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options(),
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.environment == "production",
            **{
                _name(field): getattr(self, attribute)
                for attribute, field in type(self).model_fields.items()
                if _extra(field, "in_app_config")
            },
        }

    def describe(self) -> list[tuple[str, str]]:
        """The effective settings as (name, value) pairs with secrets masked."""
        return [
            (_name(field), _shown(getattr(self, attribute), _extra(field, "hide")))
            for attribute, field in type(self).model_fields.items()
        ]

    def engine_options(self, url: sa.URL | None = None) -> dict[str, Any]:
        """SQLAlchemy's engine options for `url` (the main database's by default)."""
        return {
            "pool_recycle": self.pool_recycle,
            "pool_size": self.pool_size,
            "max_overflow": self.max_overflow,
            "pool_timeout": self.pool_timeout,
            **engine_options(url or self.database_url),
        }


def mask(secret: str) -> str:
    """Show that a secret is set, and how long it is, without showing it."""
    return f"****** ({len(secret)} characters)" if secret else "(empty)"


def process_environ() -> Mapping[str, str]:
    """The process environment; the one place that reads it."""
    return os.environ


def instance_path(environ: Mapping[str, str]) -> Path:
    """Where Inkwell keeps its local files (`INKWELL_INSTANCE_PATH`), which Flask needs
    before the other settings can be read."""
    field = Settings.model_fields["instance_path"]
    return _path(_given(environ).get(_name(field), field.default))


def settings_markdown() -> str:
    """The README's configuration table, between the markers `with_settings_markdown` finds."""
    rows = [
        f"| `{_name(field)}` | {_extra(field, 'shown_default')} | {field.description} |"
        for field in Settings.model_fields.values()
    ]
    return "\n".join(
        [SETTINGS_START, "| Variable | Default | Meaning |", "|---|---|---|", *rows, SETTINGS_END]
    )


def with_settings_markdown(readme: str) -> str:
    """`readme` with its configuration table rendered afresh from `Settings`."""
    before, start, rest = readme.partition(SETTINGS_START)
    _table, end, after = rest.partition(SETTINGS_END)
    if not (start and end):
        raise ValueError(f"no {SETTINGS_START} ... {SETTINGS_END} section to rewrite")
    return before + settings_markdown() + after


def _given(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings' variables present in `environ`. A blank one counts as unset, so an
    empty `NAME=` line in an environment file restores the default."""
    given = {}
    for field in Settings.model_fields.values():
        for variable in _variables(field):
            value = environ.get(variable)
            if value is not None and (value.strip() or _extra(field, "keeps_blank")):
                given[variable] = value
    return given


def _config_error(err: ValidationError) -> ConfigError:
    """The first problem, in declaration order, as `NAME: problem`."""
    first = err.errors()[0]
    cause = first.get("ctx", {}).get("error")
    # A value given is located by its variable; a default by the attribute it fills.
    located = str(first["loc"][0]) if first["loc"] else ""
    field = Settings.model_fields.get(located)
    name = _name(field) if field else located
    return ConfigError(name, str(cause) if cause is not None else first["msg"])


def _name(field: FieldInfo) -> str:
    return field.alias or ""


def _variables(field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [alias] if isinstance(alias, str) else []


def _extra(field: FieldInfo, key: str) -> Any:
    extra = field.json_schema_extra
    return extra.get(key) if isinstance(extra, dict) else None


def _shown(value: object, hide: Hidden | None) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, tuple) and not isinstance(value, sa.URL):  # a URL is a tuple too
        return ",".join(_shown(part, hide) for part in value)
    if hide == "value":
        return mask(str(value))
    if hide == "password":
        return _hide_password(value if isinstance(value, sa.URL) else str(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _hide_password(url: str | sa.URL) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url)
