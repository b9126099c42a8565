"""Records made offline arrive here in batches from a device's outbox.

Rules:
- Each item is checked and stored on its own (in a savepoint): one bad item never blocks the rest.
- An item is identified by the UUID the device gave it. The first time a UUID arrives the record
  is created; every later send of it (a retry after a lost answer, a second device) answers
  ``duplicate`` and changes nothing, so the device may forget the item. Two sends racing each
  other are settled by the unique (school, UUID) receipt. A record an online form stored under the
  same UUID (Log a chat sends its own id; a Save whose answer never came is kept in the outbox under
  it) is a duplicate too.
- A ``rejected`` item carries a reason the user reads beside it to fix it; the device keeps it.
- Pupils must be ones the sender may choose for that kind of record, by the same rule as the
  online form (chat_pupils, checkin_pupils, mediation_pupils: the rule that also made the device's
  list), and still at the school: a pupil who left since the device loaded its list is refused, by name
  to someone who may see them (visible_pupils), otherwise by their place in the record.
- A device's clock may be wrong (set by hand, a flat battery, another time zone). The batch says
  when the device sent it (``sent_at``, by its own clock); when that is more than CLOCK_TOLERANCE
  from the server's, every ``made_at`` is moved by the difference, so a chat is neither refused as
  "in the future" nor filed under another day.
- An item says who made it (``made_by``, the staff id the device stored with it); only its maker's
  session may send it, so a record left waiting on a shared phone never lands under the next person.
"""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from rrp_pwa.checkins.rules import CheckInError, checkin_pupils, record_staff_checkin
from rrp_pwa.checkins.scales import DEFAULT_SCALE, SCALES
from rrp_pwa.conversations.chats import ChatError, chat_pupils, chips_for, record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.mediation.flow import MediationError, mediation_pupils, record_mediation
from rrp_pwa.models import CheckIn, Pupil, Staff
from rrp_pwa.models.roster import told_apart
from rrp_pwa.models.conversations import QuickChat
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.models.sync import SyncReceipt
from rrp_pwa.outbox_items import MAX_BATCH, ItemRejected, Result, clock_error, device_time
from rrp_pwa.roster.directory import visible_pupils

KINDS = ("chat", "checkin", "mediation")


class NotTheMaker(Exception):
    """Someone else made the item on this device: it waits there for them (answered ``deferred``)."""


def ingest(staff: Staff, items: list[Any], sent_at: Any = None) -> list[Result]:
    """Store each item of the batch once; the caller commits. Answers one Result per item, in order.
    ``sent_at`` is the device's clock as it sent the batch (see clock_error)."""
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        raise ItemRejected(f"Send a list of at most {MAX_BATCH} items.")
    error = clock_error(sent_at)
    return [_one(staff, item, error) for item in items]


def _one(staff: Staff, item: Any, clock: timedelta = timedelta(0)) -> Result:
    raw_uuid = str(item.get("uuid", "")) if isinstance(item, dict) else ""
    try:
        client_uuid = str(uuid_module.UUID(raw_uuid))
    except ValueError:
        return Result(raw_uuid[:36], "rejected", "This item has no valid id; make it again.")
    receipt = _receipt(staff.school_id, client_uuid)
    if receipt is not None:
        return Result(client_uuid, "duplicate", record_id=receipt.record_id)
    savepoint = db.session.begin_nested()
    try:
        made_by = item.get("made_by")
        if made_by not in (None, staff.id):
            raise NotTheMaker("Someone else made this on this device. It is sent when they next sign in here.")
        kind = item.get("kind")
        if kind not in KINDS:
            raise ItemRejected("Unknown kind of record.")
        data = item.get("data") or {}
        if not isinstance(data, dict):
            raise ItemRejected("This record is incomplete; make it again.")
        made_at = device_time(item.get("made_at"))
        stored = _stored_online(staff.school_id, kind, client_uuid)
        record_id = stored if stored is not None else \
            HANDLERS[kind](staff, data, made_at - clock if made_at else None, client_uuid).id
        db.session.add(SyncReceipt(school_id=staff.school_id, client_uuid=client_uuid, kind=kind,
                                   record_id=record_id, staff_id=staff.id))
        db.session.flush()
    except ItemRejected as exc:
        savepoint.rollback()
        return Result(client_uuid, "rejected", str(exc))
    except NotTheMaker as exc:
        savepoint.rollback()
        return Result(client_uuid, "deferred", str(exc))
    except IntegrityError:
        savepoint.rollback()  # the same UUID was stored by a concurrent send a moment ago
        receipt = _receipt(staff.school_id, client_uuid)
        return Result(client_uuid, "duplicate", record_id=receipt.record_id if receipt else None)
    savepoint.commit()
    return Result(client_uuid, "created" if stored is None else "duplicate", record_id=record_id)


