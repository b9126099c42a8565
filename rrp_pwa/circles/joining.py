"""Opening a circle and joining it: the 6-character code, the signed QR link and the seat secret.

A join code is 6 Crockford base32 characters (no I, L, O or U, so nothing is misread); typed
codes forgive case, spaces, dashes and the look-alikes O->0 and I/L->1. The QR code carries a
signed, time-limited token naming the circle and its code. Both stop working when the circle
closes (its code is cleared) or when the join time limit passes.
"""
import hashlib
import json
import secrets
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from rrp_pwa.circles.talking_piece import (
    CircleClosed,
    CircleError,
    begin_change,
    join_circle_agreements,
    leave_circle,
    next_position,
    record,
)
from rrp_pwa.extensions import db
from rrp_pwa.models import Group, Pupil, Staff, short_names
from rrp_pwa.models.circles import CIRCLE_KINDS, Circle, Seat

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
TOKEN_SALT = "rrp-circle-join"


class JoinRefused(CircleError):
    """A code, link or name that can't be used to join; the message is kind and says what to do."""


CLOSED_MEANWHILE = ("This circle has closed or the code has changed. "
                    "Ask the adult keeping the circle for the code on their screen.")


def new_code() -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What the person meant to type: upper case, no spaces or dashes, O->0, I and L->1."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_circle(keeper: Staff, kind: str, group: Group | None, *, one_device: bool = False,
                auto_admit: bool = False, planned_prompts: list[str] = (), join_minutes: int = 120,
                pupils: list[Pupil] = ()) -> Circle:
    """Start a circle: the keeper takes the first seat and holds the piece; version 1 is "open".

    A group circle may only be for one of the keeper's school's groups. In one-device mode the
    group's pupils are seated at once (the device is passed round, nobody joins by code), and so are
    ``pupils`` (those a follow-up circle is for) who are not in the group.
    """
    if kind not in CIRCLE_KINDS:
        raise CircleError("Choose what kind of circle this is.")
    if group is not None and group.school_id != keeper.school_id:
        raise CircleError("Choose one of your school's groups.")
    if any(p.school_id != keeper.school_id for p in pupils):
        raise CircleError("Choose pupils of your school.")
    code = new_code()
    while db.session.scalar(select(Circle.id).where(Circle.join_code == code)) is not None:
        code = new_code()
    circle = Circle(school_id=keeper.school_id, keeper_id=keeper.id, group_id=group.id if group else None,
                    kind=kind, status="open", one_device=one_device, auto_admit=auto_admit, join_code=code,
                    join_expires_at=datetime.now(timezone.utc) + timedelta(minutes=join_minutes),
                    direction=1, round_no=0, lap=0, version=1,
                    planned_prompts=json.dumps([p for p in planned_prompts if p][:12]))
    db.session.add(circle)
    db.session.flush()
    seat = Seat(circle_id=circle.id, name=keeper.name, is_keeper=True, status="admitted", position=0)
    db.session.add(seat)
    if one_device:
        seated = [p for p in group.pupils if not p.archived] if group is not None else []
        seated += [p for p in pupils if not p.archived and p not in seated]
        names = short_names(seated)
        db.session.add_all(Seat(circle_id=circle.id, pupil_id=p.id, name=names[p.id], status="admitted",
                                position=n) for n, p in enumerate(seated, start=1))
    db.session.flush()
    circle.holder_seat_id = seat.id
    record(circle, "open", seat.id)
    return circle


