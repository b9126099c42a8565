"""A live circle control tapped before its screen's scripts have run: the plain form POST it also is.

The live controls' HTML is shared by every device of the circle, so their forms carry no CSRF token of
their own; static/js/early-tap.js adds the page's token to one tapped before htmx has taken over, and the
change is made and answered with the screen again (Post/Redirect/Get). A tap in the moment before
early-tap.js itself has arrived (a slow phone still downloading it) has no token: it is refused, as every
POST without a valid token is, so nothing changes - but the person gets their screen back, at the control,
saying so and to tap again, instead of "Bad request". htmx, JSON and stream requests keep their plain 400.
"""
from flask import current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from rrp_pwa.auth.permissions import wants_machine_answer
from rrp_pwa.circles import bp, live
from rrp_pwa.circles.seats import holds_a_seat_in
from rrp_pwa.errors import render_error
from rrp_pwa.extensions import db
from rrp_pwa.models.circles import Circle

TOO_EARLY = "That tap came before the screen was ready, so nothing changed. Please tap again."
# Where a plain form POST comes back to on the keeper's screen: the heading of the section the region is in.
REGION_SECTIONS = {"k-piece": "ring-h", "k-seats": "ring-h", "k-waiting": "waiting-h"}


def live_control(region: str):
    """Declare a route a live control of ``region`` (its form carries no token of its own): a plain form
    POST to it without a valid token comes back to its screen at that region (``tapped_too_early``)."""
    def declare(view):
        view.control_region = region
        return view
    return declare


def back_to_keeper(circle_id: int, region: str, refusal: str | None = None, notice: bool = False):
    """Post/Redirect/Get for a plain form POST: the keeper's screen at the section of the control."""
    if refusal:
        live.keep_refusal(circle_id, region, refusal, notice)
    return redirect(url_for("circles.keeper", circle_id=circle_id, _anchor=REGION_SECTIONS.get(region)))


def back_to_seat(circle_id: int, region: str, refusal: str | None = None, notice: bool = False):
    """Post/Redirect/Get for a plain form POST: the seat's screen at the region of the control."""
    if refusal:
        live.keep_refusal(circle_id, region, refusal, notice)
    return redirect(url_for("circles.seat_page", circle_id=circle_id, _anchor=region))


def keeps_open_circle(circle_id: int) -> bool:
    """Whether the person signed in here keeps this circle and it is open: the keeper's screen shows it."""
    if not current_user.is_authenticated:
        return False
    circle = db.session.get(Circle, circle_id)
    return circle is not None and circle.keeper_id == current_user.id and circle.is_open


@bp.errorhandler(CSRFError)
def tapped_too_early(error: CSRFError):
    """A live control's plain form POST without a valid token goes back to its screen, which says the tap
    came before the screen was ready; any other request here gets "Bad request", as before.

    The answer is only ever a redirect to the screen the URL names, which checks who may see it as it
    always does: a session that has ended gets the sign-in, a device without a seat the join page,
    a cross-site POST (no cookies: they are SameSite=Lax) nothing it did not send. The word is kept
    only for someone that screen will show the circle to."""
    view = current_app.view_functions.get(request.endpoint)
    region = getattr(view, "control_region", None)
    if region is None or wants_machine_answer():
        return render_error(error)
    circle_id = request.view_args["circle_id"]
    if view.access == "seat":
        return back_to_seat(circle_id, region, TOO_EARLY if holds_a_seat_in(circle_id) else None, notice=True)
    return back_to_keeper(circle_id, region, TOO_EARLY if keeps_open_circle(circle_id) else None, notice=True)
