"""Check-ins outside a circle: the class station (tablet and staff views), a staff member's
check-in for one pupil, follow-ups, and the school's choice of scale."""
from uuid import uuid4

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.auth.sign_ins import start_sign_in
from rrp_pwa.auth.signin import SignInLimits, SignInRefused, SignInThrottled, authenticate, minutes_text
from rrp_pwa.checkins import bp
from rrp_pwa.checkins.timeline import answer_text
from rrp_pwa.checkins.device import (
    enter_station_mode,
    station_closed_answer,
    station_device,
    station_device_or_staff,
)
from rrp_pwa.checkins.kept import KeptBatchRefused, readable_stations, receive_kept_checkins, tablet_sends_left
from rrp_pwa.checkins.forms import (
    CheckInForm,
    EmptyForm,
    LeaveStationForm,
    OpenStationForm,
    ScaleForm,
    StationCheckInForm,
)
from rrp_pwa.checkins.rules import (
    CHECKIN_ROLES,
    CheckInError,
    checkin_pupils,
    FollowUpNotYours,
    follow_up_after,
    mark_follow_up_done,
    open_follow_up_count,
    open_follow_ups,
    record_staff_checkin,
    set_school_scale,
    undo_follow_up_done,
)
from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.checkins.stations import (
    NotInGroup,
    StationClosed,
    StationRefused,
    end_station,
    may_end,
    may_open_station,
    may_watch,
    open_station,
    record_station_checkin,
    station_checkins,
    station_pupil_by_id,
    station_pupils,
    watchable_stations,
)
from rrp_pwa.extensions import db, htmx
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.models import Group, Pupil, short_names
from rrp_pwa.models.checkins import CheckInFollowUp, CheckInStation
from rrp_pwa.realtime import Message, broker
from rrp_pwa.realtime.sse import event_stream, sse_response
from rrp_pwa.records.actions import add_pupil_action
from rrp_pwa.roster.directory import sees_whole_school, visible_groups
from rrp_pwa.tenancy import get_scoped_or_404, one_or_404

add_tiles("teacher", Tile("Check-ins", "Open the check-in station; pupils to check in with later.", "checkins.index"))
add_tiles("support", Tile("Check-ins", "Pupils to check in with later.", "checkins.index"))
add_tiles("admin", Tile("Check-in scale", "Faces, numbers or colours for the whole school.", "checkins.scale"))
add_pupil_action("Record a check-in", "checkins.for_pupil", roles=CHECKIN_ROLES)


bp.add_app_template_filter(answer_text, "checkin_answer")
bp.add_app_template_global(tablet_sends_left, "tablet_sends_left")


def watched_station_or_404(station_id: int) -> CheckInStation:
    station = get_scoped_or_404(CheckInStation, station_id)
    if not may_watch(current_user, station):
        abort(404)
    return station


def station_fragment(station: CheckInStation) -> str:
    """The staff's live list; the same for every watcher, so it can be broadcast."""
    return render_template("checkins/_station_checkins.html", station=station, checkins=station_checkins(station),
                           pupils=station_pupils(station), scales=SCALES)


def announce(station: CheckInStation) -> None:
    """After commit: every watching phone swaps in the fresh list."""
    broker().publish(f"station:{station.id}", Message("checkins", station_fragment(station)))


# Staff: the check-ins home, opening and watching a station

@bp.route("/checkins")
@staff_required()
def index():
    groups = [group for group in db.session.scalars(visible_groups(current_user).where(Group.archived.is_(False))
                                                    .order_by(Group.name)) if may_open_station(current_user, group)]
    return render_template("checkins/index.html", groups=groups, stations=watchable_stations(current_user),
                           follow_up_count=open_follow_up_count(current_user))


@bp.route("/checkins/groups/<int:group_id>/station", methods=["GET", "POST"])
@staff_required("teacher")
def open_station_view(group_id: int):
    group = one_or_404(visible_groups(current_user).where(Group.id == group_id))
    if not may_open_station(current_user, group):
        abort(403)
    form = OpenStationForm()
    if form.validate_on_submit():
        station = open_station(current_user, group, form.minutes.data)
        db.session.commit()
        enter_station_mode(station)
        return redirect(url_for("checkins.station"))
    return render_template("checkins/open_station.html", group=group, form=form,
                           pupil_count=sum(not pupil.archived for pupil in group.pupils)), 400 if form.errors else 200


@bp.route("/checkins/stations/<int:station_id>")
@staff_required()
def station_watch(station_id: int):
    station = watched_station_or_404(station_id)
    return render_template("checkins/station_watch.html", station=station, checkins=station_checkins(station),
                           pupils=station_pupils(station), scales=SCALES, form=EmptyForm(),
                           make_this_device=MAKE_THIS_DEVICE_THE_STATION)


@bp.route("/checkins/stations/<int:station_id>/list")
@staff_required()
def station_list(station_id: int):
    return station_fragment(watched_station_or_404(station_id))


