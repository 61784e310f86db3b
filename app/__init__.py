"""Qadam: personal-safety and anti-bullying lessons for Moodle, as an LTI 1.3 tool."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .extensions import babel, csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Qadam application; ``overrides`` replace configuration values (tests)."""
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        instance_path=str((overrides or {}).get("INSTANCE_PATH") or ROOT / "instance"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    # The signed session cookie is refused once the longest launch it can hold has ended.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        seconds=app.config["QADAM_LAUNCH_LIFETIME"]
    )
    logging.basicConfig(
        level=app.config["QADAM_LOG_LEVEL"],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    from lti.http import configure as configure_outbound

    configure_outbound(allow_loopback=bool(app.config["QADAM_OUTBOUND_ALLOW_LOOPBACK"]))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    from .session_cookie import CookieSessionInterface

    app.session_interface = CookieSessionInterface()

    from . import auth, i18n, proxy_checks, security, static_files
    from .cli import register_cli
    from .content_catalog import catalog
    from .help_contacts import localized_with_contacts, text_with_contacts, with_contacts
    from .outbox_worker import init_app as init_outbox_worker
    from .services.scoring import score_question
    from .services.shuffle import shuffled_options
    from .views import (
        areas,
        coordinator,
        errors,
        home,
        lessons,
        lti_views,
        quizzes,
        school_classes,
        survey_exports,
        surveys,
        talk,
        year_plan,
    )

    babel.init_app(app, locale_selector=i18n.select_locale)
    app.jinja_env.globals.update(i18n.template_globals())
    app.jinja_env.filters["contacts"] = with_contacts
    app.jinja_env.filters["contacts_text"] = text_with_contacts
    app.jinja_env.filters["loc"] = localized_with_contacts
    app.jinja_env.globals.update(
        score_question=score_question,
        shuffled_options=shuffled_options,
        zip=zip,
        catalog_quiz=lambda i: catalog().quiz(i),
    )
    proxy_checks.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    errors.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(lti_views.bp)
    app.register_blueprint(lessons.bp)
    app.register_blueprint(quizzes.bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(surveys.bp)
    app.register_blueprint(survey_exports.bp)
    app.register_blueprint(school_classes.bp)
    app.register_blueprint(talk.bp)
    app.register_blueprint(areas.bp)
    app.register_blueprint(year_plan.bp)
    init_outbox_worker(app)
    register_cli(app)

    if app.config["QADAM_DEMO"]:
        from lti.demo_platform import create_blueprint

        from .demo import demo_settings

        demo_blueprint = create_blueprint(demo_settings(app))
        # The demo plays another site (the platform): its endpoints take the tool's posts.
        csrf.exempt(demo_blueprint)
        app.register_blueprint(demo_blueprint, url_prefix="/demo")

    if app.config["QADAM_TRUSTED_PROXIES"]:
        hops = app.config["QADAM_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from .database import configure_engine

    with app.app_context():
        configure_engine()
    return app
