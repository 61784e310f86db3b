"""The content catalog of the running application: parsed once, then kept compiled.

Parsing ``lessons/`` and ``quizzes/`` (YAML, Markdown, sanitising, every check) takes about a
second of CPU; unpickling the result takes milliseconds. So the parsed catalog is stored in
the instance folder, keyed by a digest of every content file (paths and bytes), the loader's
own code and the versions of the libraries that render it. Any change to any of them gives
another key, and the catalog is parsed again: a compiled file is never served for content it
was not built from. The file also carries an HMAC made with the application's secret key:
one that does not verify (truncated, corrupt, written by anyone but Qadam) is ignored and
rebuilt, never unpickled.

``flask content check`` writes the compiled file after a clean check; otherwise the first
process to need the catalog does. Under gunicorn (``gunicorn.conf.py``), the master loads it
before forking, so every worker starts with it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from flask import Flask, current_app

from .content import Catalog
from .content.quiz_loader import load_content

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIRS = ("lessons", "quizzes")
COMPILED_NAME = "content-catalog.bin"
# Bump when the compiled form changes in a way the code digest below would not notice.
FORMAT = b"qadam-catalog 1\n"
_CODE = [*sorted((Path(__file__).parent / "content").glob("*.py")), Path(__file__)]
_LIBRARIES = ("PyYAML", "Markdown", "nh3")
_EXTENSION = "qadam_catalog"

log = logging.getLogger(__name__)


def load_from_disk(root: Path = ROOT) -> Catalog:
    """Read and check ``lessons/`` and ``quizzes/`` under ``root`` (the full, slow parse)."""
    return load_content(root)


def _feed(digest: hashlib._Hash, *parts: bytes) -> None:
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)


def content_key(root: Path) -> bytes:
    """A digest of everything the parsed catalog depends on: content, loader code, libraries."""
    digest = hashlib.sha256(FORMAT)
    _feed(digest, sys.version.encode(), str(root.resolve()).encode())
    for library in _LIBRARIES:
        _feed(digest, library.encode(), metadata.version(library).encode())
    for code in _CODE:
        _feed(digest, code.name.encode(), code.read_bytes())
    for folder in CONTENT_DIRS:
        base = root / folder
        for current, dirs, files in os.walk(base, followlinks=True):
            dirs.sort()
            here = Path(current)
            _feed(digest, b"d", str(here.relative_to(root)).encode())
            for name in sorted(files):
                path = here / name
                _feed(digest, b"f", str(path.relative_to(root)).encode(), path.read_bytes())
    return digest.digest()


def _mac(secret: bytes, key: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, FORMAT + key + payload, hashlib.sha256).digest()


def _secret(app: Flask) -> bytes | None:
    secret = app.config.get("SECRET_KEY")
    if not secret:
        return None
    return secret if isinstance(secret, bytes) else str(secret).encode()


def read_compiled(path: Path, key: bytes, secret: bytes) -> Catalog | None:
    """The catalog stored at ``path`` for ``key``, or None when absent, stale or not sound."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    header = FORMAT + key
    mac_end = len(header) + hashlib.sha256().digest_size
    if not blob.startswith(header) or len(blob) <= mac_end:
        return None
    mac, payload = blob[len(header) : mac_end], blob[mac_end:]
    if not hmac.compare_digest(mac, _mac(secret, key, payload)):
        return None
    try:
        loaded = pickle.loads(payload)  # noqa: S301 - only a payload signed with our secret key
    except Exception:
        return None
    return loaded if isinstance(loaded, Catalog) else None


def write_compiled(path: Path, key: bytes, secret: bytes, catalog: Catalog) -> None:
    """Store ``catalog`` for ``key`` at ``path``, atomically, readable by Qadam alone."""
    payload = pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".catalog-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(FORMAT + key + _mac(secret, key, payload) + payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def compiled_path(app: Flask) -> Path:
    return Path(app.instance_path) / COMPILED_NAME


def save_compiled(app: Flask, root: Path, catalog: Catalog, key: bytes) -> bool:
    """Store a catalog parsed from ``root`` whose content had ``key`` before the parse.

    Nothing is stored when the content changed meanwhile (the catalog might mix both) or
    when there is no secret key to sign it with. Returns whether it was stored.
    """
    secret = _secret(app)
    if secret is None or content_key(root) != key:
        return False
    try:
        write_compiled(compiled_path(app), key, secret, catalog)
    except OSError as exc:
        log.warning("could not store the compiled catalog: %s", exc)
        return False
    return True


def build_catalog(app: Flask) -> Catalog:
    """The catalog of ``app``'s content: the compiled one when it is current, else parsed."""
    root = Path(app.config["QADAM_CONTENT_ROOT"])
    key = content_key(root)
    secret = _secret(app)
    if secret is not None:
        compiled = read_compiled(compiled_path(app), key, secret)
        if compiled is not None:
            return compiled
    catalog = load_from_disk(root)
    save_compiled(app, root, catalog, key)
    return catalog


def catalog() -> Catalog:
    """The application's catalog, loaded on first use (or before, by :func:`warm_up`)."""
    loaded = current_app.extensions.get(_EXTENSION)
    if loaded is None:
        loaded = build_catalog(current_app)
        current_app.extensions[_EXTENSION] = loaded
    return loaded


def warm_up(app: Flask) -> None:
    """Load the catalog and compile the landing pages' templates before the first request.

    Run in gunicorn's master (``preload_app``), it leaves every forked worker ready. Touches
    no database (a connection must not cross a fork).
    """
    with app.app_context():
        catalog()
    for name in ("base.html", "home/student.html", "home/teacher.html", "home/coordinator.html"):
        app.jinja_env.get_template(name)