@bp.route("/checkins/stations/<int:station_id>/stream")
@staff_required()
def station_stream(station_id: int):
    station = watched_station_or_404(station_id)
    subscription = broker().subscribe(f"station:{station.id}")
    current = Message("checkins", station_fragment(station))
    db.session.close()
    return sse_response(event_stream(subscription, [current]))


MAKE_THIS_DEVICE_THE_STATION = Question("Make this device the check-in station?", "You will be signed out on it.",
                                        "Make this device the station again", "No, go back to the station")


@bp.app_template_global()
def ending_station(station: CheckInStation) -> Question:
    """End the station's question (the watching page, and the page asking when it came unasked)."""
    return Question(f"End the check-in station for {station.group.name}?", "The tablet stops taking check-ins.",
                    "End the station", "No, go back to the station")


@bp.route("/checkins/stations/<int:station_id>/end", methods=["POST"])
@staff_required()
def station_end(station_id: int):
    """End the station (asked first)."""
    station = watched_station_or_404(station_id)
    if station.is_open() and may_end(current_user, station) and not was_asked():
        return ask(ending_station(station), url_for("checkins.station_watch", station_id=station.id))
    try:
        end_station(station, current_user)
    except StationRefused as exc:
        abort(403, str(exc))
    db.session.commit()
    announce(station)
    flash(f"The check-in station for {station.group.name} has ended.")
    return redirect(url_for("checkins.station_watch", station_id=station.id))


@bp.route("/checkins/stations/<int:station_id>/device", methods=["POST"])
@staff_required("teacher")
def station_resume(station_id: int):
    station = watched_station_or_404(station_id)
    if station.opened_by_id != current_user.id:
        abort(403)
    if not station.is_open():
        flash("That station has closed. Open a new one.", "error")
        return redirect(url_for("checkins.index"))
    if not was_asked():  # it signs the teacher out on this device
        return ask(MAKE_THIS_DEVICE_THE_STATION, url_for("checkins.station_watch", station_id=station.id))
    enter_station_mode(station)
    return redirect(url_for("checkins.station"))


# The tablet in station mode

def station_screen(fragment: str, **context):
    """The station's fragment for an htmx swap, or the whole station page around it (which carries a
    blank check-in screen, so that a name tapped with no signal still opens one)."""
    template = fragment if htmx and not htmx.boosted else "checkins/station.html"
    pupils = station_pupils(g.station)
    return render_template(template, station=g.station, pupils=pupils, names=short_names(pupils),
                           scale=SCALES[g.station.school.checkin_scale], blank_form=StationCheckInForm(formdata=None),
                           **context)


@bp.route("/station")
@station_device
def station():
    return station_screen("checkins/_station_names.html", thanked=request.args.get("thanks") == "1")


@bp.route("/station/pupils/<int:pupil_id>")
@station_device
def station_pupil(pupil_id: int):
    pupil = station_pupil_by_id(g.station, pupil_id)
    if pupil is None:
        abort(404)
    form = StationCheckInForm(formdata=None, client_uuid=str(uuid4()))
    return station_screen("checkins/_station_pick.html", pupil=pupil, form=form)


@bp.route("/station/checkins", methods=["POST"])
@station_device
def station_checkin():
    form = StationCheckInForm()
    if form.validate_on_submit():
        try:
            record_station_checkin(g.station, form.pupil_id.data, form.value.data, form.word.data,
                                   client_uuid=form.client_uuid.data or None)
        except CheckInError as exc:
            form.form_errors.append(str(exc))
        except NotInGroup:
            form.form_errors.append("Tap your name first.")
        except StationClosed:
            return station_closed_answer(g.station)
        else:
            db.session.commit()
            announce(g.station)
            if htmx and not htmx.boosted:
                return station_screen("checkins/_station_names.html", thanked=True)
            return redirect(url_for("checkins.station", thanks="1"))
    return station_screen("checkins/_station_pick.html", pupil=station_pupil_by_id(g.station, form.pupil_id.data),
                          form=form), 400


@bp.route("/station/status")
@station_device
def station_status():
    return "", 204


