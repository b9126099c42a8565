"""Check-ins a station tablet kept with no signal, arriving once it has signal again.

Rules:
- Each check-in carries the UUID the tablet gave it. The first send records it; every later send
  (a retry after a lost answer, or a tap whose online send did arrive) answers ``duplicate`` and
  changes nothing, so the tablet may forget it. Each is stored on its own (in a savepoint).
- It is filed at the time the pupil made it, by the tablet's clock corrected as for the staff
  outbox (``clock_error``), and never in the future.
- It counts if its station was open when it was made, even if the station has closed or been
  ended since. A clock out by less than CLOCK_TOLERANCE is not corrected, so a time up to that
  much before the opening or after the close counts too, filed inside the station's time. One
  made further after the close (a tablet offline when its teacher ended the station) is refused;
  so is one the tablet says was made further before the opening (a wrong clock, or a forged time):
  it is never moved into the station's time.
- The tablet sends only its own station's check-ins, and only until TABLET_SENDS_FOR after the
  station closed: a closed station's tablet cannot go on filing check-ins for ever. Later ones,
  and all of them once the teacher leaves station mode on it, are sent by the teacher signed in
  there, if they may end that station (its opener, the group's staff, an admin); anyone else's
  session, or the tablet past that time, leaves them waiting (``deferred``). The tablet past that time
  is told so (code TABLET_TIME_OVER), and by the page it shows (``tablet_sends_left``): it then says
  they wait for a teacher of the class to sign in on it, and stops sending them itself.
- A refused one (a pupil no longer in the group, made outside the station's time) is answered
  ``rejected`` with the reason, for the teacher: the tablet keeps it out of the sending and shows
  it, once station mode is left, only to staff who may end its station (``readable_stations``),
  to read and then discard; anyone else signed in there sees only how many wait for another
  class's teacher, never a name, answer or word.
- A low or red one goes onto the opener's follow-up list, as online.
"""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rrp_pwa.checkins.rules import CheckInError
from rrp_pwa.checkins.stations import NotInGroup, StationClosed, may_end, record_station_checkin
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, Staff
from rrp_pwa.models.checkins import CheckInStation, as_utc
from rrp_pwa.models.roster import utcnow
from rrp_pwa.outbox_items import CLOCK_TOLERANCE, MAX_BATCH, ItemRejected, Result, clock_error, device_time

TABLET_SENDS_FOR = timedelta(hours=24)  # a tablet left off overnight still sends at the next morning's signal
TABLET_TIME_OVER = "tablet_time_over"  # a deferred one's code: only a teacher signed in on the tablet sends it now


class KeptBatchRefused(Exception):
    """The batch itself is not a list of check-ins the server takes in one go."""


def receive_kept_checkins(checkins: Any, sent_at: Any, *, tablet: CheckInStation | None = None,
                          staff: Staff | None = None, now: datetime | None = None) -> tuple[list[Result], set]:
    """Record each kept check-in once; the caller commits. Answers one Result per check-in, in order,
    and the stations that gained one (for their watchers). The sender is the ``tablet`` (its station)
    or, with none, the signed-in ``staff``."""
    if not isinstance(checkins, list) or len(checkins) > MAX_BATCH:
        raise KeptBatchRefused(f"Send a list of at most {MAX_BATCH} check-ins.")
    now, clock = now or utcnow(), clock_error(sent_at, now)
    school_id = tablet.school_id if tablet else staff.school_id
    results, changed = [], set()
    for kept in checkins:
        result, station = _one(kept if isinstance(kept, dict) else {}, school_id, tablet, staff, now, clock)
        results.append(result)
        if result.status == "created":
            changed.add(station)
    return results, changed


def kept_time(made_at: datetime | None, station: CheckInStation, now: datetime) -> datetime:
    """When the pupil made it, by the server's clock, within the station's time and not in the future.

    A time within CLOCK_TOLERANCE of the station's time (a clock a little out, not corrected) is moved
    in; one further before its opening is refused (ItemRejected), one further after its close is
    StationClosed."""
    made_at, opened, until = made_at or now, as_utc(station.opened_at), station.open_until()
    if made_at < opened - CLOCK_TOLERANCE:
        raise ItemRejected("The tablet says it was made before the station opened, so it cannot be filed. "
                           "Check the tablet's date and time.")
    if made_at >= until + CLOCK_TOLERANCE:
        raise StationClosed()
    return min(max(made_at, opened), until - timedelta(seconds=1), now)


