"""Settings come from the environment and fail early with the setting's name."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from inkwell.config import ConfigError, Settings, instance_path
from inkwell.ops.backup import Target


def settings(tmp_path: Path, **environ: str) -> Settings:
    return Settings.from_env(environ, tmp_path)


def production(tmp_path: Path, **environ: str) -> Settings:
    """Settings for production with what it requires, unless `environ` says otherwise."""
    required = {
        "INKWELL_ENV": "production",
        "INKWELL_SECRET_KEY": secrets.token_urlsafe(30),
        "INKWELL_PUBLIC_URL": "https://blog.example.com",
    }
    return settings(tmp_path, **(required | environ))


def test_defaults_to_sqlite_under_the_instance_folder(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.environment == "development"
    assert s.database_url.drivername == "sqlite+pysqlite"
    assert s.database_url.database == str(tmp_path / "inkwell.sqlite3")


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = settings(tmp_path).secret_key
    assert len(first) >= 32
    assert settings(tmp_path).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


MAKE_ONE = "make one with python -c 'import secrets; print(secrets.token_urlsafe(48))'"


@pytest.mark.parametrize("blank", [None, "", " " * 40, "\t\n" * 20])
def test_production_refuses_to_start_without_a_secret(tmp_path: Path, blank: str | None) -> None:
    given = {} if blank is None else {"INKWELL_SECRET_KEY": blank}
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, INKWELL_ENV="production", **given)
    assert str(caught.value) == f"INKWELL_SECRET_KEY: is required in production: {MAKE_ONE}"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("short", "is too short (5 characters, at least 32)"),
        ("k" * 40, "is too regular to be random (1 different characters, at least 8)"),
        (" " * 20 + "x" * 20, "is too regular to be random (2 different characters, at least 8)"),
        ("changeme" * 5, "is too regular to be random (7 different characters, at least 8)"),
        (
            "a" * 30 + "bcdefghijk",
            "is too regular to be random (about 66 bits by its character counts, at least 80)",
        ),
    ],
)
def test_production_refuses_a_secret_that_is_not_random(
    tmp_path: Path, key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, INKWELL_ENV="production", INKWELL_SECRET_KEY=key)
    assert str(caught.value) == f"INKWELL_SECRET_KEY: {problem}: {MAKE_ONE}"


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_hex(16),
        lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    ],
)
def test_production_takes_keys_from_the_usual_generators(
    tmp_path: Path, make: Callable[[], str]
) -> None:
    for _ in range(200):
        key = make()
        assert production(tmp_path, INKWELL_SECRET_KEY=key).secret_key == key


def test_production_keeps_its_secret_out_of_the_instance_folder(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(30)
    s = production(tmp_path, INKWELL_SECRET_KEY=key)
    assert s.secret_key == key
    assert s.flask_config()["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mariadb+pymysql"),
        ("sqlite:////tmp/x.db", "sqlite+pysqlite"),
    ],
)
def test_bare_dialects_get_the_shipped_driver(tmp_path: Path, url: str, driver: str) -> None:
    assert settings(tmp_path, DATABASE_URL=url).database_url.drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "mariadb://u@h/db"])
def test_mariadb_under_either_name_reads_committed_rows(tmp_path: Path, url: str) -> None:
    options = settings(tmp_path, DATABASE_URL=url).flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["isolation_level"] == "READ COMMITTED"
    target = Target(sa.make_url(url))
    assert (target.kind, target.suffix) == ("mysql", ".sql")


def test_inkwell_database_url_wins(tmp_path: Path) -> None:
    s = settings(tmp_path, DATABASE_URL="postgresql://u@h/a", INKWELL_DATABASE_URL="mysql://u@h/b")
    assert s.database_url.database == "b"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL: is not a database URL"),
        ({"DATABASE_URL": "oracle://u@h/db"}, "DATABASE_URL: unsupported driver 'oracle'"),
        ({"DATABASE_URL": "postgresql+asyncpg://h/db"}, "DATABASE_URL: unsupported driver"),
        ({"INKWELL_DATABASE_URL": "mysql://u@h"}, "INKWELL_DATABASE_URL: names no database"),
        ({"DATABASE_URL": "sqlite://"}, "DATABASE_URL: SQLite needs a file path"),
        ({"INKWELL_ENV": "staging"}, "INKWELL_ENV: must be one of"),
        ({"INKWELL_DB_POOL_SIZE": "ten"}, "INKWELL_DB_POOL_SIZE: must be a whole number"),
        ({"INKWELL_DB_POOL_SIZE": "0"}, "INKWELL_DB_POOL_SIZE: must be at least 1"),
        ({"INKWELL_DB_MAX_OVERFLOW": "-1"}, "INKWELL_DB_MAX_OVERFLOW: must be at least 0"),
        ({"INKWELL_DB_PING_AFTER_IDLE": "-2"}, "INKWELL_DB_PING_AFTER_IDLE: must be at least -1"),
        ({"INKWELL_DB_CONNECT_TIMEOUT": "0"}, "INKWELL_DB_CONNECT_TIMEOUT: must be at least 1"),
        (
            {"INKWELL_DB_STATEMENT_TIMEOUT": "5s"},
            "INKWELL_DB_STATEMENT_TIMEOUT: must be a whole number, got '5s'",
        ),
        (
            {"INKWELL_DB_STATEMENT_TIMEOUT": "-1"},
            "INKWELL_DB_STATEMENT_TIMEOUT: must be at least 0",
        ),
        (
            {"INKWELL_DATABASE_REPLICA_URLS": "postgresql://u@standby/db"},
            "INKWELL_DATABASE_REPLICA_URLS: read replicas are supported with PostgreSQL only",
        ),
        (
            {
                "DATABASE_URL": "postgresql://u@primary/db",
                "INKWELL_DATABASE_REPLICA_URLS": "postgresql://u@a/db, postgresql://u@b",
            },
            "INKWELL_DATABASE_REPLICA_URLS: replica 2 names no database",
        ),
        (
            {
                "DATABASE_URL": "postgresql://u@primary/db",
                "INKWELL_DATABASE_REPLICA_URLS": "mysql://u@replica/db",
            },
            "INKWELL_DATABASE_REPLICA_URLS: replica 1 is not a PostgreSQL URL",
        ),
        (
            {"INKWELL_REPLICA_MAX_LAG_SECONDS": "0"},
            "INKWELL_REPLICA_MAX_LAG_SECONDS: must be more than 0 seconds",
        ),
        (
            {"INKWELL_REPLICA_MAX_LAG_SECONDS": "soon"},
            "INKWELL_REPLICA_MAX_LAG_SECONDS: must be a number of seconds, got 'soon'",
        ),
        ({"INKWELL_CACHE_MAX_AGE": "-5"}, "INKWELL_CACHE_MAX_AGE: must be at least 0"),
        ({"INKWELL_RESPONSE_CACHE": "maybe"}, "INKWELL_RESPONSE_CACHE: must be true or false"),
        (
            {"INKWELL_SEARCH_LANGUAGE": "english'); DROP TABLE articles; --"},
            "INKWELL_SEARCH_LANGUAGE: must be a text search configuration such as english",
        ),
    ],
)
def test_bad_settings_name_the_setting(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ, tmp_path)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_blank_variables_count_as_unset_except_cors_origins(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        INKWELL_DB_POOL_SIZE=" ",
        INKWELL_DATABASE_URL="",
        DATABASE_URL="postgresql://u@h/a",
        INKWELL_CORS_ORIGINS="",
    )
    assert s.pool_size == 5
    assert s.database_url.database == "a"
    assert s.cors_origins == ()


def test_readers_pages_are_kept_and_revalidated_unless_told(tmp_path: Path) -> None:
    assert (settings(tmp_path).response_cache, settings(tmp_path).cache_max_age) == (True, 0)
    told = settings(tmp_path, INKWELL_RESPONSE_CACHE="off", INKWELL_CACHE_MAX_AGE="30")
    assert (told.response_cache, told.cache_max_age) == (False, 30)


def test_debug_mode_is_for_development_only(tmp_path: Path) -> None:
    assert settings(tmp_path).flask_config()["DEBUG"] is False
    assert settings(tmp_path, FLASK_DEBUG="1").flask_config()["DEBUG"] is True
    assert production(tmp_path, FLASK_DEBUG="1").flask_config()["DEBUG"] is False
    with pytest.raises(ConfigError, match=r"^FLASK_DEBUG: must be true or false"):
        settings(tmp_path, FLASK_DEBUG="sometimes")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://blog.example.com", "https://blog.example.com"),
        ("https://blog.example.com/", "https://blog.example.com"),
        (" http://[::1]:8080/journal/ ", "http://[::1]:8080/journal"),
        ("HTTPS://Blog.Example.com/Journal", "https://Blog.Example.com/Journal"),
    ],
)
def test_public_url_is_kept_without_a_trailing_slash(tmp_path: Path, given: str, kept: str) -> None:
    assert settings(tmp_path, INKWELL_PUBLIC_URL=given).public_url == kept


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("blog.example.com", "must be an absolute http:// or https:// URL"),
        ("ftp://blog.example.com", "must be an absolute http:// or https:// URL"),
        ("https:///journal", "must be an absolute http:// or https:// URL"),
        ("https://me:pw@blog.example.com", "must not carry a user name or password"),
        ("https://blog.example.com/?page=1", "must not have a query or a fragment"),
        ("https://blog.example.com/#top", "must not have a query or a fragment"),
        ("https://blog.example.com:99999", "has no valid port"),
        ("https://blog example.com", "must not contain spaces"),
    ],
)
def test_public_url_must_be_a_site_address(tmp_path: Path, given: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, INKWELL_PUBLIC_URL=given)
    assert str(caught.value).startswith(f"INKWELL_PUBLIC_URL: {problem}")
    assert "pw" not in str(caught.value)


def test_public_url_is_required_in_production_only(tmp_path: Path) -> None:
    assert settings(tmp_path).public_url is None
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, INKWELL_ENV="production", INKWELL_SECRET_KEY=secrets.token_urlsafe(30))
    assert str(caught.value) == (
        "INKWELL_PUBLIC_URL: is required in production: the address readers use, "
        "such as https://blog.example.com"
    )


def test_log_format_defaults_to_json_in_production_only(tmp_path: Path) -> None:
    assert settings(tmp_path).log_format == "text"
    assert production(tmp_path).log_format == "json"
    assert settings(tmp_path, INKWELL_LOG_FORMAT="JSON").log_format == "json"


def test_statements_are_bounded_by_default_in_production_only(tmp_path: Path) -> None:
    assert settings(tmp_path).statement_timeout_ms == 0
    assert settings(tmp_path, INKWELL_ENV="testing").statement_timeout_ms == 0
    assert production(tmp_path).statement_timeout_ms == 5000
    assert production(tmp_path, INKWELL_DB_STATEMENT_TIMEOUT="0").statement_timeout_ms == 0
    assert settings(tmp_path, INKWELL_DB_STATEMENT_TIMEOUT=" 250 ").statement_timeout_ms == 250
    assert dict(production(tmp_path).describe())["INKWELL_DB_STATEMENT_TIMEOUT"] == "5000"


def test_connections_are_given_up_after_five_seconds_unless_told(tmp_path: Path) -> None:
    assert settings(tmp_path).connect_timeout == 5
    assert settings(tmp_path, INKWELL_DB_CONNECT_TIMEOUT="12").connect_timeout == 12


def test_a_bad_environment_is_the_only_error_reported(tmp_path: Path) -> None:
    # The secret key and log format depend on INKWELL_ENV; they add no error of their own.
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, INKWELL_ENV="staging", INKWELL_LOG_LEVEL="loud")
    assert caught.value.setting == "INKWELL_ENV"


def test_instance_path_and_metrics_folder_are_read_as_folders(tmp_path: Path) -> None:
    assert instance_path({}) == Path("instance").resolve()
    assert instance_path({"INKWELL_INSTANCE_PATH": str(tmp_path)}) == tmp_path
    assert settings(tmp_path).prometheus_multiproc_dir is None
    metrics = settings(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "m"))
    assert metrics.prometheus_multiproc_dir == tmp_path / "m"


def test_mysql_connections_read_committed_rows(tmp_path: Path) -> None:
    options = settings(tmp_path, DATABASE_URL="mysql://u@h/db").flask_config()
    assert options["SQLALCHEMY_ENGINE_OPTIONS"]["isolation_level"] == "READ COMMITTED"
    sqlite = settings(tmp_path).flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "isolation_level" not in sqlite


def test_pool_settings_reach_the_engine_options(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        INKWELL_DB_POOL_SIZE="7",
        INKWELL_DB_MAX_OVERFLOW="3",
        INKWELL_DB_POOL_RECYCLE="60",
    )
    options = s.flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 7
    assert options["max_overflow"] == 3
    assert options["pool_recycle"] == 60
    assert "pool_pre_ping" not in options  # idle connections are tested instead


def test_describe_masks_secrets_and_passwords(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        DATABASE_URL="postgresql://inkwell:hunter2@db/inkwell",
        INKWELL_DATABASE_REPLICA_URLS="postgresql://inkwell:hunter3@a/inkwell,postgres://b/inkwell",
        INKWELL_SECRET_KEY="super-secret-value",
    )
    described = dict(s.describe())
    assert "hunter2" not in described["DATABASE_URL"]
    assert described["INKWELL_DATABASE_REPLICA_URLS"] == (
        "postgresql+psycopg://inkwell:***@a/inkwell,postgresql+psycopg://b/inkwell"
    )
    assert "super-secret-value" not in described["INKWELL_SECRET_KEY"]
    assert described["INKWELL_METRICS_TOKEN"] == "(unset)"
    assert described["INKWELL_DB_PING_AFTER_IDLE"] == "10"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://u@h:abc/db", "is not a database URL"),
        ("postgresql://u@[::1/x", "is not a database URL"),
        ("mysql://u@h/db?charset=bogus", "unknown MariaDB character set 'bogus'"),
    ],
)
def test_a_database_url_the_driver_would_choke_on_is_one_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, DATABASE_URL=url)
    assert str(caught.value).startswith(f"DATABASE_URL: {problem}")
    assert "\n" not in str(caught.value)


def test_the_analytics_database_is_the_main_one_unless_it_is_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    main = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    assert settings(tmp_path, DATABASE_URL=main).analytics_url is None
    for same in (main, "sqlite:///site.sqlite3", f"sqlite:///{tmp_path}/./site.sqlite3"):
        chosen = settings(tmp_path, DATABASE_URL=main, INKWELL_ANALYTICS_DATABASE_URL=same)
        assert chosen.analytics_url is None, same
    other = settings(
        tmp_path, DATABASE_URL=main, INKWELL_ANALYTICS_DATABASE_URL="sqlite:///views.sqlite3"
    )
    assert other.analytics_url is not None and other.analytics_url.database == "views.sqlite3"


def test_a_malformed_analytics_url_names_its_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^INKWELL_ANALYTICS_DATABASE_URL: unsupported driver"):
        settings(tmp_path, INKWELL_ANALYTICS_DATABASE_URL="oracle://x/y")