@bp.route("/station/kept-checkins", methods=["POST"])
@station_device_or_staff
def station_kept_checkins():
    """Check-ins the tablet kept with no signal, each answered created, duplicate, rejected + reason, or
    deferred (not this sender's to send)."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    try:
        results, changed = receive_kept_checkins(body.get("checkins"), body.get("sent_at"), tablet=g.station,
                                                 staff=None if g.station else current_user)
    except KeptBatchRefused as exc:
        return jsonify(error="bad_batch", message=str(exc)), 400
    db.session.commit()
    for station in changed:
        announce(station)
    return jsonify(results=[result.as_json() for result in results])


@bp.route("/checkins/kept-stations")
@staff_required()
def kept_stations():
    """Of the stations a tablet holds kept check-ins for (``?station=``), those whose refused ones the
    signed-in person may read and discard on it; the tablet shows the rest only as a count."""
    ids = request.args.getlist("station", type=int)
    response = jsonify(stations=readable_stations(current_user, ids))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/station/leave", methods=["GET", "POST"])
@station_device
def station_leave():
    form, status, station = LeaveStationForm(), 200, g.station
    if form.validate_on_submit():
        cfg = current_app.config
        limits = SignInLimits(cfg["LOGIN_ACCOUNT_LIMIT"], cfg["LOGIN_IP_LIMIT"], cfg["LOGIN_WINDOW_SECONDS"])
        try:
            teacher = authenticate(station.opened_by.email, form.password.data, request.remote_addr or "?",
                                   current_app.extensions["rrp_throttle"], limits,
                                   attempts_key=f"station-leave:{station.id}")
        except SignInThrottled as exc:
            form.password.errors.append(f"Too many wrong passwords. Wait {minutes_text(exc.minutes)}.")
            status = 429
        except SignInRefused:
            form.password.errors.append(f"That password is wrong. Only {station.opened_by.name} can leave station mode.")
            status = 401
        else:
            start_sign_in()
            login_user(teacher)
            return redirect(url_for("checkins.station_watch", station_id=station.id))
    return render_template("checkins/station_leave.html", station=station, form=form), \
        400 if form.errors and status == 200 else status


# A staff member's check-in for one pupil

@bp.route("/checkins/pupils/<int:pupil_id>", methods=["GET", "POST"])
@staff_required(*CHECKIN_ROLES)
def for_pupil(pupil_id: int):
    pupil = one_or_404(checkin_pupils(current_user, with_leavers=True).where(Pupil.id == pupil_id))
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            checkin = record_staff_checkin(current_user, pupil, form.value.data, form.word.data)
        except CheckInError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Check-in saved for {pupil.display_name}."
                  + (f" It's on your list: check in with {pupil.first_name} later." if checkin.low else ""))
            return redirect(url_for("roster.pupil", pupil_id=pupil.id))
    return render_template("checkins/for_pupil.html", pupil=pupil, form=form,
                           scale=SCALES[current_user.school.checkin_scale]), 400 if form.errors else 200


# Follow-ups

@bp.route("/checkins/follow-ups")
@staff_required()
def follow_ups():
    return render_template("checkins/follow_ups.html", follow_ups=open_follow_ups(current_user), scales=SCALES,
                           school_list=sees_whole_school(current_user))


# The pages that show a follow-up list, by the list_on its Done sends: a plain post goes back there.
FOLLOW_UP_LISTS = {"follow-ups": "checkins.follow_ups", "circles": "circles.index"}


@bp.route("/checkins/follow-ups/<int:follow_up_id>/done", methods=["POST"])
@staff_required()
def follow_up_done(follow_up_id: int):
    """Tick one off, on Pupils to check in with later or the circles index (``list_on``). The list answers
    without a page load (htmx) with the focus on the next pupil's Done; a plain post goes back to the page
    it was on at the next pupil's Done (where app.js puts the focus), not the top of the page. What was done
    is said with an Undo beside it, for a Done tapped on the wrong pupil."""
    return _change_follow_up(follow_up_id, mark_follow_up_done, "Done: you checked in with {who}.", undo=True)


@bp.route("/checkins/follow-ups/<int:follow_up_id>/undo", methods=["POST"])
@staff_required()
def follow_up_undo(follow_up_id: int):
    """Undo a Done: the pupil is back on the list, with the focus on their Done again."""
    return _change_follow_up(follow_up_id, undo_follow_up_done, "{who} is back on your list.", undo=False)


def _change_follow_up(follow_up_id: int, change, said: str, undo: bool):
    list_on = request.form.get("list_on", "follow-ups")
    if list_on not in FOLLOW_UP_LISTS:
        abort(400)
    follow_up = get_scoped_or_404(CheckInFollowUp, follow_up_id)
    try:
        change(follow_up, current_user)
    except FollowUpNotYours:
        abort(404)
    db.session.commit()
    done = said.format(who=follow_up.checkin.pupil.display_name if follow_up.checkin.pupil else follow_up.checkin.name)
    remaining = open_follow_ups(current_user)
    focus = follow_up_after(follow_up, remaining) if undo else follow_up
    if htmx and not htmx.boosted:
        return render_template("checkins/_follow_ups.html", follow_ups=remaining, scales=SCALES, done=done,
                               focus=focus, list_on=list_on, undo_id=follow_up.id if undo else None)
    flash(done, "follow-up-done")  # said where a Done sent with htmx says it (checkins/_follow_up_done.html)
    if undo:
        flash(str(follow_up.id), "follow-up-undo")  # its Undo, beside it
    return redirect(url_for(FOLLOW_UP_LISTS[list_on], _anchor=f"follow-up-{focus.id}-done" if focus else "follow-ups-h"))


# The school's scale (admin)

@bp.route("/admin/checkins/scale", methods=["GET", "POST"])
@staff_required("admin")
def scale():
    school = current_user.school
    form = ScaleForm(data=None if request.method == "POST" else {"scale": school.checkin_scale})
    if form.validate_on_submit():
        set_school_scale(school, form.scale.data)
        db.session.commit()
        flash(f"Check-ins now use {SCALES[school.checkin_scale].name.lower()}.")
        return redirect(url_for("checkins.scale"))
    return render_template("checkins/scale.html", form=form, scales=SCALES), 400 if form.errors else 200
