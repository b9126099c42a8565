"""The rules of peer mediators' sign-in: usernames and PINs set by staff, signed badge QR codes
that staff can revoke, and throttling per mediator and per network.

A mediator is a pupil (``Pupil.peer_mediator``); signing in never gives staff access. The
badge token carries the account and its ``badge_version``, signed with the app's secret key;
staff bump the version to revoke every printed badge of that mediator at once.
"""
import re
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil
from rrp_pwa.models.mediation import MediatorAccount
from rrp_pwa.models.roster import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
PIN = re.compile(r"^[0-9]{4,8}$")
BADGE_SALT = "rrp-mediator-badge"


class MediatorError(Exception):
    """A mediator login that breaks a rule; the message is shown to the member of staff."""


class MediatorRefused(Exception):
    """Wrong username, PIN or badge, a revoked badge, or a pupil who is no longer a mediator."""


class MediatorThrottled(Exception):
    """Too many failed attempts for this mediator or from this network."""

    def __init__(self, scope: str, minutes: int) -> None:
        super().__init__(scope)
        self.scope, self.minutes = scope, minutes


@dataclass
class MediatorLimits:
    per_mediator: int = 5
    per_ip: int = 100
    window_seconds: int = 900


def set_mediator_login(pupil: Pupil, username: str, pin: str) -> MediatorAccount:
    """Give a peer mediator a username and a PIN of 4-8 digits.

    Usernames are unique across every school (like staff emails), so a mediator signs in
    without naming their school. Setting a new PIN ends the mediator's open sessions; the printed badge stays valid.
    """
    username = (username or "").strip().lower()
    if not pupil.peer_mediator or pupil.archived:
        raise MediatorError(f"{pupil.display_name} is not a peer mediator. Mark them as one on their pupil page first.")
    if not USERNAME.match(username):
        raise MediatorError("Use 3-32 lower-case letters, numbers, dots or dashes for the username.")
    if not PIN.match(pin or ""):
        raise MediatorError("The PIN must be 4 to 8 digits.")
    clash = db.session.scalar(select(MediatorAccount.id).where(
        MediatorAccount.username == username, MediatorAccount.pupil_id != pupil.id))
    if clash:
        raise MediatorError("Someone already has that username. Try adding a number or your school's initials.")
    account = account_for(pupil)
    if account is None:
        account = MediatorAccount(school_id=pupil.school_id, pupil_id=pupil.id, badge_version=1, session_epoch=0)
        db.session.add(account)
    account.username = username
    account.pin_hash = generate_password_hash(pin, method="scrypt")
    account.session_epoch = (account.session_epoch or 0) + 1
    account.updated_at = utcnow()
    return account


def account_for(pupil: Pupil) -> MediatorAccount | None:
    return db.session.scalar(select(MediatorAccount).where(MediatorAccount.pupil_id == pupil.id))


def revoke_badge(account: MediatorAccount) -> None:
    """Printed badges of this mediator stop working, and so do sessions opened with them."""
    account.badge_version += 1
    account.session_epoch += 1
    account.updated_at = utcnow()


def badge_token(account: MediatorAccount, secret_key: str) -> str:
    """The signed text inside the badge's QR code: the account and its badge version (short, so
    the QR code stays small enough to scan from a worn badge)."""
    return URLSafeSerializer(secret_key, salt=BADGE_SALT).dumps([account.id, account.badge_version])


def _usable(account: MediatorAccount | None) -> bool:
    return account is not None and account.pupil.peer_mediator and not account.pupil.archived


def _check_throttle(throttle, keys: list[tuple[str, str, int]], window: int) -> None:
    for scope, key, limit in keys:
        if throttle.count(key, window) >= limit:
            raise MediatorThrottled(scope, max(1, window // 60))


def sign_in_with_pin(username: str, pin: str, ip: str, throttle, limits: MediatorLimits) -> MediatorAccount:
    """The mediator with this username and PIN.

    Failures count against the mediator (5 in 15 minutes by default) and the network (a much
    higher ceiling: a school shares one IP). A throttled attempt is refused before the PIN is
    checked; a success clears the mediator's count.
    """
    username = (username or "").strip().lower()
    mediator_key, ip_key = f"mediator:acct:{username}", f"mediator:ip:{ip}"
    _check_throttle(throttle, [("mediator", mediator_key, limits.per_mediator),
                               ("network", ip_key, limits.per_ip)], limits.window_seconds)
    account = db.session.scalar(select(MediatorAccount).where(MediatorAccount.username == username))
    if not _usable(account) or not check_password_hash(account.pin_hash, pin or ""):
        throttle.hit(mediator_key, limits.window_seconds)
        throttle.hit(ip_key, limits.window_seconds)
        raise MediatorRefused()
    throttle.reset(mediator_key)
    return account


def read_badge(token: str, secret_key: str) -> MediatorAccount | None:
    """The account a badge token names, if the signature holds (revocation is checked later)."""
    try:
        account_id, version = (int(part) for part in URLSafeSerializer(secret_key, salt=BADGE_SALT).loads(token))
    except (BadSignature, TypeError, ValueError):
        return None
    account = db.session.get(MediatorAccount, account_id)
    if account is None or account.badge_version != version:
        return None
    return account


def sign_in_with_badge(token: str, secret_key: str, ip: str, throttle, limits: MediatorLimits) -> MediatorAccount:
    """The mediator named by a badge that is still valid; a forged or revoked badge counts
    against the network like a wrong PIN, and against the mediator when it names one."""
    ip_key = f"mediator:ip:{ip}"
    _check_throttle(throttle, [("network", ip_key, limits.per_ip)], limits.window_seconds)
    account = read_badge(token, secret_key)
    if not _usable(account):
        throttle.hit(ip_key, limits.window_seconds)
        raise MediatorRefused()
    mediator_key = f"mediator:acct:{account.username}"
    _check_throttle(throttle, [("mediator", mediator_key, limits.per_mediator)], limits.window_seconds)
    return account


def load_account(account_id: int, epoch: int) -> MediatorAccount | None:
    """A mediator session's account, unless its epoch has moved on or the pupil stopped mediating."""
    account = db.session.get(MediatorAccount, account_id)
    if not _usable(account) or account.session_epoch != epoch:
        return None
    return account