def _receipt(school_id: int, client_uuid: str) -> SyncReceipt | None:
    return db.session.scalar(select(SyncReceipt).where(SyncReceipt.school_id == school_id,
                                                       SyncReceipt.client_uuid == client_uuid))


def _stored_online(school_id: int, kind: str, client_uuid: str) -> int | None:
    """The id of the record an online form stored under this UUID, if one did."""
    model = RECORD_MODELS[kind]
    return db.session.scalar(select(model.id).where(model.school_id == school_id, model.client_uuid == client_uuid))


def _pupils(staff: Staff, allowed: Select[tuple[Pupil]], ids: Any, at_least: int = 1,
            who: str = "pupil") -> list[Pupil]:
    """The pupils chosen, each one of ``allowed`` (a kind's rule, with the pupils who have left); ``who``
    names one of them in a reason ("mediator")."""
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ItemRejected("Choose the pupil again.")
    wanted = list(dict.fromkeys(ids))
    found = {p.id: p for p in db.session.scalars(allowed.where(Pupil.id.in_(wanted)))}
    if len(found) != len(wanted):
        raise ItemRejected("One of these pupils isn't on your list any more. Choose them again.")
    left = [i for i in wanted if found[i].archived]
    if left:  # the same rule as the online forms (choose_pupils): no new record about a pupil who has left
        said = " and ".join(_left_pupil(staff, found[i], wanted, who) for i in left)
        raise ItemRejected(f"{said[:1].upper()}{said[1:]} {'has' if len(left) == 1 else 'have'} left the school, "
                           "so this can't be recorded for them. Change the pupil or discard it.")
    if len(wanted) < at_least:
        raise ItemRejected("Choose at least one pupil." if at_least == 1 else f"Choose {at_least} pupils.")
    return [found[i] for i in wanted]


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def _left_pupil(staff: Staff, pupil: Pupil, wanted: list[int], who: str) -> str:
    """A pupil who has left, as a reason names them to ``staff``: by name if they may see the pupil
    (visible_pupils: the whole school, or their groups' pupils), otherwise by their place among those
    chosen ("the second pupil"), which the device shows by the name it stored. Anyone may post any
    id, so a name here would tell them who every pupil who ever left the school was."""
    if db.session.scalar(visible_pupils(staff).where(Pupil.id == pupil.id).with_only_columns(Pupil.id)):
        return pupil.display_name
    if len(wanted) == 1:
        return f"the {who}"
    place = wanted.index(pupil.id)
    return f"the {ORDINALS[place]} {who}" if place < len(ORDINALS) else f"{who} number {place + 1}"


def _chat(staff: Staff, data: dict, made_at: datetime | None, client_uuid: str):
    try:
        pupils = _pupils(staff, chat_pupils(staff, with_leavers=True), data.get("pupil_ids"))
        return _flushed(record_quick_chat(staff.school_id, staff, pupils, data.get("what"), data.get("where"),
                                          agreed=data.get("agreed"), note=data.get("note"), happened_at=made_at,
                                          client_uuid=client_uuid))
    except ChatError as exc:
        raise ItemRejected(str(exc)) from None


