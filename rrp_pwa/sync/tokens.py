"""Per-school API tokens for the MIS connector: shown once, stored as a SHA-256 hash, revocable."""
import hashlib
import secrets

from sqlalchemy import select

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Staff, utcnow
from rrp_pwa.models.sync import ApiToken

PREFIX = "rrp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(staff: Staff, name: str) -> tuple[ApiToken, str]:
    """A new token for the admin's school; the plain token is returned once and never stored.

    A random 256-bit token needs no slow hash: SHA-256 of it cannot be reversed or guessed.
    """
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(school_id=staff.school_id, name=name.strip()[:120], token_hash=_digest(plain),
                     prefix=plain[:10], created_by_id=staff.id)
    db.session.add(token)
    return token, plain


def revoke_token(token: ApiToken) -> None:
    """Stop the token working at once; the row stays so the list shows when it was revoked."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def school_for_token(plain: str) -> int | None:
    """The school a live token belongs to, or None for an unknown or revoked token."""
    if not plain.startswith(PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain),
                                                     ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    token.last_used_at = utcnow()
    return token.school_id
