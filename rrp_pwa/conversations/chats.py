"""Quick restorative chats: the school's chips, recording a chat, and who sees which chats.

A midday assistant picks the pupil(s), then taps what happened and where (and optionally what
was agreed). Offline devices send a ``client_uuid`` so a chat sent twice is stored once.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Select, select

from rrp_pwa.extensions import db
from rrp_pwa.models.conversations import CHIP_KINDS, ChatChipList, QuickChat, QuickChatPupil
from rrp_pwa.models.roster import Pupil, Staff
from rrp_pwa.roster.directory import group_pupil_ids, school_pupils

DEFAULT_CHIPS = {
    "what": ("Unkind words", "Physical", "Left out", "Game dispute", "Falling out", "Upset"),
    "where": ("Playground", "Field", "Dining hall", "Corridor", "Toilets", "Classroom"),
    "agreed": ("Said sorry", "Will play fairly", "Will give space", "Will include them", "Will tell an adult"),
}
CHIP_KIND_LABELS = {"what": "What happened", "where": "Where", "agreed": "What was agreed"}
MAX_NOTE = 280
MAX_CHIP = 60
MAX_CHIPS = 16
MAX_PUPILS = 8
RECENT_PUPILS = 6


class ChatError(Exception):
    """A quick chat that can't be saved as given; the message is shown to the user."""


def chips_for(school_id: int, kind: str) -> list[str]:
    """The school's chips of ``kind`` (what / where / agreed), or the shipped defaults."""
    saved = db.session.scalar(select(ChatChipList).where(ChatChipList.school_id == school_id,
                                                         ChatChipList.kind == kind))
    return saved.labels.splitlines() if saved else list(DEFAULT_CHIPS[kind])


def parse_chips(text: str) -> list[str]:
    """One chip per line; blank lines and repeats dropped. Raises ChatError when a list breaks a rule."""
    labels: list[str] = []
    for line in (text or "").splitlines():
        label = " ".join(line.split())
        if label and label.casefold() not in {seen.casefold() for seen in labels}:
            labels.append(label)
    if not labels:
        raise ChatError("Give at least one chip, one per line.")
    if len(labels) > MAX_CHIPS:
        raise ChatError(f"Keep it to {MAX_CHIPS} chips so they fit on a phone.")
    if any(len(label) > MAX_CHIP for label in labels):
        raise ChatError(f"Keep each chip to {MAX_CHIP} characters.")
    return labels


def set_chips(school_id: int, kind: str, text: str) -> list[str]:
    """Replace the school's chips of ``kind`` with the lines of ``text``. Old chats keep their words."""
    if kind not in CHIP_KINDS:
        raise ChatError("Unknown kind of chip.")
    labels = parse_chips(text)
    saved = db.session.scalar(select(ChatChipList).where(ChatChipList.school_id == school_id,
                                                         ChatChipList.kind == kind))
    if saved is None:
        saved = ChatChipList(school_id=school_id, kind=kind)
        db.session.add(saved)
    saved.labels = "\n".join(labels)
    return labels


def _chip(school_id: int, kind: str, value: str | None, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ChatError(f"Choose {CHIP_KIND_LABELS[kind].lower()}.")
        return None
    if value not in chips_for(school_id, kind):
        raise ChatError(f"“{value[:MAX_CHIP]}” isn't one of the school's chips for {CHIP_KIND_LABELS[kind].lower()}.")
    return value


def new_chat_id(school_id: int, client_uuid: str | None, pupils: list[Pupil], what: str, where: str,
                agreed: str | None, note: str | None) -> str | None:
    """The id to store a chat from the web form under: the form's own, unless a different chat was
    already stored under it (the browser's Back button brought the saved form back and it was changed:
    that is a new chat, not the same one sent again)."""
    if not client_uuid:
        return None
    prior = db.session.scalar(select(QuickChat).where(QuickChat.school_id == school_id,
                                                      QuickChat.client_uuid == client_uuid))
    if prior is None:
        return client_uuid
    same = ({p.id for p in prior.pupils} == {p.id for p in pupils} and (prior.what, prior.where) == (what, where)
            and (prior.agreed or None) == (agreed or None) and (prior.note or None) == ((note or "").strip() or None))
    return client_uuid if same else None


def record_quick_chat(school_id: int, staff: Staff, pupils: list[Pupil], what: str, where: str,
                      agreed: str | None = None, note: str | None = None,
                      happened_at: datetime | None = None, client_uuid: str | None = None) -> QuickChat:
    """Add a quick chat to the session (the caller commits) and return it.

    Rules: at least one pupil, all of this school (and the member of staff too); ``what`` and
    ``where`` are chips of the school; ``agreed`` is optional and also a chip; the optional note
    is at most 280 characters. The time is now unless given (an offline device sends when it
    happened). A second call with the same ``client_uuid`` returns the first chat unchanged.
    """
    if client_uuid:
        existing = db.session.scalar(select(QuickChat).where(QuickChat.school_id == school_id,
                                                             QuickChat.client_uuid == client_uuid))
        if existing is not None:
            return existing
        if len(client_uuid) > 36:
            raise ChatError("That chat's device id is not valid.")
    if staff.school_id != school_id:
        raise ChatError("Only staff of this school can log its chats.")
    unique = list({pupil.id: pupil for pupil in pupils}.values())
    if not unique:
        raise ChatError("Choose at least one pupil.")
    if len(unique) > MAX_PUPILS:
        raise ChatError(f"A quick chat is for up to {MAX_PUPILS} pupils; use a restorative conversation or circle.")
    if any(pupil.school_id != school_id for pupil in unique):
        raise ChatError("That pupil is not in this school.")
    what_chip = _chip(school_id, "what", what, required=True)
    where_chip = _chip(school_id, "where", where, required=True)
    agreed_chip = _chip(school_id, "agreed", agreed, required=False)
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise ChatError(f"Keep the note to {MAX_NOTE} characters.")
    when = happened_at or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if when > datetime.now(timezone.utc) + timedelta(minutes=5):
        raise ChatError("A chat can't happen in the future: check the device's clock.")
    chat = QuickChat(school_id=school_id, staff_id=staff.id, what=what_chip, where=where_chip,
                     agreed=agreed_chip, note=note, happened_at=when, client_uuid=client_uuid or None)
    chat.pupils = unique
    db.session.add(chat)
    return chat


def pupils_by_id(school_id: int, ids: list[int]) -> list[Pupil]:
    """The pupils of this school with these ids, in the order given; ids of other schools are left out."""
    wanted = list(dict.fromkeys(ids))[:MAX_PUPILS * 2]
    found = {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == school_id,
                                                                      Pupil.id.in_(wanted)))}
    return [found[i] for i in wanted if i in found]


