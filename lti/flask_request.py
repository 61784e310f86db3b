"""pylti1p3's view of the current Flask request, with the request's parameters read once."""

from __future__ import annotations

from flask import request
from pylti1p3.contrib.flask import FlaskRequest


def current_request() -> FlaskRequest:
    """The current request for pylti1p3, its query (GET) or form (POST) copied into a dict.

    pylti1p3 reads a parameter about a dozen times per login or launch; each read through
    Flask's request proxy costs more than copying them all once. The values are the same:
    the first of each name, from the query for a GET and from the form otherwise.
    """
    source = request.args if request.method == "GET" else request.form
    return FlaskRequest(request_data=source.to_dict())
