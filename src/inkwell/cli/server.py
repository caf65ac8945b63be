"""`inkwell run`: Flask's development server, without the debugger in production.

Flask's own `run` turns Werkzeug's interactive debugger (a Python console in
the browser for whoever makes a request fail) and the reloader on from
FLASK_DEBUG alone, whatever the app says. This one takes both from the app's
debug mode, which the settings keep off in production, and refuses to be
asked for them there. Its app bounds statements as Gunicorn's does, unlike the
app other commands run in.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

import click
from flask.cli import ScriptInfo, pass_script_info, show_server_banner
from flask.cli import run_command as flask_run_command
from werkzeug.serving import run_simple

from inkwell import create_app
from inkwell.config import Settings


def _serve(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: ssl.SSLContext | tuple[str, str | None] | Literal["adhoc"] | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    app: Any = create_app()  # serving requests: with their statement timeout
    settings: Settings = app.extensions["inkwell.settings"]
    if settings.environment == "production" and (reload or debugger):
        raise click.ClickException(
            "--reload and --debugger are development tools, refused with INKWELL_ENV=production"
        )
    show_server_banner(app.debug, info.app_import_path)
    run_simple(
        host,
        port,
        app,
        use_reloader=app.debug if reload is None else reload,
        use_debugger=app.debug if debugger is None else debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


run_command = click.Command(
    "run",
    callback=pass_script_info(_serve),
    params=flask_run_command.params,
    help=flask_run_command.help,
    short_help=flask_run_command.short_help,
)
