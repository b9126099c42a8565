"""The keeper's screens: start a circle, run the talking piece, rounds, agreements, concern, close."""
import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from rrp_pwa.agreements.routes import agreement_to_follow_up
from rrp_pwa.agreements.rules import AgreementError, pupils_involved, record_follow_up
from rrp_pwa.asking import ask_first, was_asked
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.circles import bp, live
from rrp_pwa.checkins.rules import open_follow_ups
from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.activities import (
    CircleAgreementRefused,
    add_agreement,
    checkin_answers,
    circle_concern,
    close_circle,
    school_scale,
)
from rrp_pwa.circles.activities import check_in as circle_check_in
from rrp_pwa.circles.early_tap import back_to_keeper, live_control
from rrp_pwa.circles.forms import AddSeatForm, AgreementForm, ConcernForm, RoundForm, StartCircleForm
from rrp_pwa.circles.joining import add_seat_here, join_token, open_circle
from rrp_pwa.circles.question_bank import bank
from rrp_pwa.circles.talking_piece import CircleClosed, CircleError, StalePieceVersion
from rrp_pwa.extensions import db, htmx
from rrp_pwa.forms import show_problems
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.models import Group, Pupil
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.circles import CIRCLE_KINDS, Circle, Seat
from rrp_pwa.qr import qr_svg
from rrp_pwa.roster.directory import sees_whole_school, visible_groups, visible_pupils
from rrp_pwa.safeguarding.concerns import WHEN_SEEN, concern_sent
from rrp_pwa.tenancy import get_scoped_or_404, scoped
from rrp_pwa.circles import participant_routes, questions, timeline  # noqa: E402,F401  (register routes and sources)

KEEPER_ROLES = ("teacher", "support", "pastoral", "admin", "dsl")
for _role in ("teacher", "support", "pastoral"):
    add_tiles(_role, Tile("Start a circle", "Open a circle by QR code and pass a live talking piece.", "circles.new"),
              first=True)
    add_tiles(_role, Tile("Circles and follow-ups", "Your circles, their summaries and who to check in with.",
                          "circles.index"))


def keepers_circle(circle_id: int) -> Circle:
    """A circle of this school that the signed-in person keeps (anyone else's is 403, another school's 404)."""
    circle = get_scoped_or_404(Circle, circle_id)
    if circle.keeper_id != current_user.id:
        abort(403)
    return circle


def seat_of(circle: Circle, seat_id: int) -> Seat:
    seat = db.session.get(Seat, seat_id)
    if seat is None or seat.circle_id != circle.id:
        abort(404)
    return seat


def regions(state: dict) -> dict[str, Markup]:
    return {name: Markup(html) for name, html in state.get("keeper", {}).items()}


def region_answer(state: dict, region: str, status: int = 200, error: str | None = None) -> Response:
    """The fresh fragment of one keeper region (with the refusal, if any, above it)."""
    html = state["keeper"][region]
    if error:
        html = render_template("circles/_refusal.html", message=error) + html
    response = Response(html, status=status, mimetype="text/html")
    response.headers["X-Circle-Version"] = str(state["v"])
    return response


def keeper_change(circle_id: int, region: str, change, piece_move: bool = False) -> Response:
    """Apply one keeper change; answer with the region's fresh fragment, 409 if the device was behind.
    A plain form POST (the control tapped before the page's scripts ran) goes back to the keeper's
    screen instead, with the refusal, if any, shown above the region.

    The circle is loaded by bumping its version (one round trip for both); only a circle that is
    not this keeper's, or not open, is read again to say why. ``piece_move``: the change only moves
    the talking piece (see ``talking_piece._bump``)."""
    circle = (piece.lock_for_keeper(circle_id, current_user.school_id, current_user.id, piece_move)
              or keepers_circle(circle_id))
    if not circle.is_open:  # (a rule may refuse before the version bump would say so)
        return closed_answer(circle)
    try:
        change(circle)
    except CircleClosed:
        return closed_answer(circle)
    except CircleError as exc:
        db.session.rollback()
        if not htmx:
            return back_to_keeper(circle_id, region, str(exc))
        error = None if isinstance(exc, StalePieceVersion) else str(exc)
        return region_answer(live.render_state(circle), region, 409, error)
    state = live.commit_and_publish(circle)
    return region_answer(state, region) if htmx else back_to_keeper(circle_id, region)


