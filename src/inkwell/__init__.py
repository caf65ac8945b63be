"""Inkwell: a self-hostable multi-author publishing platform."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI

from inkwell.config import Settings, instance_path, process_environ

if TYPE_CHECKING:
    import sqlalchemy as sa

API_TITLE = "Inkwell API"
API_VERSION = "1.0.0"


def create_app(environ: Mapping[str, str] | None = None, *, serving: bool = True) -> Flask:
    """Build an app from `environ` (the process environment unless given).

    `serving` is False for the app the `inkwell` command builds to run
    operator commands: their statements (maintenance, backups, seeding,
    re-rendering, migrations) are long by nature, and the statement timeout
    exists to keep one request from holding a worker, so it bounds the apps
    that answer requests only.

    Nothing here connects to the database: connections open on first use, in
    the process (or forked worker) that uses them.
    """
    environ = process_environ() if environ is None else environ
    app = new_app(instance_path(environ))
    settings = Settings.from_env(environ, Path(app.instance_path))
    app.config.from_mapping(settings.flask_config())
    app.extensions["inkwell.settings"] = settings
    configure_database(app, settings, serving=serving)
    configure_view_counts(app, settings)
    configure_logging(app)
    configure_metrics(app)
    configure_http(app, settings)
    configure_blueprints(app)
    configure_commands(app)
    return app


def new_app(instance: Path) -> OpenAPI:
    """The bare application: a Flask app that also writes the API's OpenAPI document.

    Bodies that fail validation answer 422 in the API's error envelope, as
    the RealWorld contract asks, instead of flask-openapi3's own shape.
    """
    from inkwell.api.errors import validation_error_response
    from inkwell.api.schemas import ErrorResponse

    app = OpenAPI(
        __name__,
        instance_path=str(instance),
        info=Info(title=API_TITLE, version=API_VERSION),
        security_schemes={
            "Token": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <jwt>` (or `Bearer <jwt>`) from sign-in or registration.",
            }
        },
        doc_prefix="/api/docs",
        validation_error_status=422,
        validation_error_model=ErrorResponse,
        validation_error_callback=validation_error_response,
    )
    # /api/docs/ (the address people are given) and /api/docs/swagger both open
    # Swagger UI, from a page that needs no inline script or style.
    app.config["OPENAPI_HTML_STRING"] = app.config["SWAGGER_HTML_STRING"] = (
        '{% include "api_docs.html" %}'
    )
    return app


def configure_database(app: Flask, settings: Settings, *, serving: bool) -> None:
    """Bind SQLAlchemy and Flask-Migrate, tune SQLite connections, test idle ones, and
    bound how long connecting, and each statement of a request, may take.

    The analytics tables get an engine of their own only when they have a
    database of their own; by default their bind is the main engine itself, so
    one pool serves both and a unit of work that touches both (deleting an
    article and its views) is one transaction."""
    from inkwell import models  # noqa: F401  (registers the tables)
    from inkwell.connections import declares_writes, ping_idle_connections
    from inkwell.dialects import bound_connecting, bound_statements, configure_sqlite
    from inkwell.extensions import db, migrate
    from inkwell.fulltext import described_by_models
    from inkwell.models.base import ANALYTICS
    from inkwell.models.views import in_main_schema
    from inkwell.scaling.cache import watch_content_writes

    if settings.analytics_url is not None:
        options = settings.engine_options(settings.analytics_url)
        app.config["SQLALCHEMY_BINDS"] = {ANALYTICS: {"url": settings.analytics_url, **options}}
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        include_object=described_by_models,
        include_name=in_main_schema,
    )
    with app.app_context():
        engines = [db.engine]
        if settings.analytics_url is None:
            # Flask-SQLAlchemy's own dict of the app's engines, typed read-only.
            db.engines[ANALYTICS] = db.engine  # type: ignore[index]
        else:
            engines.append(db.engines[ANALYTICS])
        for engine in engines:
            configure_sqlite(engine, settings.sqlite_busy_timeout_ms, declares_writes)
        watch_content_writes(db.engine)
        if serving and settings.replica_urls:
            engines += configure_replicas(app, db.engine, settings)
        for engine in engines:
            ping_idle_connections(engine, settings.ping_after_idle)
            bound_connecting(engine, settings.connect_timeout)
            if serving:
                bound_statements(engine, settings.statement_timeout_ms)


def configure_replicas(app: Flask, primary: sa.Engine, settings: Settings) -> list[sa.Engine]:
    """Engines for the read replicas, pooled like the primary's, and where API callers'
    write positions are kept (Redis, when configured). Only apps that serve requests
    read from replicas: commands work on the primary."""
    import sqlalchemy as sa

    from inkwell.scaling.replicas import POSITIONS, REPLICAS, Positions, Replicas

    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    standbys = [sa.create_engine(url, **options) for url in settings.replica_urls]
    replicas = Replicas(primary, standbys, settings.replica_max_lag)
    replicas.watch()  # from now, so a worker's first requests already have a standby's state
    app.extensions[REPLICAS] = replicas
    if settings.redis_url:
        keep = max(60.0, 10 * settings.replica_max_lag)
        app.extensions[POSITIONS] = Positions(settings.redis_url, keep)
    return standbys


def configure_view_counts(app: Flask, settings: Settings) -> None:
    """Count article views in batches, off the request path (`inkwell.scaling.views`)."""
    from inkwell.scaling.views import configure_view_counts as configure

    configure(app, settings)


def configure_logging(app: Flask) -> None:
    """JSON logs with request ids, and the slow-statement log."""
    from inkwell.ops.logging import configure_logging as configure

    configure(app)


def configure_metrics(app: Flask) -> None:
    """Request counts, latencies, pool use and content figures at /metrics, sampled
    each minute into the database for the dashboard's Health page."""
    from inkwell.ops.metrics import configure_metrics as configure
    from inkwell.ops.samples import configure_sampling

    configure(app)
    configure_sampling(app)