def chat_pupils(staff: Staff, with_leavers: bool = False) -> Select[tuple[Pupil]]:
    """The pupils ``staff`` may log a quick chat about: every current pupil of the school, whatever
    their class, for anyone who may log a chat (a midday assistant supervises the whole playground,
    often without a class of their own). The one rule for Log a chat, the pupil list a phone keeps
    for Record offline and the sync API. ``with_leavers`` adds pupils who have left, only so that a
    record made before they left can be refused by name; nobody may choose them."""
    return school_pupils(staff.school_id, with_leavers)


def choose_pupils(allowed: Select[tuple[Pupil]], ids: list[int]) -> list[Pupil]:
    """The pupils posted, in order; each must be one of ``allowed`` (a rule such as chat_pupils, which
    leaves out pupils who have left), otherwise ChatError."""
    wanted = list(dict.fromkeys(ids))[:MAX_PUPILS * 2]
    found = {p.id: p for p in db.session.scalars(allowed.where(Pupil.id.in_(wanted)))}
    if len(found) != len(set(ids)):
        raise ChatError("That pupil is not in this school, or has left it.")
    return [found[i] for i in wanted]


def recent_pupils(staff: Staff, limit: int = RECENT_PUPILS) -> list[Pupil]:
    """The pupils this person chose most recently in their chats, newest first (no repeats)."""
    rows = db.session.execute(
        select(Pupil, QuickChat.happened_at)
        .join(QuickChatPupil, QuickChatPupil.pupil_id == Pupil.id)
        .join(QuickChat, QuickChat.id == QuickChatPupil.chat_id)
        .where(QuickChat.staff_id == staff.id, QuickChat.school_id == staff.school_id, Pupil.archived.is_(False))
        .order_by(QuickChat.happened_at.desc(), Pupil.given_name, Pupil.id).limit(limit * 4))
    seen: dict[int, Pupil] = {}
    for pupil, _when in rows:
        seen.setdefault(pupil.id, pupil)
    return list(seen.values())[:limit]


def recent_first(found: list[Pupil], recent: list[Pupil]) -> list[Pupil]:
    """Matches for what was typed, with the pupils this person chose recently at the top."""
    rank = {pupil.id: i for i, pupil in enumerate(recent)}
    return sorted(found, key=lambda pupil: rank.get(pupil.id, len(rank)))


def lunchtime_chats(teacher: Staff, day: date) -> Select[tuple[QuickChat]]:
    """Chats on ``day`` about pupils in the groups this teacher belongs to (not archived ones), newest first."""
    start, end = teacher.school.day_bounds(day)
    about_mine = select(QuickChatPupil.chat_id).where(QuickChatPupil.pupil_id.in_(group_pupil_ids(teacher)))
    return (select(QuickChat)
            .where(QuickChat.school_id == teacher.school_id, QuickChat.id.in_(about_mine),
                   QuickChat.happened_at >= start, QuickChat.happened_at < end)
            .order_by(QuickChat.happened_at.desc()))


def todays_chats_by(staff: Staff, day: date) -> list[QuickChat]:
    """The chats this person logged on ``day`` (school time), newest first: what they can check back."""
    start, end = staff.school.day_bounds(day)
    return list(db.session.scalars(
        select(QuickChat).where(QuickChat.school_id == staff.school_id, QuickChat.staff_id == staff.id,
                                QuickChat.happened_at >= start, QuickChat.happened_at < end)
        .order_by(QuickChat.happened_at.desc())))