def closed_answer(circle: Circle) -> Response:
    """A keeper device acting on a circle that has closed (on another device) goes to its summary."""
    if not htmx:
        flash("This circle has closed, so that was not done.")
        return redirect(url_for("circles.summary", circle_id=circle.id))
    response = Response(status=409)
    response.headers["HX-Redirect"] = url_for("circles.summary", circle_id=circle.id)
    return response


def version() -> int | None:
    return request.form.get("version", type=int)


@bp.route("/circles")
@staff_required(*KEEPER_ROLES)
def index():
    mine = db.session.scalars(scoped(Circle).where(Circle.keeper_id == current_user.id)
                              .order_by(Circle.created_at.desc()).limit(30))
    return render_template("circles/index.html", circles=list(mine), follow_ups=open_follow_ups(current_user))


def pupils_for_circle(follows: Agreement | None) -> list[Pupil]:
    """The pupils a circle is opened for (``pupil_id``, as "Hold a circle" after "not kept" sends them): those
    the keeper may see, and those of the agreement it follows up, current pupils of this school."""
    ids = list(dict.fromkeys(i for i in request.values.getlist("pupil_id", type=int) if i))[:40]
    if not ids:
        return []
    involved = {p.id for p in pupils_involved(follows)} if follows is not None else set()
    visible = set(db.session.scalars(visible_pupils(current_user).where(Pupil.id.in_(ids))
                                     .with_only_columns(Pupil.id)))
    found = {p.id: p for p in db.session.scalars(scoped(Pupil).where(Pupil.id.in_(ids), Pupil.archived.is_(False)))}
    return [found[i] for i in ids if i in found and (i in visible or i in involved)]


@bp.route("/circles/new", methods=["GET", "POST"])
@staff_required(*KEEPER_ROLES)
def new():
    """Open a circle. Sent from an agreement that was not kept (``follows``), it starts as a restorative circle
    for the pupils and the class they share, and opening it records the agreement's follow-up."""
    form = StartCircleForm()
    groups = list(db.session.scalars(visible_groups(current_user).where(Group.archived.is_(False)).order_by(Group.name)))
    form.group.choices = [(0, "Ad hoc: people type their first name")] + [(g.id, g.name) for g in groups]
    form.prompts.choices = [(p.text, p.text) for p in bank(current_user.school_id)]
    follows = agreement_to_follow_up()
    pupils = pupils_for_circle(follows)
    if not form.is_submitted():
        start_as_asked(form, groups, pupils)
    if form.validate_on_submit():
        group = next((g for g in groups if g.id == form.group.data), None)
        circle = open_circle(current_user, form.kind.data, group, one_device=form.one_device.data,
                             auto_admit=form.auto_admit.data, planned_prompts=form.prompts.data,
                             join_minutes=current_app.config.get("CIRCLE_JOIN_MINUTES", 120), pupils=pupils)
        if follows is not None:
            follow_up_with(circle, follows)
        db.session.commit()
        return redirect(url_for("circles.keeper", circle_id=circle.id))
    return render_template("circles/new.html", form=form, follows=follows, pupils=pupils), 400 if form.errors else 200


def start_as_asked(form: StartCircleForm, groups: list[Group], pupils: list[Pupil]) -> None:
    """The opening form's first choices: the group and kind asked for (by "Hold a circle" after "not kept"),
    else a teacher with one class (and no pupils asked for) starts with that class's circle."""
    wanted = request.args.get("group_id", type=int)
    if wanted in {g.id for g in groups}:
        form.group.data = wanted
    elif len(groups) == 1 and not pupils:
        form.group.data = groups[0].id
    if request.args.get("kind") in CIRCLE_KINDS:
        form.kind.data = request.args["kind"]


def follow_up_with(circle: Circle, follows: Agreement) -> None:
    """Record the circle just opened as the follow-up of the agreement that was not kept, and say so."""
    db.session.flush()
    try:
        record_follow_up(follows, current_user, circle_id=circle.id)
    except AgreementError:
        return  # followed up meanwhile in a way that no longer needs one: the circle still opens
    flash(f"This circle follows up the agreement “{follows.what}”: it is recorded on the agreement.")