def _checkin(staff: Staff, data: dict, made_at: datetime | None, client_uuid: str):
    (pupil,) = _pupils(staff, checkin_pupils(staff, with_leavers=True), [data.get("pupil_id")])
    try:
        checkin = record_staff_checkin(staff, pupil, data.get("value"), data.get("word"), client_uuid=client_uuid)
    except CheckInError as exc:
        raise ItemRejected(str(exc)) from None
    if made_at is not None and made_at <= datetime.now(timezone.utc):
        checkin.created_at = made_at
    return _flushed(checkin)


def _mediation(staff: Staff, data: dict, made_at: datetime | None, client_uuid: str):
    """A finished peer mediation typed up by the member of staff on duty. "When will we check it is
    working?" (``review_weeks``: 1, 2 or 4) dates its agreements' review by the live flow's rule, counted
    from the day it reaches the school's record; an item without it (an older page) gets two weeks."""
    allowed = mediation_pupils(staff.school_id, with_leavers=True)
    mediators = _pupils(staff, allowed, data.get("mediator_ids"), who="mediator")
    parties = _pupils(staff, allowed, data.get("party_ids"), at_least=2, who="pupil in the disagreement")
    written = data.get("agreements") or {}
    if not isinstance(written, dict):
        raise ItemRejected("Write what each pupil agreed to do.")
    agreements = {int(k): str(v) for k, v in written.items() if str(k).isdigit()}
    review_weeks = data.get("review_weeks")  # an outbox saved before the choice was offered: the default
    if review_weeks is not None and (isinstance(review_weeks, bool) or not isinstance(review_weeks, int)):
        raise ItemRejected("Choose when you will check it is working.")
    try:
        return _flushed(record_mediation(staff.school_id, mediators, parties, agreements=agreements,
                                         place=data.get("place"), outcome=data.get("outcome") or "agreed",
                                         started_at=made_at, client_uuid=client_uuid, review_weeks=review_weeks))
    except MediationError as exc:
        raise ItemRejected(str(exc)) from None


def _flushed(record):
    db.session.add(record)
    db.session.flush()
    return record


HANDLERS = {"chat": _chat, "checkin": _checkin, "mediation": _mediation}
RECORD_MODELS = {"chat": QuickChat, "checkin": CheckIn, "mediation": Mediation}


def capture_options(staff: Staff) -> dict:
    """What a device needs to make records offline: the pupils this person may choose (id, the name
    shown, whether they are a peer mediator and whether this person may record their check-in), the
    school's chat chips and its check-in scale. The pupils are those of chat_pupils, which chats and
    mediations share (any current pupil of the school); check-ins are for checkin_pupils, a part of
    them. Pupils who have left are not listed; two with the same name are told apart by year group.
    Only the name the school shows goes on the device: for a pupil known by a preferred name, the given
    name (which the online search also finds them by) stays on the server - a preferred name can be there
    because the pupil does not want the other one used or seen, and the device is often shared."""
    pupils = list(db.session.scalars(chat_pupils(staff).order_by(Pupil.given_name, Pupil.family_name, Pupil.id)))
    names = told_apart(pupils, {p.id: p.display_name for p in pupils})  # two Amira Khans: "(Year 3)", "(Year 5)"
    may_check_in = set(db.session.scalars(checkin_pupils(staff).with_only_columns(Pupil.id)))
    scale = SCALES.get(staff.school.checkin_scale) or SCALES[DEFAULT_SCALE]
    return {"staff_id": staff.id, "school_id": staff.school_id,
            "pupils": [{"id": p.id, "name": names[p.id], "mediator": p.peer_mediator, "checkin": p.id in may_check_in}
                       for p in pupils],
            "chips": {kind: chips_for(staff.school_id, kind) for kind in ("what", "where", "agreed")},
            "scale": {"key": scale.key, "question": scale.question,
                      "options": [{"value": o.value, "label": o.label, "symbol": o.symbol, "text": o.text}
                                  for o in scale.options]}}
