"""What the service worker precaches, a version that changes whenever any of it changes, and the
version every static URL carries, so a page of a new release never gets an old release's files."""
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from werkzeug.security import safe_join

SHELL_STATIC = (
    "css/app.css",
    "js/app.js",
    "js/outbox-store.js",
    "js/outbox.js",
    "js/capture.js",
    "js/sw-sync.js",
    "css/sync.css",
    # the check-in station's page, which the service worker keeps for a tablet with no signal (sw-sync.js)
    "js/checkins.js",
    "css/checkins.css",
    "vendor/htmx-2.0.11.min.js",
    "vendor/htmx-ext-sse-2.2.4.min.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
)


# The offline pages the service worker precaches, as templates under templates/: the staff one, and the one for
# pupils, who use the circle's pages with no staff sign-in (a seat cookie) and must not meet staff words there.
OFFLINE_TEMPLATES = ("pwa/offline.html", "pwa/offline_pupil.html")
# Pupils' pages with no staff sign-in, by path: a circle's join pages (by code or QR link) and a pupil's seat
# (rrp_pwa/circles/participant_routes.py), and the peer mediators' pages - their sign-in and the mediation they
# run (rrp_pwa/mediation/routes.py; the lead's are under /mediation). A navigation to one of these that finds no
# signal is answered with the pupils' offline page; every other one with the staff page. (JavaScript reads them
# as they are.)
PUPIL_PAGES = (r"^/join(/[^/]+)?/?$", r"^/circles/\d+/seat(/.*)?$", r"^/sign-in/mediator(/.*)?$", r"^/mediate(/.*)?$")


def shell_urls() -> list[str]:
    return [url_for("static", filename=name) for name in SHELL_STATIC] + [url_for("pwa.offline"),
                                                                          url_for("pwa.offline_pupil")]


@lru_cache(maxsize=4)
def shell_version(static_folder: str, *offline_templates: str) -> str:
    """A short hash of the precached files (the offline pages' templates among them), so a new release
    replaces the old cache."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        digest.update((Path(static_folder) / name).read_bytes())
    for template in offline_templates:
        digest.update(Path(template).read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=256)
def _content_hash(path: str, modified_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_file_version(static_folder: str, filename: str) -> str | None:
    """A short hash of one static file's content (None if there is no such file). It is
    recomputed only when the file's modification time or size changes."""
    path = safe_join(static_folder, filename)
    if path is None:
        return None
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return _content_hash(path, found.st_mtime_ns, found.st_size)


def version_static_urls(endpoint: str, values: dict) -> None:
    """Every ``url_for("static", ...)`` gets ``?v=<hash of the file>``: a new release's pages ask
    for new URLs, which neither the service worker nor a browser cache can answer with old files."""
    if endpoint != "static" or "v" in values or not values.get("filename"):
        return
    version = static_file_version(current_app.static_folder, values["filename"])
    if version:
        values["v"] = version