@bp.route("/circles/<int:circle_id>")
@staff_required(*KEEPER_ROLES)
def keeper(circle_id: int):
    circle = keepers_circle(circle_id)
    if not circle.is_open:
        live.forget_kept_form()  # refused as the circle closed on another device: nowhere to show it now
        return redirect(url_for("circles.summary", circle_id=circle.id))
    return render_keeper(circle)


def render_keeper(circle: Circle, status: int = 200, **forms):
    kept, ticked = live.kept_form(circle.id, round_form=RoundForm, agreement_form=AgreementForm)
    forms = {**kept, **forms}
    round_form = forms.get("round_form") or RoundForm()
    planned = json.loads(circle.planned_prompts or "[]")
    round_form.prompt.choices = [("", "Choose a question")] + [(t, t) for t in planned + [
        p.text for p in bank(circle.school_id) if p.text not in planned]]
    token = join_token(circle, current_app.config["SECRET_KEY"])
    state = live.render_state(circle)
    shown = live.with_refusal(circle.id, regions(state))
    if ticked:  # a refused action agreement: who it was for, still ticked
        shown["k-who"] = Markup(live.who_choices(circle, ticked))
    if not circle.is_open:  # a concern sent from a second device after closing: whoever was in it, to pick again
        shown["k-concern-who"] = Markup(live.concern_choices(circle))
    join_url = url_for("circles.join", token=token, _external=True)
    return render_template("circles/keeper.html", circle=circle, regions=shown, join_url=join_url,
                           closing_detail=closing_detail(circle),
                           pupils_in=live.pupils_in(state), join_qr=qr_svg(join_url, "QR code that opens this circle's join page", "join-qr"),
                           round_form=round_form, agreement_form=forms.get("agreement_form") or AgreementForm(),
                           concern_form=forms.get("concern_form") or ConcernForm(),
                           add_form=forms.get("add_form") or AddSeatForm()), status


@bp.route("/circles/<int:circle_id>/live")
@staff_required(*KEEPER_ROLES)
def keeper_live(circle_id: int):
    """The keeper's stream. A closed circle has none: 204 tells the browser to stop reconnecting, and the
    screen's polling (which starts when the stream stays down) takes a second device to the summary."""
    circle = keepers_circle(circle_id)
    if not circle.is_open:
        return Response(status=204)
    return live.stream(circle, None, live.page_version())


@bp.route("/circles/<int:circle_id>/part/<region>")
@staff_required(*KEEPER_ROLES)
def keeper_part(circle_id: int, region: str):
    circle = keepers_circle(circle_id)
    if not circle.is_open:
        response = Response(status=204)
        response.headers["HX-Redirect"] = url_for("circles.summary", circle_id=circle.id)
        return response
    if region not in live.KEEPER_REGIONS:
        abort(404)
    return region_answer(live.render_state(circle), region)


@bp.route("/circles/<int:circle_id>/turn", methods=["POST"])
@live_control("k-piece")
@staff_required(*KEEPER_ROLES)
def turn(circle_id: int):
    """The keeper's own turn, or (one-device mode) the turn of whoever holds the shared device."""
    def change(circle):
        piece.take_turn(circle, circle.holder_seat_id, request.form.get("turn", ""), version())
    return keeper_change(circle_id, "k-piece", change, piece_move=True)


@bp.route("/circles/<int:circle_id>/give/<int:seat_id>", methods=["POST"])
@live_control("k-piece")
@staff_required(*KEEPER_ROLES)
def give(circle_id: int, seat_id: int):
    return keeper_change(circle_id, "k-piece", lambda c: piece.give(c, seat_of(c, seat_id), version()),
                         piece_move=True)


@bp.route("/circles/<int:circle_id>/take-back", methods=["POST"])
@live_control("k-piece")
@staff_required(*KEEPER_ROLES)
def take_back(circle_id: int):
    return keeper_change(circle_id, "k-piece", lambda c: piece.take_back(c, version()), piece_move=True)


@bp.route("/circles/<int:circle_id>/reverse", methods=["POST"])
@live_control("k-piece")
@staff_required(*KEEPER_ROLES)
def reverse(circle_id: int):
    return keeper_change(circle_id, "k-piece", lambda c: piece.reverse(c, version()), piece_move=True)


