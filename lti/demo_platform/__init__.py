"""A small stand-in for Moodle: launches Qadam through the real OIDC flow with signed tokens.

Enabled by ``QADAM_DEMO=1`` (the ``make run`` command turns it on). It is a platform, not part
of the tool: it has its own key, signs its own id_tokens, and is registered with the tool
like any other platform.
"""

from .platform import DemoSettings, create_blueprint

__all__ = ["DemoSettings", "create_blueprint"]
