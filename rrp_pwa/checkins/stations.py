"""The class check-in station: a tablet at the door that a teacher opens for one group.

Rules:
- Only a teacher who belongs to the group opens its station; opening a new one ends any
  station still open for that group, so an old tablet stops taking check-ins.
- A station closes when someone ends it or when its time limit passes, whichever is first.
- Pupils check in at the station by their name in the group; the answer goes to the staff
  watching the station (and a low or red one onto the opener's follow-up list), never back
  to the tablet.
- Staff who may see the group watch its station on its day; after it, those who read every record about
  its pupils, and its opener (records/access.py). Its opener, the group's staff and admins end it.
"""
from datetime import datetime, timedelta

from sqlalchemy import select

from rrp_pwa.checkins.rules import record_checkin
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, Group, GroupStaff, Pupil, Staff
from rrp_pwa.models.checkins import CheckInStation, as_utc
from rrp_pwa.models.roster import utcnow
from rrp_pwa.records.access import WHOLE_SCHOOL_READERS
from rrp_pwa.roster.directory import visible_groups

STATION_MINUTES = (15, 30, 45, 60, 90)
DEFAULT_STATION_MINUTES = 30


class StationRefused(Exception):
    """This member of staff may not do that to this station (or open one for this group)."""


class StationClosed(Exception):
    """The station has ended or passed its time limit."""


class NotInGroup(Exception):
    """The pupil chosen at the station is not in the station's group."""


def belongs_to_group(staff: Staff, group: Group) -> bool:
    return db.session.scalar(select(GroupStaff.staff_id).where(
        GroupStaff.group_id == group.id, GroupStaff.staff_id == staff.id)) is not None


def may_open_station(staff: Staff, group: Group) -> bool:
    """A teacher opens a station only for a group they belong to."""
    return (staff.school_id == group.school_id and staff.has_role("teacher") and not group.archived
            and belongs_to_group(staff, group))


def may_watch(staff: Staff, station: CheckInStation, now: datetime | None = None) -> bool:
    """Whoever may see the group (its staff; admin, pastoral and DSL) watches its station on the day it was
    opened (where the school is). After that day its check-ins are records about the pupils, read by
    records/access.py's rule: the station's opener, the group's teachers, admin, pastoral and DSL still see
    them; a midday or teaching assistant of the group, who logged none of them, no longer does."""
    if db.session.scalar(visible_groups(staff).where(Group.id == station.group_id)) is None:
        return False
    if staff.id == station.opened_by_id or staff.has_role("teacher", *WHOLE_SCHOOL_READERS):
        return True  # (a teacher sees only the groups they belong to)
    zone = station.school.zone
    return as_utc(station.opened_at).astimezone(zone).date() == (now or utcnow()).astimezone(zone).date()


def may_end(staff: Staff, station: CheckInStation) -> bool:
    return (staff.school_id == station.school_id
            and (staff.id == station.opened_by_id or staff.has_role("admin") or belongs_to_group(staff, station.group)))


def open_station(staff: Staff, group: Group, minutes: int, now: datetime | None = None) -> CheckInStation:
    """Open a station for ``group`` until ``minutes`` from now, ending any other open one for it."""
    if not may_open_station(staff, group):
        raise StationRefused("Only a teacher of this group can open its check-in station.")
    if minutes not in STATION_MINUTES:
        raise StationRefused("Choose one of the time limits.")
    now = now or utcnow()
    for earlier in open_stations(db.session.scalars(select(CheckInStation).where(
            CheckInStation.group_id == group.id, CheckInStation.closed_at.is_(None))), now):
        earlier.closed_at = now
    station = CheckInStation(school_id=group.school_id, group_id=group.id, opened_by_id=staff.id,
                             opened_at=now, closes_at=now + timedelta(minutes=minutes))
    db.session.add(station)
    return station


def end_station(station: CheckInStation, staff: Staff, now: datetime | None = None) -> None:
    """End the station now; the tablet shows "closed" at its next tap or check."""
    if not may_end(staff, station):
        raise StationRefused("Only the group's staff or an admin can end this station.")
    if station.is_open(now):
        station.closed_at = now or utcnow()


def open_stations(stations, now: datetime | None = None) -> list[CheckInStation]:
    return [station for station in stations if station.is_open(now)]


def watchable_stations(staff: Staff, now: datetime | None = None) -> list[CheckInStation]:
    """Open stations of the groups this person may see, newest first."""
    groups = visible_groups(staff).with_only_columns(Group.id)
    query = (select(CheckInStation).where(CheckInStation.school_id == staff.school_id,
                                          CheckInStation.group_id.in_(groups),
                                          CheckInStation.closed_at.is_(None))
             .order_by(CheckInStation.opened_at.desc()))
    return open_stations(db.session.scalars(query), now)


def station_pupils(station: CheckInStation) -> list[Pupil]:
    """The names on the tablet: the group's pupils on roll, by first name."""
    pupils = [pupil for pupil in station.group.pupils if not pupil.archived]
    return sorted(pupils, key=lambda pupil: (pupil.first_name.lower(), pupil.family_name.lower()))


def station_pupil_by_id(station: CheckInStation, pupil_id: object) -> Pupil | None:
    """The group's pupil with this id, or None (another group's, archived, unknown, not a number)."""
    return next((pupil for pupil in station_pupils(station) if pupil.id == pupil_id), None)


def station_checkins(station: CheckInStation) -> list[CheckIn]:
    """Everything checked in at this station, newest first (for the staff watching)."""
    return list(db.session.scalars(select(CheckIn).where(
        CheckIn.school_id == station.school_id, CheckIn.source == "station", CheckIn.source_id == station.id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())))


def record_station_checkin(station: CheckInStation, pupil_id: int, value: int, word: str | None,
                           now: datetime | None = None, client_uuid: str | None = None,
                           made_at: datetime | None = None) -> CheckIn:
    """Record a pupil's check-in at an open station; a low or red one goes on the opener's list.

    ``made_at`` is when a tablet with no signal kept the check-in: it counts if the station was open
    then, even if it has closed since, and is filed at that time."""
    if not (station.was_open_at(made_at) if made_at else station.is_open(now)):
        raise StationClosed()
    pupil = station_pupil_by_id(station, pupil_id)
    if pupil is None:
        raise NotInGroup()
    checkin = record_checkin(station.school_id, station.school.checkin_scale, value, "station",
                             pupil=pupil, word=word, source_id=station.id, follow_up_staff=station.opened_by,
                             client_uuid=client_uuid)
    if made_at:
        checkin.created_at = made_at
    return checkin