class OpenedAtSigner(TimestampSigner):
    """Stamps a join token with the time the circle opened, so a circle has one stable link
    (the QR code never changes) and the link's age is the circle's age."""

    def __init__(self, *args, opened_at: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.opened_at = opened_at

    def get_timestamp(self) -> int:
        return self.opened_at if self.opened_at is not None else super().get_timestamp()


def serializer(secret_key: str, opened_at: int | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT, signer=OpenedAtSigner,
                                  signer_kwargs={"opened_at": opened_at})


def join_token(circle: Circle, secret_key: str) -> str:
    opened = circle.created_at if circle.created_at.tzinfo else circle.created_at.replace(tzinfo=timezone.utc)
    return serializer(secret_key, int(opened.timestamp())).dumps({"c": circle.id, "k": circle.join_code})


def _joinable(circle: Circle | None, code: str | None) -> Circle:
    now = datetime.now(timezone.utc)
    if circle is None or not circle.is_open or not code or circle.join_code != code:
        raise JoinRefused(CLOSED_MEANWHILE)
    expires = circle.join_expires_at
    if expires.tzinfo is None:  # SQLite hands back naive UTC
        expires = expires.replace(tzinfo=timezone.utc)
    if now >= expires:
        raise JoinRefused(f"Joining this circle has closed. Ask {circle.keeper.name.rstrip('.')} if you can still come in.")
    return circle


def circle_for_code(typed: str) -> Circle:
    """The open circle with this join code, or a kind refusal."""
    code = normalise_code(typed)
    if len(code) != CODE_LENGTH:
        raise JoinRefused("A circle code has 6 letters and numbers. Check the code on the screen of the adult keeping the circle.")
    circle = db.session.scalar(select(Circle).where(Circle.join_code == code))
    if circle is None:
        raise JoinRefused("We couldn't find a circle with that code. Check each letter with the screen of the adult keeping the circle.")
    return _joinable(circle, code)


def circle_for_token(token: str, secret_key: str, max_age_seconds: int) -> Circle:
    """The circle a QR link points at, if the link is genuine, in date and the circle still open."""
    try:
        claims = serializer(secret_key).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise JoinRefused("This join link has expired. Ask the adult keeping the circle for the code on their screen.") from None
    except BadSignature:
        raise JoinRefused("This join link isn't right. Scan the code again or type the 6-character code.") from None
    return _joinable(db.session.get(Circle, claims.get("c")), claims.get("k"))


def join_circle(circle: Circle, *, pupil: Pupil | None = None, name: str | None = None,
                leaving: Seat | None = None) -> tuple[Seat, str]:
    """Take a seat: a pupil from the circle's group, or (ad hoc circle) a typed first name.

    Returns the seat and the secret for the device's cookie (only its hash is stored). The seat
    waits for the keeper unless auto-admit is on. A name already in the circle is refused.

    ``leaving`` is the seat this device held in the circle until now, when it joins as someone else (a
    shared tablet handed to the next pupil, or a wrong name put right): that seat leaves the circle in the
    same change, as if its pupil had tapped Leave the circle. The device can hold one seat only, so a seat
    left behind would be nobody's: the piece would stop there, and its pupil, whose name is not offered
    again while the seat is in the circle, could not come back from another device.
    """
    if pupil is not None:
        names = {} if circle.group is None else short_names(p for p in circle.group.pupils if not p.archived)
        if pupil.id not in names:
            raise JoinRefused("Choose your name from the list.")
        name = names[pupil.id]  # as on the join list, told apart from a classmate of the same short name
        taken = select(Seat.id).where(Seat.circle_id == circle.id, Seat.pupil_id == pupil.id, Seat.status != "removed")
    else:
        if circle.group is not None:
            raise JoinRefused("Choose your name from the list.")
        name = " ".join((name or "").split())[:40]
        if not name:
            raise JoinRefused("Type your first name so the circle knows who you are.")
        taken = select(Seat.id).where(Seat.circle_id == circle.id, Seat.name == name, Seat.status != "removed")
    if leaving is not None and leaving.status != "removed":
        try:
            leave_circle(circle, leaving)  # rolled back with the join if the name is refused
        except CircleError:  # the keeper took it out at that moment: it has left already
            pass
    try:
        begin_change(circle)  # under the circle's lock: of two devices choosing one name together, one gets it
    except CircleClosed:  # closed by the keeper since the join page was checked
        raise JoinRefused(CLOSED_MEANWHILE) from None
    if db.session.scalar(taken) is not None:
        db.session.rollback()
        raise JoinRefused(f"{name} is already in this circle. If that's you on another device, "
                          f"ask {circle.keeper.name.rstrip('.')}.")  # who keeps it: not always a teacher
    secret = secrets.token_urlsafe(32)
    seat = Seat(circle_id=circle.id, pupil_id=pupil.id if pupil else None, name=name,
                status="admitted" if circle.auto_admit else "waiting",
                position=next_position(circle) if circle.auto_admit else 0, token_hash=hash_secret(secret))
    db.session.add(seat)
    db.session.flush()
    join_circle_agreements(circle, seat)
    record(circle, "join", seat.id)
    return seat, secret


def names_to_choose(circle: Circle, own_seat: Seat | None = None) -> list[tuple[int, str]]:
    """The join list of a group circle: the group's pupils who are not in the circle yet (neither
    waiting nor let in), so two devices are not offered one name. The device's ``own_seat`` keeps its
    name on its list (Back to the names, or a second tap on Join, leads to that seat). Names are told
    apart across the whole group, as on the seat they take (``short_names``). Someone who left, or
    was turned away, is on it again."""
    if circle.group is None:
        return []
    pupils = [p for p in circle.group.pupils if not p.archived]
    names = short_names(pupils)
    seated = set(db.session.scalars(select(Seat.pupil_id).where(Seat.circle_id == circle.id,
                                                                Seat.pupil_id.is_not(None),
                                                                Seat.status != "removed")))
    if own_seat is not None:
        seated.discard(own_seat.pupil_id)
    return [(p.id, names[p.id]) for p in pupils if p.id not in seated]


def is_seat_of(seat: Seat, pupil: Pupil | None, name: str | None) -> bool:
    """Whether ``seat`` is the one this pupil (or typed first name) would take: the same person joining again."""
    if pupil is not None:
        return seat.pupil_id == pupil.id
    return seat.pupil_id is None and seat.name == " ".join((name or "").split())[:40]


def add_seat_here(circle: Circle, name: str) -> Seat:
    """One-device mode: the keeper adds someone by first name; they are seated at once."""
    name = " ".join((name or "").split())[:40]
    if not name:
        raise CircleError("Type a first name.")
    begin_change(circle)  # under the circle's lock, as a join
    if db.session.scalar(select(Seat.id).where(Seat.circle_id == circle.id, Seat.name == name,
                                               Seat.status != "removed")) is not None:
        db.session.rollback()
        raise CircleError(f"{name} is already in this circle.")
    seat = Seat(circle_id=circle.id, name=name, status="admitted", position=next_position(circle))
    db.session.add(seat)
    db.session.flush()
    join_circle_agreements(circle, seat)
    record(circle, "join", seat.id)
    return seat


def seat_for_secret(secret: str | None) -> tuple[Seat, Circle] | tuple[None, None]:
    """The seat a device's cookie holds, with its circle (one query: every pupil request needs both)."""
    if not secret:
        return None, None
    row = db.session.execute(select(Seat, Circle).join(Circle, Circle.id == Seat.circle_id)
                             .where(Seat.token_hash == hash_secret(secret))).first()
    return (row[0], row[1]) if row is not None else (None, None)
