"""Absolute links, for what is read away from the site: Atom feeds, the sitemap, robots.txt.

They name INKWELL_PUBLIC_URL, the address readers use, never the request's
Host header: the client chooses that header, and feed readers, crawlers and
caches keep these links, so a forged Host would hand its own address to
everyone who reads them. Without a public URL (development) the request's
host is the best guess there is.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for

from inkwell.config import Settings
from inkwell.web import bp


@bp.app_template_global()
def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` with `values`, on the public URL when there is one.

    The public URL carries any path the site lives under, so the path the
    app was mounted at (the request's script root) is left out.
    """
    settings: Settings = current_app.extensions["inkwell.settings"]
    if settings.public_url is None:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values).removeprefix(request.script_root)
    return settings.public_url + path
