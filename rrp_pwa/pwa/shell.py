"""What the service worker precaches, and a version that changes whenever any of it changes."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import url_for

SHELL_STATIC = (
    "css/app.css",
    "js/app.js",
    "js/outbox.js",
    "js/sw-sync.js",
    "css/sync.css",
    "vendor/htmx-2.0.11.min.js",
    "vendor/htmx-ext-sse-2.2.4.min.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
)


def shell_urls() -> list[str]:
    return [url_for("static", filename=name) for name in SHELL_STATIC] + [url_for("pwa.offline")]


@lru_cache(maxsize=4)
def shell_version(static_folder: str, offline_template: str) -> str:
    """A short hash of the precached files, so a new release replaces the old cache."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        digest.update((Path(static_folder) / name).read_bytes())
    digest.update(Path(offline_template).read_bytes())
    return digest.hexdigest()[:12]
