"""The platform's JWKS is cached, and fetched again once when a new key id appears."""

from __future__ import annotations

from typing import Any

from tests.support.platform_simulator import PlatformSimulator


def test_jwks_is_fetched_once_for_many_launches(client: Any, platform: PlatformSimulator) -> None:
    for _ in range(4):
        assert platform.launch(client, "learner").status_code == 303
    assert platform.jwks_fetches == 1


def test_new_platform_key_is_picked_up_after_one_refetch(
    client: Any, platform: PlatformSimulator
) -> None:
    assert platform.launch(client).status_code == 303
    platform.rotate_key()
    assert platform.launch(client).status_code == 303
    assert platform.jwks_fetches == 2
    assert platform.launch(client).status_code == 303
    assert platform.jwks_fetches == 2


def test_forged_key_ids_cannot_make_the_tool_hammer_the_platform(
    client: Any, platform: PlatformSimulator
) -> None:
    from tests.support.platform_simulator import SigningKey

    assert platform.launch(client).status_code == 303
    for _ in range(5):
        stranger = SigningKey()
        response = platform.launch(client, token=lambda c, k=stranger: platform.sign(c, key=k))
        assert response.status_code == 403
    # one refetch for the first unknown kid, then a cool-down
    assert platform.jwks_fetches == 2


def test_platform_keys_unavailable_is_a_502_with_words(
    app: Any, client: Any, httpserver: Any
) -> None:
    simulator = PlatformSimulator(httpserver, tool_base="http://qadam.test")
    spec = simulator.registration_spec()
    from dataclasses import replace

    from app.services.platforms import save_platform

    with app.app_context():
        save_platform(replace(spec, jwks_url=httpserver.url_for("/missing.json")), ["1"])
    httpserver.expect_request("/missing.json").respond_with_data("down", status=503)
    response = simulator.launch(client, locale="en")
    assert response.status_code == 502
    assert "could not fetch the Moodle site" in response.get_data(as_text=True)
