"""The seat cookie: a pupil device's only key, good for one circle's participant screens.

The cookie holds a random secret (the database keeps its hash). It is HttpOnly, SameSite=Lax,
Secure behind HTTPS, and its paths are the circle's participant URLs and the circle's own join
link, so the browser never sends it anywhere else; the server also checks that the seat belongs
to the circle in the URL. (On the join link it lets a pupil who comes Back to the names, or taps
Join twice, go back to their seat instead of being told their name is taken.)
"""
from functools import wraps
from typing import Callable

from flask import current_app, g, redirect, render_template, request, url_for

from rrp_pwa.auth.permissions import wants_machine_answer
from rrp_pwa.circles.joining import join_token, seat_for_secret
from rrp_pwa.circles.talking_piece import left_by_themselves
from rrp_pwa.extensions import htmx
from rrp_pwa.models.circles import Circle, Seat

SEAT_COOKIE = "rrp_seat"


def seat_path(circle_id: int) -> str:
    return f"/circles/{circle_id}/seat"


def set_seat_cookie(response, circle_id: int, secret: str, join_path: str | None = None):
    for path in filter(None, (seat_path(circle_id), join_path)):
        response.set_cookie(SEAT_COOKIE, secret, path=path, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def device_seat(circle: Circle):
    """The seat this device holds in ``circle`` (still in it, waiting or let in), if its cookie says so."""
    seat, seats_circle = seat_for_secret(request.cookies.get(SEAT_COOKIE))
    if seat is None or seats_circle.id != circle.id or seat.status == "removed":
        return None
    return seat


def _refuse(circle: Circle | None, status: int, seat: Seat | None = None):
    """No seat here: 401/403 for htmx and streams; a device with no seat at all goes to the join
    page to type the circle's code; a closed or removed seat gets a friendly page, and one whose
    pupil left the open circle by themselves says so, with the way to join again."""
    closed = circle is not None and not circle.is_open
    if wants_machine_answer():
        response = current_app.response_class("", status=status)
        if htmx and circle is not None:
            response.headers["HX-Redirect"] = url_for("circles.seat_page", circle_id=circle.id)
        return response
    if status == 401:
        return redirect(url_for("circles.join_code"))
    if not closed and seat is not None and left_by_themselves(seat):
        join_url = url_for("circles.join", token=join_token(circle, current_app.config["SECRET_KEY"]))
        return render_template("circles/left.html", circle=circle, seat=seat, join_url=join_url)
    response = current_app.make_response((render_template("circles/no_seat.html", closed=closed), 200 if closed else status))
    if closed:
        response.delete_cookie(SEAT_COOKIE, path=seat_path(circle.id))
    return response


def holds_a_seat_in(circle_id: int) -> bool:
    """Whether this device's seat cookie lets it into the circle's participant screens now, as
    ``seat_required`` would (a seat, waiting or let in, of this circle, which is open)."""
    seat, circle = seat_for_secret(request.cookies.get(SEAT_COOKIE))
    return seat is not None and circle.id == circle_id and circle.is_open and seat.status != "removed"


# A seat page says which seat it was drawn for (``seat.html``): its stream and polls in their address, its
# htmx requests in this header, its Leave the circle in its form.
PAGE_SEAT_HEADER = "X-RRP-Seat"


def for_this_seat(seat: Seat) -> bool:
    """Whether the request comes from a page drawn for ``seat``, the one the device's cookie holds now (a
    request that does not say, a plain form tapped before the page's scripts ran, is taken as the page's).
    A class tablet handed to the next pupil holds the new pupil's cookie; the first pupil's page still open
    in another tab must not act, nor show, as the new pupil: its Leave would take them out of the circle,
    its check-in would be theirs."""
    claimed = request.headers.get(PAGE_SEAT_HEADER) or request.values.get("seat")
    return claimed is None or claimed == str(seat.id)


def _another_seat_now(circle: Circle):
    """A page drawn for a seat this device no longer holds: nothing is done, and it goes to the seat page,
    which shows the seat the device holds now (its name at the top)."""
    seat_page = url_for("circles.seat_page", circle_id=circle.id)
    if wants_machine_answer():
        response = current_app.response_class("", status=403)
        if htmx:
            response.headers["HX-Redirect"] = seat_page
        return response
    return redirect(seat_page)


def seat_required(view: Callable) -> Callable:
    """Only a device holding a seat cookie for this open circle (admitted or waiting) gets in."""

    @wraps(view)
    def wrapped(circle_id: int, *args, **kwargs):
        seat, circle = seat_for_secret(request.cookies.get(SEAT_COOKIE))
        if seat is None:
            return _refuse(None, 401)
        if circle.id != circle_id:
            return _refuse(None, 403)
        if not circle.is_open or seat.status == "removed":
            return _refuse(circle, 403, seat)
        if not for_this_seat(seat):
            return _another_seat_now(circle)
        g.seat, g.circle = seat, circle
        return view(circle_id, *args, **kwargs)

    wrapped.access = "seat"
    return wrapped
