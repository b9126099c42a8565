"""Configuration read from the environment, with safe defaults for the embedded profile."""
import os
import secrets
from pathlib import Path


def database_url(raw: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL: ``DATABASE_URL`` (psycopg 3 for PostgreSQL) or SQLite in instance/."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'rrp.sqlite3'}"
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def instance_secret_key(instance_path: str) -> str:
    """Read the secret key kept in instance/, creating it once with 0600 permissions.

    A deployment that sets SECRET_KEY never reaches this; the embedded default gets a key
    that survives restarts without anyone having to invent one.
    """
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        key = secrets.token_hex(32)
        fh.write(key)
    return key


# How long each kind of record is kept, in the school's days after it ended or was recorded (see
# rrp_pwa.retention and the README's "Retention"): (record kind, environment variable, default days).
# Safeguarding concerns are not here: child-protection records follow the school's own schedule.
RETENTION_DEFAULTS = (
    ("checkins", "RETAIN_CHECKINS_DAYS", 365),  # a school year: the overview counts them by year
    ("circle_names", "RETAIN_CIRCLE_NAMES_DAYS", 30),
    ("circles", "RETAIN_CIRCLES_DAYS", 365),
    ("chats", "RETAIN_CHATS_DAYS", 365),
    ("conversations", "RETAIN_CONVERSATIONS_DAYS", 730),
    ("mediations", "RETAIN_MEDIATIONS_DAYS", 730),
    ("agreements", "RETAIN_AGREEMENTS_DAYS", 730),
    ("audit", "RETAIN_AUDIT_DAYS", 730),
    ("feed", "RETAIN_FEED_DAYS", 90),
    ("webhook_log", "RETAIN_WEBHOOK_LOG_DAYS", 30),
)


def retention_days(environ=os.environ) -> dict[str, int]:
    """Each record kind's retention period in days, from the environment or its default; a period
    must be a whole number of days, at least 1 (a typo must never mean "delete everything")."""
    days = {}
    for kind, variable, default in RETENTION_DEFAULTS:
        raw = environ.get(variable, "").strip() or str(default)
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{variable} must be a whole number of days, at least 1 (not {raw!r}).")
        days[kind] = int(raw)
    return days


class Config:
    """Settings from the environment; ``create_app(config)`` may override any of them."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    DATABASE_URL = os.environ.get("DATABASE_URL")
    REDIS_URL = os.environ.get("REDIS_URL")
    # Per worker process. Event streams hold no connection while they wait, so a small pool
    # serves thousands of streams; requests beyond it wait up to DB_POOL_TIMEOUT seconds.
    # Connections are checked before use only after sitting idle (rrp_pwa.database.ping_if_idle).
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "10")),
        "pool_timeout": int(os.environ.get("DB_POOL_TIMEOUT", "30")),
        "pool_use_lifo": True,
    }
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    SESSION_COOKIE_NAME = "rrp_session"
    IDLE_TIMEOUT_MINUTES = int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))
    LOGIN_ACCOUNT_LIMIT = int(os.environ.get("LOGIN_ACCOUNT_LIMIT", "5"))
    LOGIN_IP_LIMIT = int(os.environ.get("LOGIN_IP_LIMIT", "100"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Webhooks go only to public addresses unless this is 1 (a connector inside the host's own network):
    # otherwise a school's admin could make the server call, and its delivery log report on, any
    # address the server can reach (a cloud metadata service, Redis, the local network).
    WEBHOOK_PRIVATE_ADDRESSES = os.environ.get("WEBHOOK_PRIVATE_ADDRESSES", "0") == "1"
    RETENTION_DAYS = retention_days()