@bp.route("/circles/<int:circle_id>/seats/<int:seat_id>/move", methods=["POST"])
@live_control("k-seats")
@staff_required(*KEEPER_ROLES)
def move(circle_id: int, seat_id: int):
    step = -1 if request.form.get("step") == "up" else 1
    return keeper_change(circle_id, "k-seats", lambda c: piece.move_seat(c, seat_of(c, seat_id), step, version()))


@bp.route("/circles/<int:circle_id>/seats/<int:seat_id>/remove", methods=["POST"])
@live_control("k-seats")
@staff_required(*KEEPER_ROLES)
def remove(circle_id: int, seat_id: int):
    return keeper_change(circle_id, "k-seats", lambda c: piece.remove_seat(c, seat_of(c, seat_id)))


@bp.route("/circles/<int:circle_id>/seats/<int:seat_id>/admit", methods=["POST"])
@live_control("k-waiting")
@staff_required(*KEEPER_ROLES)
def admit(circle_id: int, seat_id: int):
    return keeper_change(circle_id, "k-waiting", lambda c: piece.admit(c, seat_of(c, seat_id)))


@bp.route("/circles/<int:circle_id>/seats/<int:seat_id>/not-now", methods=["POST"])
@live_control("k-waiting")
@staff_required(*KEEPER_ROLES)
def not_now(circle_id: int, seat_id: int):
    return keeper_change(circle_id, "k-waiting", lambda c: piece.turn_away(c, seat_of(c, seat_id)))


@bp.route("/circles/<int:circle_id>/auto-admit", methods=["POST"])
@live_control("k-waiting")
@staff_required(*KEEPER_ROLES)
def auto_admit(circle_id: int):
    return keeper_change(circle_id, "k-waiting", lambda c: piece.set_auto_admit(c, request.form.get("on") == "1"))


@bp.route("/circles/<int:circle_id>/checkin", methods=["POST"])
@live_control("k-piece")
@staff_required(*KEEPER_ROLES)
def checkin_here(circle_id: int):
    """One-device mode: the holder taps their check-in on the shared device (the buttons say whose
    they are; a page from before they did means whoever holds the piece)."""
    def change(circle):
        seat = db.session.get(Seat, request.form.get("seat", type=int) or circle.holder_seat_id)
        if seat is None or seat.circle_id != circle.id:
            abort(404)
        circle_check_in(circle, seat, request.form.get("value", type=int), request.form.get("word"),
                        request.form.get("round_no", type=int), holder_only=True)
    return keeper_change(circle_id, "k-piece", change)


@bp.route("/circles/<int:circle_id>/seats", methods=["POST"])
@staff_required(*KEEPER_ROLES)
def add_seat(circle_id: int):
    circle, form = keepers_circle(circle_id), AddSeatForm()
    if form.validate_on_submit():
        return committed(circle, lambda: add_seat_here(circle, form.data["name"]), f"{form.name.data} is in the circle.",
                         lambda error: form.name.errors.append(str(error)), anchor="add-h", add_form=form)
    return render_keeper(circle, 400, add_form=form)


@bp.route("/circles/<int:circle_id>/rounds", methods=["POST"])
@staff_required(*KEEPER_ROLES)
def start_round(circle_id: int):
    circle, form = keepers_circle(circle_id), RoundForm()
    if form.validate_on_submit():
        prompt = form.typed.data.strip() or form.prompt.data
        # one device: back at the talking piece, where the pupil handed the device reads the question
        anchor = "ring-h" if circle.one_device else "round-h"
        question = school_scale(circle).question  # a check-in round's, if none is chosen or typed
        return committed(circle, lambda: piece.start_round(circle, prompt, form.round_kind.data, question),
                         "The round has started.",
                         lambda error: form.typed.errors.append(str(error)), anchor=anchor, refused_at="round-h", round_form=form)
    return form_refused(circle, form, "round-h")


@bp.route("/circles/<int:circle_id>/agreements", methods=["POST"])
@staff_required(*KEEPER_ROLES)
def agreement(circle_id: int):
    circle, form = keepers_circle(circle_id), AgreementForm()
    if form.validate_on_submit():
        seats = [seat_of(circle, int(i)) for i in request.form.getlist("who") if i.isdigit()]
        return committed(circle, lambda: add_agreement(circle, current_user, form.kind.data, form.what.data, seats,
                                                       form.by_when.data, form.review_on.data),
                         "The agreement is on everyone's screen.", lambda error: show_agreement_problems(form, error),
                         anchor="agree-h", refused_at="agree-h", agreement_form=form)
    return form_refused(circle, form, "agree-h")


