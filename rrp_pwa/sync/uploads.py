"""Uploaded roster packages waiting for the admin to confirm the diff, kept in instance/."""
import secrets
from pathlib import Path


class UploadGone(Exception):
    """The package to confirm is no longer there (already imported, or never uploaded here)."""


def _path(instance_path: str, school_id: int, token: str) -> Path:
    return Path(instance_path) / "oneroster" / f"{school_id}-{token}.zip"


def keep_upload(instance_path: str, school_id: int, data: bytes) -> str:
    """Store the package for this school until it is confirmed; return the token that names it."""
    token = secrets.token_urlsafe(24)
    path = _path(instance_path, school_id, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return token


def read_upload(instance_path: str, school_id: int, token: str) -> bytes:
    """The stored package; another school's token finds nothing, exactly like a missing one."""
    path = _path(instance_path, school_id, token)
    if not path.is_file():
        raise UploadGone
    return path.read_bytes()


def drop_upload(instance_path: str, school_id: int, token: str) -> None:
    _path(instance_path, school_id, token).unlink(missing_ok=True)
