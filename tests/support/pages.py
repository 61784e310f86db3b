"""Reading Qadam's pages in tests: the CSRF token, a form's action, a CLI command's output."""

from __future__ import annotations

import re
from typing import Any


def csrf(html: str) -> str:
    """The page's CSRF token (the first form's; every form of a page carries the same)."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def form_action(html: str, path_start: str) -> str:
    """The action of the page's form that posts to ``path_start…`` (with its launch key)."""
    found = re.search(r'action="(' + re.escape(path_start) + r'[^"]*)"', html)
    assert found, f"no form posting to {path_start}"
    return found.group(1).replace("&amp;", "&")


def cli(app: Any, *args: str) -> str:
    """Run a ``flask`` command of ``app``; its standard output (it must succeed)."""
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)