def show_agreement_problems(form: AgreementForm, error: CircleError) -> None:
    """Every problem with the agreement at once, beside its field; who it is for (the live list of
    seats) is said at the top of the form."""
    show_problems(form, error.problems if isinstance(error, CircleAgreementRefused) else [("what", str(error))])


def committed(circle: Circle, change, done: str, on_error, anchor: str | None = None, refused_at: str | None = None,
              **forms):
    """Run a form's change: commit, publish and go back to the keeper screen at the form's section (on a
    phone it is screens below the top), or show the error (``on_error`` is given it) by its field - on that
    screen at ``refused_at`` with what was typed (``form_refused``), else on the page the POST answers. A
    circle closed meanwhile (on the keeper's other device) goes to its summary."""
    try:
        change()
    except CircleClosed:
        db.session.rollback()
        flash("This circle has closed, so nothing more can be added to it.")
        return redirect(url_for("circles.summary", circle_id=circle.id))
    except CircleError as exc:
        db.session.rollback()
        on_error(exc)
        return form_refused(circle, *forms.values(), refused_at) if refused_at else render_keeper(circle, 400, **forms)
    live.commit_and_publish(circle)
    flash(done)
    return redirect(url_for("circles.keeper", circle_id=circle.id, _anchor=anchor))


def form_refused(circle: Circle, form, section: str):
    """Post/Redirect/Get for a refused keeper form: its screen at the form's section, the form as it was
    sent, with the reasons by its fields (and, for an agreement, who was ticked)."""
    live.keep_form(circle, form, request.form.getlist("who") if isinstance(form, AgreementForm) else [])
    return redirect(url_for("circles.keeper", circle_id=circle.id, _anchor=section))


@bp.route("/circles/<int:circle_id>/concern", methods=["POST"])
@staff_required(*KEEPER_ROLES)
def concern(circle_id: int):
    circle, form = keepers_circle(circle_id), ConcernForm()
    if form.validate_on_submit():
        try:
            circle_concern(circle, current_user, seat_of(circle, form.seat.data), form.note.data,
                           form.client_uuid.data)
        except CircleError as exc:
            form.note.errors.append(str(exc))
        else:
            flash(concern_sent(circle.school_id, "Your concern has gone to the Designated Safeguarding Lead. "
                                                   "It is not in the circle's record. " + WHEN_SEEN))
            return redirect(url_for("circles.keeper", circle_id=circle.id))
    return render_keeper(circle, 400, concern_form=form)


def closing_detail(circle: Circle) -> str:
    """What closing does, said when the keeper is asked (on the keeper's screen, or on a page of its own)."""
    return ("It ends here and its summary is saved." if circle.one_device else
            "Every device will show 'Circle closed - thank you' and the code will stop working.")


@bp.route("/circles/<int:circle_id>/close", methods=["POST"])
@staff_required(*KEEPER_ROLES)
def close(circle_id: int):
    """Close the circle (asked first: on the page, or - tapped before its scripts had asked - on a page of its own)."""
    circle = keepers_circle(circle_id)
    if circle.is_open and not was_asked():
        return ask_first("Close the circle?", closing_detail(circle), "Close the circle", "No, go back to the circle",
                         url_for("circles.keeper", circle_id=circle.id))
    if circle.is_open:
        close_circle(circle)
        live.commit_and_publish(circle)
    live.forget_kept_form()  # a refused form of its screen not shown yet: it will not be now
    flash("The circle is closed and its summary is saved." if circle.one_device else
          "The circle is closed. Every device now says thank you, and the code no longer works.")
    return redirect(url_for("circles.summary", circle_id=circle.id))


@bp.route("/circles/<int:circle_id>/summary")
@staff_required(*KEEPER_ROLES)
def summary(circle_id: int):
    circle = get_scoped_or_404(Circle, circle_id)
    if circle.keeper_id != current_user.id and not sees_whole_school(current_user):
        abort(403)
    if circle.is_open:
        return redirect(url_for("circles.keeper", circle_id=circle.id))
    answers = checkin_answers(circle) if circle.keeper_id == current_user.id else []  # the keeper's alone
    return render_template("circles/summary.html", circle=circle, summary=json.loads(circle.summary or "{}"),
                           answers=answers)
