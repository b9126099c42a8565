"""The rules of staff sign-in: credentials, throttling per account and per IP, sign-out everywhere."""
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from rrp_pwa.auth.sign_ins import session_is_live
from rrp_pwa.extensions import db
from rrp_pwa.models import Staff


class SignInRefused(Exception):
    """Wrong email or password, or an inactive account (deliberately indistinguishable)."""


def minutes_text(minutes: int) -> str:
    """"1 minute", "30 minutes": a wait or an idle limit as a message says it (either may be 1)."""
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


class SignInThrottled(Exception):
    """Too many failed attempts for this account or from this network."""

    def __init__(self, scope: str, minutes: int) -> None:
        super().__init__(scope)
        self.scope = scope
        self.minutes = minutes


@dataclass
class SignInLimits:
    per_account: int
    per_ip: int
    window_seconds: int


def authenticate(email: str, password: str, ip: str, throttle, limits: SignInLimits,
                 attempts_key: str | None = None) -> Staff:
    """Return the active staff member with this email and password.

    Failures count against the account (5 by default) and against the IP address with a much
    higher ceiling, because a whole school signs in from one public IP. A success clears the
    account's count. Throttled attempts are refused before the password is even checked.
    With ``attempts_key`` failures count there instead, with the account's limit: a check-in
    station counts its own guesses, so pupils trying passwords at the tablet cannot lock their
    teacher (or the school's network) out of signing in.
    """
    email = email.strip().lower()
    minutes = max(1, limits.window_seconds // 60)
    if attempts_key is None:
        keys = {account_throttle_key(email): ("account", limits.per_account),
                f"signin:ip:{ip}": ("network", limits.per_ip)}
    else:
        keys = {attempts_key: ("account", limits.per_account)}
    for key, (kind, limit) in keys.items():
        if throttle.count(key, limits.window_seconds) >= limit:
            raise SignInThrottled(kind, minutes)
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    if staff is None or not staff.active or not staff.check_password(password):
        for key in keys:
            throttle.hit(key, limits.window_seconds)
        raise SignInRefused()
    throttle.reset(next(iter(keys)))
    return staff


def account_throttle_key(email: str) -> str:
    return f"signin:acct:{email.strip().lower()}"


def forgive_failed_sign_ins(email: str, throttle) -> None:
    """Lift an account's sign-in pause (after an admin sets a new password, the person must be
    able to use it at once; the per-network count is left alone)."""
    throttle.reset(account_throttle_key(email))


def change_password(staff: Staff, current: str, new: str, ip: str, throttle, limits: SignInLimits) -> None:
    """Someone changing their own password (the first one an admin told them, say): only with their
    current password, checked as a sign-in is but with guesses counted on their own key (a session
    left open on a shared device must not let someone try passwords for ever, nor lock the person
    out of signing in). Every other session of theirs ends; the caller signs this one in again."""
    authenticate(staff.email, current, ip, throttle, limits, attempts_key=f"password:{staff.id}")
    staff.set_password(new)
    sign_out_everywhere(staff)


def sign_out_everywhere(staff: Staff) -> None:
    """Invalidate every session of this person, on every device, by bumping the session epoch."""
    staff.session_epoch += 1


def is_local_path(target: str | None) -> bool:
    """True only for a path on this site, so ``next`` can never send someone elsewhere.

    Refused: any scheme or host, protocol-relative ``//host``, ``/\\host`` (browsers read a
    backslash as a slash), and control characters or spaces (browsers drop tabs and newlines,
    turning "/<tab>/host" into "//host").
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch <= " " or ch == "\x7f" for ch in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def load_staff(session_id: str) -> Staff | None:
    """Flask-Login's loader: the id carries the epoch, so an old epoch loads nobody; nor does a
    session whose sign-in has ended (``rrp_pwa.auth.sign_ins``)."""
    try:
        staff_id, epoch = (int(part) for part in session_id.split("."))
    except ValueError:
        return None
    # one query for the person, their roles and their school: every signed-in request needs them
    staff = db.session.scalars(
        select(Staff).options(joinedload(Staff.role_rows), joinedload(Staff.school))
        .where(Staff.id == staff_id, session_is_live())).unique().one_or_none()
    if staff is None or staff.session_epoch != epoch or not staff.active:
        return None
    return staff
