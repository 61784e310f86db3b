"""Qadam with two routes that answer like an LTI login and launch, and do none of their LTI work.

The launch benchmark measures them as a floor: the same two requests, with the same form
fields, redirects and cookies as a launch, served by the same gunicorn workers and Flask
application, but with no signed state, no token check and no database. What a real launch
costs above this floor is Qadam's LTI work; the floor itself is the stack's.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Flask, redirect, request, session
from flask.typing import ResponseReturnValue

from app import create_app
from app.extensions import csrf

LOGIN = "/bench/floor/login"
LAUNCH = "/bench/floor/launch"


def create_app_with_floor(config: dict[str, Any] | None = None) -> Flask:
    app = create_app(config)

    @app.post(LOGIN)
    @csrf.exempt
    def floor_login() -> ResponseReturnValue:
        form = request.form.to_dict()
        state = "state-" + secrets.token_urlsafe(16)
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "client_id": form.get("client_id", ""),
            "redirect_uri": request.host_url + LAUNCH.lstrip("/"),
            "state": state,
            "nonce": secrets.token_urlsafe(18),
            "login_hint": form.get("login_hint", ""),
            "lti_message_hint": form.get("lti_message_hint", ""),
        }
        response = redirect("http://platform.invalid/auth?" + urlencode(query))
        response.set_cookie("lti1p3-" + state, "1", max_age=300, httponly=True)
        return response

    @app.post(LAUNCH)
    @csrf.exempt
    def floor_launch() -> ResponseReturnValue:
        form = request.form.to_dict()
        session["floor"] = {"p": 1, "r": "student", "c": 1, "t": secrets.token_urlsafe(16)}
        response = redirect("/student", code=303)
        response.delete_cookie("lti1p3-" + form.get("state", ""))
        return response

    return app
