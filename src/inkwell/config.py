"""Typed settings read from the environment, validated once at start-up.

This is the only module that reads the process environment. Everything an
operator may change is listed in ``SETTINGS_DOC`` (rendered in the README) and
checked here, so that a typo fails at start-up with a one-line message naming
the setting instead of surfacing later as a traceback deep inside a request.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from limits import parse_many
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

Environment = Literal["development", "production", "testing"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production", "testing")

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
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
SQLITE_FILE = "inkwell.sqlite3"

SETTINGS_DOC: tuple[tuple[str, str, str], ...] = (
    ("INKWELL_ENV", "development", "`development`, `production` or `testing`."),
    (
        "INKWELL_INSTANCE_PATH",
        "`./instance`",
        "Folder for the SQLite database and the development secret key.",
    ),
    (
        "DATABASE_URL",
        "SQLite file `instance/inkwell.sqlite3`",
        "SQLAlchemy URL. `sqlite:///path`, `postgresql://user@host/db` (psycopg 3) or "
        "`mysql://user@host/db` / `mariadb://...` (PyMySQL). "
        "`INKWELL_DATABASE_URL` wins if both are set.",
    ),
    (
        "INKWELL_SECRET_KEY",
        "development: generated once into `instance/secret_key`",
        f"Signs sessions and tokens. Required in production, at least "
        f"{MIN_PRODUCTION_SECRET_LENGTH} characters.",
    ),
    ("INKWELL_DB_POOL_SIZE", "5", "Connections each process keeps open."),
    ("INKWELL_DB_MAX_OVERFLOW", "10", "Extra connections allowed under bursts."),
    ("INKWELL_DB_POOL_RECYCLE", "1800", "Seconds after which a connection is replaced."),
    ("INKWELL_DB_POOL_PRE_PING", "true", "Test each connection before use (survives restarts)."),
    ("INKWELL_DB_POOL_TIMEOUT", "30", "Seconds to wait for a free connection."),
    ("INKWELL_SQLITE_BUSY_TIMEOUT_MS", "5000", "How long SQLite waits on a locked database."),
    ("INKWELL_TOKEN_TTL_DAYS", "30", "How long an API token stays valid."),
    ("INKWELL_MAX_BODY_BYTES", "1048576", "Largest request body accepted (413 beyond)."),
    (
        "INKWELL_CORS_ORIGINS",
        "`*`",
        "Origins allowed to call `/api/` from a browser, comma-separated. Never the web pages.",
    ),
    (
        "INKWELL_REDIS_URL",
        "unset (in-memory)",
        "Redis for rate-limit counters shared by every worker, e.g. `redis://127.0.0.1:6379/0`.",
    ),
    (
        "INKWELL_LOGIN_LIMIT",
        "`10 per 15 minutes`",
        "Failed sign-ins allowed per client address and, separately, per account.",
    ),
    ("INKWELL_REGISTER_LIMIT", "`100 per hour`", "Registrations allowed per client address."),
    ("INKWELL_RATELIMIT_ENABLED", "true", "Turn rate limiting off (for load tests only)."),
    (
        "INKWELL_PROXY_HOPS",
        "0",
        "Reverse proxies in front of Inkwell whose X-Forwarded-For/-Proto/-Host to trust "
        "(1 behind Nginx).",
    ),
    (
        "INKWELL_METRICS_TOKEN",
        "unset",
        "Bearer token that may read `/metrics`; unset, only requests from this machine may.",
    ),
    ("INKWELL_LOG_LEVEL", "INFO", "`DEBUG`, `INFO`, `WARNING` or `ERROR`."),
    (
        "INKWELL_LOG_FORMAT",
        "`json` in production, else `text`",
        "`json` (one object a line, to stdout) or `text`.",
    ),
    (
        "INKWELL_SLOW_QUERY_MS",
        "200",
        "Log every SQL statement slower than this, with its duration and endpoint.",
    ),
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated settings; `flask_config()` turns them into Flask config keys."""

    environment: Environment
    database_url: sa.URL
    secret_key: str
    pool_size: int
    max_overflow: int
    pool_recycle: int
    pool_pre_ping: bool
    pool_timeout: int
    sqlite_busy_timeout_ms: int
    token_ttl_days: int
    max_body_bytes: int
    cors_origins: tuple[str, ...]
    redis_url: str | None
    login_limit: str
    register_limit: str
    ratelimit_enabled: bool
    proxy_hops: int
    metrics_token: str
    log_level: str
    log_format: str
    slow_query_ms: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str], instance_path: Path) -> Settings:
        """Read and validate settings from `environ` (normally `os.environ`)."""
        environment = _environment(environ)
        return cls(
            environment=environment,
            database_url=_database_url(environ, instance_path),
            secret_key=_secret_key(environ, environment, instance_path),
            pool_size=_int(environ, "INKWELL_DB_POOL_SIZE", 5, minimum=1),
            max_overflow=_int(environ, "INKWELL_DB_MAX_OVERFLOW", 10, minimum=0),
            pool_recycle=_int(environ, "INKWELL_DB_POOL_RECYCLE", 1800, minimum=-1),
            pool_pre_ping=_bool(environ, "INKWELL_DB_POOL_PRE_PING", True),
            pool_timeout=_int(environ, "INKWELL_DB_POOL_TIMEOUT", 30, minimum=1),
            sqlite_busy_timeout_ms=_int(environ, "INKWELL_SQLITE_BUSY_TIMEOUT_MS", 5000, minimum=0),
            token_ttl_days=_int(environ, "INKWELL_TOKEN_TTL_DAYS", 30, minimum=1),
            max_body_bytes=_int(environ, "INKWELL_MAX_BODY_BYTES", 1_048_576, minimum=1024),
            cors_origins=_origins(environ),
            redis_url=_redis_url(environ),
            login_limit=_rate(environ, "INKWELL_LOGIN_LIMIT", "10 per 15 minutes"),
            register_limit=_rate(environ, "INKWELL_REGISTER_LIMIT", "100 per hour"),
            ratelimit_enabled=_bool(environ, "INKWELL_RATELIMIT_ENABLED", True),
            proxy_hops=_int(environ, "INKWELL_PROXY_HOPS", 0, minimum=0),
            metrics_token=environ.get("INKWELL_METRICS_TOKEN", "").strip(),
            log_level=_choice(
                environ, "INKWELL_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            log_format=_choice(
                environ,
                "INKWELL_LOG_FORMAT",
                "JSON" if environment == "production" else "TEXT",
                ("JSON", "TEXT"),
            ).lower(),
            slow_query_ms=_int(environ, "INKWELL_SLOW_QUERY_MS", 200, minimum=0),
        )

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite, which takes pragmas instead of a pool."""
        return self.database_url.get_backend_name() == "sqlite"

    def flask_config(self) -> dict[str, Any]:
        """The Flask and Flask-SQLAlchemy configuration these settings stand for."""
        production = self.environment == "production"
        engine_options: dict[str, Any] = {
            "pool_pre_ping": self.pool_pre_ping,
            "pool_recycle": self.pool_recycle,
            "pool_size": self.pool_size,
            "max_overflow": self.max_overflow,
            "pool_timeout": self.pool_timeout,
        }
        if self.database_url.get_backend_name() == "mysql":
            # PostgreSQL's default. Under MariaDB's REPEATABLE READ, a request that
            # loses a race to insert a row (a new tag) cannot then read the winner's
            # row: its snapshot predates the other commit.
            engine_options["isolation_level"] = "READ COMMITTED"
        return {
            "INKWELL_ENV": self.environment,
            "TESTING": self.environment == "testing",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "INKWELL_SQLITE_BUSY_TIMEOUT_MS": self.sqlite_busy_timeout_ms,
            "INKWELL_TOKEN_TTL_DAYS": self.token_ttl_days,
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "INKWELL_CORS_ORIGINS": list(self.cors_origins),
            "INKWELL_LOGIN_LIMIT": self.login_limit,
            "INKWELL_REGISTER_LIMIT": self.register_limit,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "INKWELL_METRICS_TOKEN": self.metrics_token,
            "INKWELL_LOG_LEVEL": self.log_level,
            "INKWELL_LOG_FORMAT": self.log_format,
            "INKWELL_SLOW_QUERY_MS": self.slow_query_ms,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": production,
        }

    def describe(self) -> list[tuple[str, str]]:
        """The effective settings as (name, value) pairs with secrets masked."""
        return [
            ("INKWELL_ENV", self.environment),
            ("DATABASE_URL", self.database_url.render_as_string(hide_password=True)),
            ("INKWELL_SECRET_KEY", mask(self.secret_key)),
            ("INKWELL_DB_POOL_SIZE", str(self.pool_size)),
            ("INKWELL_DB_MAX_OVERFLOW", str(self.max_overflow)),
            ("INKWELL_DB_POOL_RECYCLE", str(self.pool_recycle)),
            ("INKWELL_DB_POOL_PRE_PING", str(self.pool_pre_ping).lower()),
            ("INKWELL_DB_POOL_TIMEOUT", str(self.pool_timeout)),
            ("INKWELL_SQLITE_BUSY_TIMEOUT_MS", str(self.sqlite_busy_timeout_ms)),
            ("INKWELL_TOKEN_TTL_DAYS", str(self.token_ttl_days)),
            ("INKWELL_MAX_BODY_BYTES", str(self.max_body_bytes)),
            ("INKWELL_CORS_ORIGINS", ",".join(self.cors_origins)),
            ("INKWELL_REDIS_URL", _hide_password(self.redis_url) if self.redis_url else "(unset)"),
            ("INKWELL_LOGIN_LIMIT", self.login_limit),
            ("INKWELL_REGISTER_LIMIT", self.register_limit),
            ("INKWELL_RATELIMIT_ENABLED", str(self.ratelimit_enabled).lower()),
            ("INKWELL_PROXY_HOPS", str(self.proxy_hops)),
            (
                "INKWELL_METRICS_TOKEN",
                mask(self.metrics_token) if self.metrics_token else "(unset)",
            ),
            ("INKWELL_LOG_LEVEL", self.log_level),
            ("INKWELL_LOG_FORMAT", self.log_format),
            ("INKWELL_SLOW_QUERY_MS", str(self.slow_query_ms)),
        ]


def mask(secret: str) -> str:
    """Show that a secret is set, and how long it is, without showing it."""
    return f"****** ({len(secret)} characters)" if secret else "(empty)"


def process_environ() -> Mapping[str, str]:
    """The process environment; the one place that reads it."""
    return os.environ


def instance_path(environ: Mapping[str, str]) -> Path:
    """Where Inkwell keeps its local files: `INKWELL_INSTANCE_PATH`, or `./instance`."""
    return Path(environ.get("INKWELL_INSTANCE_PATH") or "instance").resolve()


def _environment(environ: Mapping[str, str]) -> Environment:
    value = environ.get("INKWELL_ENV", "development").strip().lower()
    for known in ENVIRONMENTS:
        if value == known:
            return known
    raise ConfigError("INKWELL_ENV", f"must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")


def _database_url(environ: Mapping[str, str], instance_path: Path) -> sa.URL:
    setting = "INKWELL_DATABASE_URL" if environ.get("INKWELL_DATABASE_URL") else "DATABASE_URL"
    raw = environ.get(setting, "").strip()
    if not raw:
        return sa.URL.create("sqlite+pysqlite", database=str(instance_path / SQLITE_FILE))
    try:
        url = sa.make_url(raw)
    except ArgumentError:
        raise ConfigError(setting, "is not a database URL (expected dialect://...)") from None
    driver = SUPPORTED_DRIVERS.get(url.drivername)
    if driver is None:
        supported = "sqlite, postgresql+psycopg, mysql+pymysql, mariadb+pymysql"
        raise ConfigError(setting, f"unsupported driver {url.drivername!r} (use {supported})")
    url = url.set(drivername=driver)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError(setting, "SQLite needs a file path (sqlite:///path/to/file)")
    elif not url.database:
        raise ConfigError(setting, "names no database (add /DATABASE_NAME to the URL)")
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise ConfigError(setting, f"driver {driver!r} is not installed") from None
    return url


def _secret_key(environ: Mapping[str, str], environment: Environment, instance_path: Path) -> str:
    key = environ.get("INKWELL_SECRET_KEY", "")
    if environment == "production":
        if len(key) < MIN_PRODUCTION_SECRET_LENGTH:
            problem = "is required in production" if not key else "is too short"
            raise ConfigError(
                "INKWELL_SECRET_KEY",
                f"{problem}: set at least {MIN_PRODUCTION_SECRET_LENGTH} random characters",
            )
        return key
    if key:
        return key
    if environment == "testing":
        return secrets.token_urlsafe(32)
    return _development_secret(instance_path)


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
        raise ConfigError("INKWELL_SECRET_KEY", f"unset and cannot write {path}: {err}") from None
    return key


def _origins(environ: Mapping[str, str]) -> tuple[str, ...]:
    raw = environ.get("INKWELL_CORS_ORIGINS", "*")
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError("INKWELL_CORS_ORIGINS", f"{origin!r} is not * or an http(s) origin")
    return origins


def _redis_url(environ: Mapping[str, str]) -> str | None:
    raw = environ.get("INKWELL_REDIS_URL", "").strip()
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("INKWELL_REDIS_URL", "must start with redis://, rediss:// or unix://")
    return raw


def _hide_password(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _rate(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name, "").strip() or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(
            name, f"is not a rate limit like '10 per 15 minutes', got {raw!r}"
        ) from None
    return raw


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = environ.get(name, "").strip().upper() or default
    if raw not in choices:
        raise ConfigError(
            name, f"must be one of {', '.join(c.lower() for c in choices)}, got {raw!r}"
        )
    return raw


def _int(environ: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"must be true or false, got {raw!r}")
