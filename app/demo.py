"""Wiring of the built-in demo platform: its settings and its registration with the tool."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from lti.demo_platform import DemoSettings
from lti.demo_platform.platform import load_key
from lti.demo_platform.users import DEMO_COORDINATOR_SUB

from .models import Platform
from .services import coordinators, schools
from .services.platforms import IfRegistered, PlatformSpec, save_platform

DEMO_CLIENT_ID = "qadam-demo"
DEMO_DEPLOYMENT_ID = "1"


def demo_settings(app: Flask) -> DemoSettings:
    base = app.config["QADAM_BASE_URL"]
    return DemoSettings(
        issuer=base + "/demo",
        client_id=DEMO_CLIENT_ID,
        deployment_id=DEMO_DEPLOYMENT_ID,
        key_path=Path(app.instance_path) / "demo-platform-key.pem",
        tool_login_url=base + "/lti/login",
        tool_launch_url=base + "/lti/launch",
        tool_jwks_url=base + "/lti/jwks",
    )


def register_demo_platform(app: Flask) -> Platform:
    """Register the demo platform like any other: issuer, client id, URLs, one deployment."""
    settings = demo_settings(app)
    load_key(settings.key_path)
    platform = save_platform(
        PlatformSpec(
            issuer=settings.issuer,
            client_id=settings.client_id,
            auth_login_url=settings.issuer + "/auth",
            auth_token_url=settings.issuer + "/token",
            jwks_url=settings.issuer + "/jwks",
            name="Qadam demo",
            product="qadam-demo",
        ),
        [settings.deployment_id],
        registered_by="demo",
        # Seeding again is the operator's own command: the demo's URLs follow the settings.
        if_registered=IfRegistered.REPLACE,
    )
    # The demo's coordinator gets coordinator rights the way a school's psychologist would:
    # granted in Qadam, not by a launch parameter.
    school_id = schools.school_for_launch(platform.id, platform.deployments[0].id, None)
    coordinators.grant_for(
        platform.id, school_id, DEMO_COORDINATOR_SUB, safeguarding=True, granted_by="demo"
    )
    return platform
