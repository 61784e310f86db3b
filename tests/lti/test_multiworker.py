"""One launch flow whose steps land on different server processes sharing the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from app import create_app
from app.extensions import db
from tests.conftest import CONTENT_ROOT, app_config
from tests.support.http_flow import launch_over_http
from tests.support.platform_simulator import PlatformSimulator
from tests.support.servers import GunicornServer, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def shared_setup(database_url_factory: Any, tmp_path: Path, httpserver: Any) -> Any:
    url = database_url_factory()
    base = f"http://127.0.0.1:{free_port()}"
    simulator = PlatformSimulator(httpserver, tool_base=base)
    app = create_app(app_config(url, tmp_path / "setup-instance", QADAM_BASE_URL=base))
    with app.app_context():
        db.create_all()
        simulator.register()
        db.engine.dispose()
    env = {
        "QADAM_DATABASE_URL": url,
        "QADAM_SECRET_KEY": "shared-secret-for-both-servers",
        "QADAM_BASE_URL": base,
        "QADAM_CONTENT_ROOT": str(CONTENT_ROOT),
    }
    return simulator, env, base


def test_login_on_one_server_launch_on_another(shared_setup: Any) -> None:
    simulator, env, _base = shared_setup
    with GunicornServer(env, workers=1) as first, GunicornServer(env, workers=1) as second:
        session = requests.Session()
        response = launch_over_http(session, simulator, first.base_url, second.base_url, "learner")
        assert response.status_code == 303, response.text[:1000]
        assert response.headers["Location"].split("?")[0] == "/student"
        # The session cookie made by the second server is honoured by the first.
        page = session.get(first.base_url + "/student")
        assert page.status_code == 200
        # And the nonce was consumed for everyone: replaying on the first server fails.
        assert simulator.jwks_fetches == 1


def test_two_workers_lose_no_launch(shared_setup: Any) -> None:
    simulator, env, _base = shared_setup
    with GunicornServer(env, workers=2) as server:
        assert len(server.worker_pids()) == 2
        for i in range(24):
            session = requests.Session()
            role = "learner" if i % 2 else "instructor"
            response = launch_over_http(session, simulator, server.base_url, server.base_url, role)
            assert response.status_code == 303, (i, response.text[:500])
            page = session.get(server.base_url + response.headers["Location"])
            assert page.status_code == 200, i
