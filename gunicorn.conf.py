"""gunicorn settings for Qadam (read from the checkout's root: ``gunicorn -c gunicorn.conf.py``).

The application, and with it the content catalog, is loaded once in the master before the
workers are forked (``preload_app``): every worker answers its first request at once and
shares the catalog's memory. Workers, the address and the rest come from the command line.
"""

from __future__ import annotations

import gc
from typing import Any

wsgi_app = "app:create_app()"
preload_app = True


def when_ready(server: Any) -> None:
    """Load the catalog and templates in the master, after the app, before the first fork."""
    from app.content_catalog import warm_up

    app = server.app.wsgi()
    if not hasattr(app, "jinja_env"):
        return  # not a Flask application: nothing to warm
    try:
        warm_up(app)
    except Exception:
        # Content with problems: keep serving what works (logins, launches); the pages that
        # need the catalog fail as they would have at their first request.
        server.log.exception("the content catalog could not be loaded")
    # What the master loaded (the app, the catalog, templates) lives as long as the workers:
    # kept out of the collector's reach, a worker's full collections no longer walk it, nor
    # write to the pages it shares with the master.
    gc.freeze()