def configure_http(app: Flask, settings: Settings) -> None:
    """Units of work and error answers, sessions, CSRF, rate limits, CORS for the API
    only, security headers, and the signed-out readers' response cache."""
    from inkwell.api.jsonio import DepthSafeJSONProvider
    from inkwell.extensions import csrf, limiter
    from inkwell.http import configure_edge, configure_reader_cache
    from inkwell.web.security import configure_security
    from inkwell.web.session import configure_sessions

    configure_edge(app)
    app.json = DepthSafeJSONProvider(app)
    app.json.mimetype = "application/json; charset=utf-8"
    if settings.proxy_hops:
        trust_proxies(app, settings.proxy_hops)
    limiter.init_app(app)
    configure_cors(app, settings.cors_origins)
    configure_sessions(app)
    csrf.init_app(app)
    configure_security(app, settings)
    configure_reader_cache(
        app,
        keep=settings.response_cache,
        redis_url=settings.redis_url,
        max_age=settings.cache_max_age,
    )


def trust_proxies(app: Flask, hops: int) -> None:
    """Client address, scheme and host from the proxy, trusting exactly `hops` of them."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def configure_cors(app: Flask, origins: tuple[str, ...]) -> None:
    """Let browsers on `origins` call the API; the web pages are never shared."""
    from flask_cors import CORS

    CORS(
        app,
        resources={r"/api/*": {"origins": list(origins)}},
        allow_headers=["Authorization", "Content-Type", "X-Requested-With"],
        expose_headers=["Retry-After"],
        max_age=600,
    )


def configure_blueprints(app: OpenAPI) -> None:
    """Mount the interfaces."""
    from inkwell.api import bp as api
    from inkwell.api.articles import documented_offset_limit
    from inkwell.api.blueprint import SlugConverter
    from inkwell.extensions import csrf
    from inkwell.ops.health import bp as ops
    from inkwell.web import bp as web
    from inkwell.web.admin import bp as admin

    csrf.exempt(api)  # token-authenticated JSON: no cookies, so no CSRF
    app.url_map.converters["slug"] = SlugConverter
    app.register_api(api)
    deepest = app.config["INKWELL_API_OFFSET_MAX"]
    app.add_url_rule(
        "/api/openapi.json", "api_document", lambda: documented_offset_limit(app.api_doc, deepest)
    )
    app.register_blueprint(web)
    app.register_blueprint(admin)
    app.register_blueprint(ops)


def configure_commands(app: Flask) -> None:
    """Add the operator commands to `app.cli`."""
    from inkwell.cli import register_commands

    register_commands(app)
