"""Pupils' screens: join by code or QR link, wait to be admitted, hold and pass the piece, check in, agree."""
from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup

from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.auth.permissions import public
from rrp_pwa.circles import bp, live
from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.activities import check_in, seat_agrees
from rrp_pwa.circles.early_tap import back_to_seat, live_control
from rrp_pwa.circles.forms import JoinCodeForm, JoinNameForm
from rrp_pwa.circles.joining import (
    JoinRefused,
    circle_for_code,
    circle_for_token,
    is_seat_of,
    join_circle,
    join_token,
    names_to_choose,
)
from rrp_pwa.circles.seats import device_seat, seat_required, set_seat_cookie
from rrp_pwa.circles.talking_piece import CircleError, StalePieceVersion
from rrp_pwa.extensions import db, htmx
from rrp_pwa.models import Agreement


# Typed codes: only wrong codes count (a code is 6 of 32 characters: guessing one means many wrong
# ones), per network (a school shares one IP) and for every school together, with ceilings no school's
# morning reaches (a typo or two per class). A right code costs nothing. Once a ceiling is reached every
# typed code is refused until the window ends, right or wrong - else the refusals would tell a guesser
# which codes are right. The QR link needs no code, so it keeps working.
WRONG_CODES_PER_NETWORK = ("CIRCLE_JOIN_IP_LIMIT", 200, "CIRCLE_JOIN_IP_WINDOW", 600)
WRONG_CODES_OVERALL = ("CIRCLE_JOIN_GLOBAL_LIMIT", 3000, "CIRCLE_JOIN_GLOBAL_WINDOW", 60)
# Joining a circle by name (the link is signed, so there is nothing to guess): each attempt counts
# against that circle, with room for a class several times over.
JOINS_PER_CIRCLE = ("CIRCLE_JOIN_CODE_LIMIT", 120, "CIRCLE_JOIN_CODE_WINDOW", 600)


def _limit(rule: tuple) -> tuple[int, int]:
    limit_key, limit, window_key, window = rule
    return current_app.config.get(limit_key, limit), current_app.config.get(window_key, window)


def _code_keys() -> list[tuple[str, tuple]]:
    return [(f"circle-join:wrong-code:ip:{request.remote_addr or '?'}", WRONG_CODES_PER_NETWORK),
            ("circle-join:wrong-code:all", WRONG_CODES_OVERALL)]


def typed_codes_paused() -> bool:
    """Too many wrong codes from this network, or from everywhere, in the current window."""
    throttle = current_app.extensions["rrp_throttle"]
    return any(throttle.count(key, _limit(rule)[1]) >= _limit(rule)[0] for key, rule in _code_keys())


def count_wrong_code() -> None:
    throttle = current_app.extensions["rrp_throttle"]
    for key, rule in _code_keys():
        throttle.hit(key, _limit(rule)[1])


def circle_joins_throttled(circle_id: int) -> bool:
    """One more attempt to join this circle by name; True if it has had too many in the window."""
    limit, window = _limit(JOINS_PER_CIRCLE)
    return current_app.extensions["rrp_throttle"].hit(f"circle-join:circle:{circle_id}", window) > limit


TOO_MANY = "Lots of people are trying to join right now. Wait a minute, then try again."


@bp.route("/join", methods=["GET", "POST"])
@public
def join_code():
    form, status = JoinCodeForm(), 200
    if form.validate_on_submit():
        try:
            if typed_codes_paused():
                raise JoinRefused(TOO_MANY)
            try:
                circle = circle_for_code(form.code.data)
            except JoinRefused:
                count_wrong_code()
                raise
        except JoinRefused as exc:
            form.code.errors.append(str(exc))
            status = 429 if str(exc) == TOO_MANY else 404
        else:
            return redirect(url_for("circles.join", token=join_token(circle, current_app.config["SECRET_KEY"])))
    return render_template("circles/join_code.html", form=form), 400 if form.errors and status == 200 else status


@bp.route("/join/<token>", methods=["GET", "POST"])
@public
def join(token: str):
    try:
        circle = circle_for_token(token, current_app.config["SECRET_KEY"],
                                  current_app.config.get("CIRCLE_JOIN_MINUTES", 120) * 60)
    except JoinRefused as exc:
        return render_template("circles/join_code.html", form=JoinCodeForm(), refusal=str(exc)), 410
    form = JoinNameForm()
    pupils = [p for p in circle.group.pupils if not p.archived] if circle.group else []
    mine = device_seat(circle)  # this device joined already (it came Back, or Join was tapped twice)
    form.pupil.choices = names_to_choose(circle, mine)  # (one chosen meanwhile on another device is refused by name)
    if form.validate_on_submit():
        pupil = next((p for p in pupils if p.id == form.pupil.data), None)
        if mine is not None and is_seat_of(mine, pupil, form.name.data):
            return redirect(url_for("circles.seat_page", circle_id=circle.id))
        try:
            if circle_joins_throttled(circle.id):
                raise JoinRefused(TOO_MANY)
            seat, secret = join_circle(circle, pupil=pupil, name=form.name.data, leaving=mine)
        except JoinRefused as exc:
            db.session.rollback()
            if not circle.is_open:  # closed while the name was tapped: as a link to a closed circle
                return render_template("circles/join_code.html", form=JoinCodeForm(), refusal=str(exc)), 410
            form.form_errors.append(str(exc))
            form.pupil.choices = names_to_choose(circle, mine)
        else:
            live.commit_and_publish(circle)
            return set_seat_cookie(redirect(url_for("circles.seat_page", circle_id=circle.id)), circle.id, secret,
                                   join_path=url_for("circles.join", token=token))
    return render_template("circles/join.html", form=form, circle=circle, group_circle=circle.group is not None,
                           mine=mine), 400 if form.is_submitted() else 200