def may_send(station: CheckInStation, tablet: CheckInStation | None, staff: Staff | None, now: datetime) -> bool:
    """The tablet sends its own station's check-ins until TABLET_SENDS_FOR after the station closed;
    staff send those of the stations they may end."""
    if tablet is None:
        return may_end(staff, station)
    return station.id == tablet.id and now < tablet_sends_until(station)


def tablet_sends_until(station: CheckInStation) -> datetime:
    """When the station's tablet may no longer send its check-ins itself."""
    return station.open_until() + TABLET_SENDS_FOR


def tablet_sends_left(station: CheckInStation, now: datetime | None = None) -> int:
    """Seconds until the station's tablet may no longer send its check-ins itself (0: already so); the
    page tells the tablet, which counts them down with no signal as it does the station's time limit."""
    left = tablet_sends_until(station) - (now or utcnow())
    return max(0, int(left.total_seconds()))


def readable_stations(staff: Staff, station_ids: Any) -> list[int]:
    """Of these stations (ids a tablet holds check-ins for), those whose refused check-ins ``staff``
    may read and discard there: the ones they may end, in their school."""
    ids = [station_id for station_id in station_ids if isinstance(station_id, int)][:MAX_BATCH]
    stations = db.session.scalars(select(CheckInStation).where(CheckInStation.school_id == staff.school_id,
                                                               CheckInStation.id.in_(ids)))
    return sorted(station.id for station in stations if may_end(staff, station))


def _deferred(client_uuid: str, station: CheckInStation | None, tablet: CheckInStation | None) -> Result:
    """One this sender may not send. The tablet past TABLET_SENDS_FOR is told that its own station's wait for
    a teacher of the class to sign in on it (TABLET_TIME_OVER); anything else waits for its station's teacher."""
    if station is not None and tablet is not None and station.id == tablet.id:
        return Result(client_uuid, "deferred", f"It waits for a teacher of {station.group.name} to sign in on "
                      "this tablet.", code=TABLET_TIME_OVER)
    return Result(client_uuid, "deferred", "It waits for the teacher of its station.")


def _one(kept: dict, school_id: int, tablet: CheckInStation | None, staff: Staff | None, now: datetime,
         clock) -> tuple[Result, CheckInStation | None]:
    try:
        client_uuid = str(uuid_module.UUID(str(kept.get("uuid", ""))))
    except ValueError:
        return Result(str(kept.get("uuid", ""))[:36], "rejected", "This check-in has no valid id."), None
    station = db.session.scalar(select(CheckInStation).where(CheckInStation.school_id == school_id,
                                                             CheckInStation.id == kept.get("station_id")))
    if station is None or not may_send(station, tablet, staff, now):
        return _deferred(client_uuid, station, tablet), None
    existing = db.session.scalar(select(CheckIn.id).where(CheckIn.school_id == school_id,
                                                          CheckIn.client_uuid == client_uuid))
    if existing is not None:
        return Result(client_uuid, "duplicate", record_id=existing), station
    savepoint = db.session.begin_nested()
    try:
        made_at = device_time(kept.get("made_at"))
        checkin = record_station_checkin(station, kept.get("pupil_id"), kept.get("value"), kept.get("word"),
                                         client_uuid=client_uuid,
                                         made_at=kept_time(made_at - clock if made_at else None, station, now))
        db.session.flush()
    except (CheckInError, ItemRejected) as exc:
        savepoint.rollback()
        return Result(client_uuid, "rejected", str(exc)), station
    except NotInGroup:
        savepoint.rollback()
        return Result(client_uuid, "rejected", f"This pupil is no longer in {station.group.name}."), station
    except StationClosed:
        savepoint.rollback()
        return Result(client_uuid, "rejected", "It was made after the station had closed."), station
    except IntegrityError:
        savepoint.rollback()  # the same check-in, stored by a send racing this one a moment ago
        return Result(client_uuid, "duplicate"), station
    savepoint.commit()
    return Result(client_uuid, "created", record_id=checkin.id), station
