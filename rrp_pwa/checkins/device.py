"""Station mode: what a class tablet can reach while it is a check-in station.

Opening the station signs the teacher out on the tablet and leaves in its session only the
station's id. So a pupil who wanders off the check-in screen (address bar, back button) finds
no staff session: every other page sends them to sign-in. The station's own routes carry
``@station_device`` and see only ``g.station``. When the station has closed, they show
"closed" instead; leaving early takes the opener's password.
"""
from functools import wraps
from typing import Callable

from flask import g, make_response, render_template, session, url_for
from flask_login import current_user, logout_user

from rrp_pwa.auth.sign_ins import new_sign_in_id, session_sid, sign_in_is_live, start_sign_in
from rrp_pwa.extensions import db, htmx, login_manager
from rrp_pwa.models.checkins import CheckInStation

SESSION_KEY = "checkin_station"


def enter_station_mode(station: CheckInStation) -> None:
    """Turn this device into the station: the staff session on it ends. The station's own session
    is a sign-in of its own, so the teacher leaving station mode ends it for good."""
    logout_user()
    start_sign_in()
    session[SESSION_KEY] = station.id


def device_station() -> CheckInStation | None:
    """The station this device is, open or closed; None if it is not one (any more)."""
    station_id = session.get(SESSION_KEY)
    station = db.session.get(CheckInStation, station_id) if isinstance(station_id, int) else None
    if station is not None and session_sid() is None:
        new_sign_in_id()  # a station opened before sign-ins had ids: it carries on, and gets one
    elif station is not None and not sign_in_is_live():
        session.clear()  # the teacher left station mode: this copy of its cookie is gone for good
        station = None
    return station


def station_device(view: Callable) -> Callable:
    """Only a device in station mode; a closed station shows the "station closed" screen."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        station = device_station()
        if station is None:
            return login_manager.unauthorized()
        if not station.is_open():
            return station_closed_answer(station)
        g.station = station
        return view(*args, **kwargs)

    wrapped.access = "station device"
    return wrapped


def station_device_or_staff(view: Callable) -> Callable:
    """The tablet in station mode, its station open or closed since (``g.station``), else signed-in
    staff (``g.station`` None): check-ins the tablet kept with no signal are sent by it, or by the
    teacher who left station mode on it before they could go. What each may send (a closed station's
    tablet only for a day after the close) is ruled in checkins/kept.py."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.station = device_station()
        if g.station is None and not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped.access = "station device or staff"
    return wrapped


def station_closed_answer(station: CheckInStation):
    """htmx requests are sent to the closed screen (HX-Redirect); pages show it (410 Gone)."""
    if htmx and not htmx.boosted:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for("checkins.station")
        return response
    return render_template("checkins/station_closed.html", station=station), 410