def seat_answer(state: dict, region: str, status: int = 200, error: str | None = None) -> Response:
    html = live.seat_fragment(state, g.seat.id, region)
    if error:
        html = render_template("circles/_refusal.html", message=error) + html
    response = Response(html, status=status, mimetype="text/html")
    response.headers["X-Circle-Version"] = str(state["v"])
    return response


def seat_change(region: str, change) -> Response:
    """Apply a participant's change; answer with their fresh fragment (409 and the latest if behind).
    A plain form POST (tapped before the page's scripts ran) goes back to the seat's page at that
    region instead, with the refusal, if any, shown above it."""
    circle_id = g.circle.id
    try:
        change(g.circle, g.seat)
    except CircleError as exc:
        db.session.rollback()
        if not htmx:
            return back_to_seat(circle_id, region, str(exc))
        error = None if isinstance(exc, StalePieceVersion) else str(exc)
        return seat_answer(live.render_state(g.circle), region, 409, error)
    state = live.commit_and_publish(g.circle)
    return seat_answer(state, region) if htmx else back_to_seat(circle_id, region)


@bp.route("/circles/<int:circle_id>/seat")
@seat_required
def seat_page(circle_id: int):
    state = live.render_state(g.circle)
    parts = live.with_refusal(g.circle.id, {region: Markup(live.seat_fragment(state, g.seat.id, region))
                                            for region in live.SEAT_REGIONS})
    return render_template("circles/seat.html", circle=g.circle, seat=g.seat, parts=parts)


LEAVING = Question("Leave the circle?", "You can join again with the code.", "Leave the circle",
                   "No, go back to the circle")
STOP_WAITING = Question("Stop waiting to join the circle?", "You can join again with the code.", "Stop waiting",
                        "No, go back to the circle")
bp.add_app_template_global(LEAVING, "leaving_the_circle")
bp.add_app_template_global(STOP_WAITING, "stopping_waiting")


@bp.route("/circles/<int:circle_id>/seat/leave", methods=["POST"])
@seat_required
def seat_leave(circle_id: int):
    """The pupil leaves the circle (asked first, on the page). Their screen then says they have left,
    with the way to join again (``seats.seat_required``); everyone else's changes live. Tapped before the
    page's scripts had asked (a slow tablet), the question is asked on a page of its own first."""
    if not was_asked():
        return ask(STOP_WAITING if g.seat.status == "waiting" else LEAVING,
                   url_for("circles.seat_page", circle_id=circle_id), seat_name=g.seat.name)
    try:
        piece.leave_circle(g.circle, g.seat)
    except CircleError:  # taken out by the keeper, or the circle closed, at that moment
        db.session.rollback()
    else:
        live.commit_and_publish(g.circle)
    return redirect(url_for("circles.seat_page", circle_id=circle_id))


@bp.route("/circles/<int:circle_id>/seat/live")
@seat_required
def seat_live(circle_id: int):
    return live.stream(g.circle, g.seat.id, live.page_version())


@bp.route("/circles/<int:circle_id>/seat/part/<region>")
@seat_required
def seat_part(circle_id: int, region: str):
    if region not in live.SEAT_REGIONS:
        abort(404)
    return seat_answer(live.render_state(g.circle), region)


@bp.route("/circles/<int:circle_id>/seat/turn", methods=["POST"])
@live_control("p-piece")
@seat_required
def seat_turn(circle_id: int):
    expected = request.form.get("version", type=int)
    return seat_change("p-piece", lambda c, s: piece.take_turn(c, s.id, request.form.get("turn", ""), expected))


@bp.route("/circles/<int:circle_id>/seat/checkin", methods=["POST"])
@live_control("p-round")
@seat_required
def seat_checkin(circle_id: int):
    value, round_no = request.form.get("value", type=int), request.form.get("round_no", type=int)
    return seat_change("p-round", lambda c, s: check_in(c, s, value, request.form.get("word"), round_no))


@bp.route("/circles/<int:circle_id>/seat/agree/<int:agreement_id>", methods=["POST"])
@live_control("p-agreements")
@seat_required
def seat_agree(circle_id: int, agreement_id: int):
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or agreement.school_id != g.circle.school_id:
        abort(404)
    return seat_change("p-agreements", lambda c, s: seat_agrees(c, s, agreement))

