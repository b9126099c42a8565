"""A sign-in on a device - a member of staff, or a pair of peer mediators - from start to end.

The session lives in a signed cookie, so on its own a sign-out only asks the browser to forget
it. A response to a request sent before the sign-out (a slow search on the playground's Wi-Fi, a
page still loading when the tablet became a check-in station) carries the old cookie and sets it
again, and the tablet is signed in as the person who just left. So each sign-in carries a random
``sid``; ending it records the sid (``EndedSignIn``), and a session whose sid has ended signs
nobody in. Records are kept until no copy of the cookie could pass the idle timeout anyway.
"""
import secrets
import time
from datetime import datetime, timedelta, timezone

from flask import current_app, session
from sqlalchemy import delete, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from rrp_pwa.extensions import db
from rrp_pwa.models import EndedSignIn

SID_KEY = "sid"
MAX_SID = 32  # EndedSignIn.sid's length; token_urlsafe(16) makes 22 characters
KEEP_MARGIN = timedelta(minutes=5)
# How often a request refreshes the session's last-seen time. The cookie changes (and is sent
# again) only then, so a request's answer seldom carries a cookie that could overwrite a newer
# one - the flash message a form has just left, say; an idle timeout ends up to a minute early.
SEEN_EVERY_SECONDS = 60


def note_activity(stored: dict, now: int) -> bool:
    """Move ``stored["seen"]`` to ``now`` if it is at least SEEN_EVERY_SECONDS old; True if moved."""
    if now - int(stored.get("seen") or 0) < SEEN_EVERY_SECONDS:
        return False
    stored["seen"] = now
    return True


def start_sign_in() -> None:
    """A fresh session for someone signing in: whoever was signed in on the device is signed out."""
    end_sign_in()
    new_sign_in_id()
    session["seen"] = int(time.time())


def new_sign_in_id() -> None:
    session[SID_KEY] = secrets.token_urlsafe(16)


def end_sign_in() -> None:
    """Sign out whoever is signed in on this device, so that no copy of the cookie works again.
    Commits; clears the session. A sign-in that has already ended (a sign-out tapped twice, or a
    copy of the cookie put back by a late answer) is left as it is."""
    try:
        if sign_in_is_live():
            now = datetime.now(timezone.utc)
            db.session.add(EndedSignIn(sid=session[SID_KEY], ended_at=now))
            db.session.execute(delete(EndedSignIn).where(EndedSignIn.ended_at < now - keep_for()))
            db.session.commit()
    except IntegrityError:  # a second tap, at the same moment, ended it first: it has ended all the same
        db.session.rollback()
    finally:
        session.clear()


def session_sid() -> str | None:
    """This request's sign-in id; None for a session without one (nobody signed in, or a session
    from before sign-ins had ids)."""
    sid = session.get(SID_KEY)
    return sid if isinstance(sid, str) and len(sid) <= MAX_SID else None


def session_is_live() -> ColumnElement[bool]:
    """SQL that is true while this request's sign-in has not ended (false for a session without
    one), for the query that loads who is signed in."""
    sid = session_sid()
    if sid is None:
        return false()
    return ~select(EndedSignIn.id).where(EndedSignIn.sid == sid).exists()


def sign_in_is_live() -> bool:
    """True while this request's sign-in has not ended (asks the database only if there is one)."""
    return session_sid() is not None and bool(db.session.scalar(select(session_is_live())))


def keep_for() -> timedelta:
    """As long as a copied cookie could pass an idle timeout (staff's or mediators', or the longer one
    a mediators' "Get an adult" is allowed: MEDIATOR_HELP_IDLE_MINUTES), and a margin."""
    config = current_app.config
    minutes = max(int(config.get("IDLE_TIMEOUT_MINUTES", 30)), int(config.get("MEDIATOR_IDLE_MINUTES", 10)),
                  int(config.get("MEDIATOR_HELP_IDLE_MINUTES", 60)))
    return timedelta(minutes=minutes) + KEEP_MARGIN
