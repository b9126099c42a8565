"""The staff side: the mediation lead's queue and mediators, badges, duty and live alerts."""
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rrp_pwa.agreements.rules import AgreementError, change_review_date
from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.extensions import db
from rrp_pwa.follow_ups import followed_up_another_way
from rrp_pwa.home.panels import add_home_panel
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.mediation import bp
from rrp_pwa.mediation.accounts import MediatorError, account_for, badge_token, revoke_badge, set_mediator_login
from rrp_pwa.mediation.alerts import (
    DUTY_ROLES,
    alert_recipient_ids,
    alerts_channel,
    answer_alert,
    is_on_duty,
    open_alerts,
    receives_alerts,
    set_on_duty,
    taken_over_lately,
)
from rrp_pwa.mediation.flow import FEELING_LABELS, STEP_TITLES, MediationError, no_agreement
from rrp_pwa.forms import ConfirmForm
from rrp_pwa.mediation.forms import MediatorLoginForm, ReviewForm
from rrp_pwa.mediation.review import (
    LEAD_ROLES,
    follow_ups_needed,
    in_progress,
    mark_reviewed,
    record_follow_up,
    recently_reviewed,
    review_queue,
)
from rrp_pwa.models import Agreement, Pupil
from rrp_pwa.models.mediation import Mediation, MediationAlert, MediatorAccount
from rrp_pwa.qr import qr_svg
from rrp_pwa.realtime import Message, broker
from rrp_pwa.realtime.sse import event_stream, sse_response
from rrp_pwa.tenancy import get_scoped_or_404, lock_scoped_or_404, scoped

add_tiles("pastoral", Tile("Peer mediation", "Review mediations, set mediators' PINs, print badges.",
                           "mediation.lead"))
add_tiles("admin", Tile("Peer mediation", "Review mediations, set mediators' PINs, print badges.",
                        "mediation.lead"))
add_tiles("support", Tile("Mediation duty", "Go on duty to help peer mediators when they need an adult.",
                          "mediation.duty"))


def today() -> date:
    return current_user.school.today()


@bp.route("/mediation")
@staff_required(*LEAD_ROLES)
def lead():
    school_id = current_user.school_id
    return render_template("mediation/lead.html", queue=list(db.session.scalars(review_queue(school_id))),
                           running=list(db.session.scalars(in_progress(school_id))),
                           follow_ups=list(db.session.scalars(follow_ups_needed(school_id))),
                           reviewed=list(db.session.scalars(recently_reviewed(school_id))), step_titles=STEP_TITLES)


def agreements_to_review(mediation: Mediation) -> list[Agreement]:
    """The agreements a mediation made that still wait for their follow-up review (their date may be moved)."""
    if mediation.outcome != "agreed":
        return []
    return [p.agreement for p in mediation.parties if p.agreement is not None
            and p.agreement.kind == "action" and p.agreement.status in ("open", "partly_kept")]


@bp.route("/mediation/records/<int:mediation_id>", methods=["GET", "POST"])
@staff_required(*LEAD_ROLES)
def record(mediation_id: int):
    """The lead's review of a mediation record, and (at review) when its agreements come up for review."""
    mediation, form, status = get_scoped_or_404(Mediation, mediation_id), ReviewForm(), 200
    waiting = agreements_to_review(mediation)
    if not form.is_submitted() and waiting:
        form.review_on.data = waiting[0].review_on
    if form.validate_on_submit():
        try:
            mark_reviewed(mediation, current_user, form.note.data)
            for agreement in waiting if form.review_on.data else []:
                change_review_date(agreement, form.review_on.data, current_user)
        except MediationError as exc:
            form.form_errors.append(str(exc))
            status = 422
        except AgreementError as exc:
            db.session.rollback()
            form.review_on.errors = [str(exc)]
            status = 422
        else:
            db.session.commit()
            # a call nobody answered is now the lead's: the staff on duty see who has it at once
            broker().publish(alerts_channel(mediation.school_id), Message("alert", str(mediation.id)))
            flash(f"Mediation with {mediation.party_names} marked reviewed."
                  + (" It stays under No agreement: follow-up needed until it is followed up."
                     if mediation.needs_follow_up else ""))
            return redirect(url_for("mediation.lead"))
    elif form.errors:
        status = 422
    return render_template("mediation/record.html", mediation=mediation, form=form, feelings=FEELING_LABELS,
                           confirm=ConfirmForm(), may_move_review=bool(waiting)), status


FOLLOWED_UP = Question("Record that this mediation has been followed up?", "It leaves the follow-up list, and this "
                       "can't be undone.", "It has been followed up", "No, go back to the mediation")
bp.add_app_template_global(FOLLOWED_UP, "mediation_followed_up_question")


@bp.route("/mediation/records/<int:mediation_id>/followed-up", methods=["POST"])
@staff_required(*LEAD_ROLES)
def followed_up(mediation_id: int):
    """Record that a mediation that ended with no agreement was followed up another way (a conversation
    not recorded here, a call home). Held until recorded: a second tap or the other lead at the same moment
    is waited for, then finds it followed up (the first follow-up is the one kept)."""
    mediation = lock_scoped_or_404(Mediation, mediation_id)
    return followed_up_another_way(FOLLOWED_UP, mediation.needs_follow_up,
                                   lambda: record_follow_up(mediation, current_user), MediationError,
                                   f"Recorded: the mediation with {mediation.party_names} has been followed up.",
                                   url_for("mediation.record", mediation_id=mediation.id))


ENDING_UNFINISHED = Question("End this mediation with no agreement?", "The mediators will not be able to carry on "
                             "with it.", "End the mediation", "No, go back to the mediation")
bp.add_app_template_global(ENDING_UNFINISHED, "ending_unfinished_mediation")


@bp.route("/mediation/records/<int:mediation_id>/end", methods=["POST"])
@staff_required(*LEAD_ROLES)
def end(mediation_id: int):
    """The lead ends a mediation the mediators left unfinished (the bell went, the tablet timed out and
    nobody came back): it ends without an agreement, passed to staff, and waits for review like any other."""
    mediation = get_scoped_or_404(Mediation, mediation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not mediation.is_complete and not was_asked():
        return ask(ENDING_UNFINISHED, url_for("mediation.record", mediation_id=mediation.id))
    try:
        no_agreement(mediation)
    except MediationError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        broker().publish(alerts_channel(mediation.school_id), Message("alert", str(mediation.id)))
        flash(f"The mediation with {mediation.party_names or 'nobody chosen yet'} has been ended. Review it when you can.")
    return redirect(url_for("mediation.record", mediation_id=mediation.id))


@bp.route("/mediation/mediators")
@staff_required(*LEAD_ROLES)
def mediators():
    pupils = db.session.scalars(scoped(Pupil).where(Pupil.peer_mediator.is_(True), Pupil.archived.is_(False))
                                .order_by(Pupil.given_name, Pupil.family_name))
    accounts = {a.pupil_id: a for a in db.session.scalars(scoped(MediatorAccount))}
    return render_template("mediation/mediators.html", pupils=list(pupils), accounts=accounts, revoke=ConfirmForm())


def mediator_pupil(pupil_id: int) -> Pupil:
    pupil = get_scoped_or_404(Pupil, pupil_id)
    if not pupil.peer_mediator or pupil.archived:
        abort(404)
    return pupil


@bp.route("/mediation/mediators/<int:pupil_id>", methods=["GET", "POST"])
@staff_required(*LEAD_ROLES)
def mediator_login(pupil_id: int):
    pupil = mediator_pupil(pupil_id)
    account = account_for(pupil)
    form, status = MediatorLoginForm(data={"username": account.username if account else None}), 200
    if form.validate_on_submit():
        try:
            set_mediator_login(pupil, form.username.data, form.pin.data)
        except MediatorError as exc:
            form.form_errors.append(str(exc))
            status = 422
        else:
            db.session.commit()
            flash(f"{pupil.short_name} can now sign in as \u201c{form.username.data.strip().lower()}\u201d "
                  "with the new PIN.")
            return redirect(url_for("mediation.mediators"))
    elif form.errors:
        status = 422
    return render_template("mediation/mediator_login.html", pupil=pupil, account=account, form=form), status


@bp.app_template_global()
def revoking_badge(pupil: Pupil) -> Question:
    """Revoke a badge's question (the mediators page, and the page asking when it came unasked)."""
    return Question(f"Stop {pupil.first_name}'s printed badge working?", "You can print a new one.",
                    f"Revoke {pupil.first_name}'s badge", "No, go back to the mediators")


@bp.route("/mediation/mediators/<int:pupil_id>/revoke-badge", methods=["POST"])
@staff_required(*LEAD_ROLES)
def revoke(pupil_id: int):
    account = account_for(mediator_pupil(pupil_id))
    if account is None or not ConfirmForm().validate_on_submit():
        abort(400)
    if not was_asked():
        return ask(revoking_badge(account.pupil), url_for("mediation.mediators"))
    revoke_badge(account)
    db.session.commit()
    flash(f"{account.pupil.short_name}'s old badge no longer works. Print a new one.")
    return redirect(url_for("mediation.mediators"))


@bp.route("/mediation/badges")
@staff_required(*LEAD_ROLES)
def badges():
    query = scoped(MediatorAccount).join(Pupil, Pupil.id == MediatorAccount.pupil_id).where(
        Pupil.peer_mediator.is_(True), Pupil.archived.is_(False)).order_by(Pupil.given_name)
    if request.args.get("pupil_id", "").isdigit():
        query = query.where(MediatorAccount.pupil_id == int(request.args["pupil_id"]))
    cards = [{"account": account,
              "qr": qr_svg(url_for("mediation.badge_sign_in", _external=True,
                                   token=badge_token(account, current_app.secret_key)),
                           f"Sign-in code for {account.pupil.short_name}")}
             for account in db.session.scalars(query)]
    return render_template("mediation/badges.html", cards=cards)


@bp.route("/mediation/duty", methods=["GET", "POST"])
@staff_required()
def duty():
    form, on = ConfirmForm(), today()
    if form.validate_on_submit():
        try:
            set_on_duty(current_user, on, request.form.get("on_duty") == "1")
        except MediationError as exc:
            abort(403, str(exc))
        db.session.commit()
        return redirect(url_for("mediation.duty"))
    recipients = alert_recipient_ids(current_user.school_id, on)
    return render_template("mediation/duty.html", form=form, on_duty=is_on_duty(current_user, on),
                           can_go_on_duty=current_user.has_role(*DUTY_ROLES), recipient_count=len(recipients),
                           receives=current_user.id in recipients)


@bp.route("/mediation/alerts")
@staff_required()
def alerts(error: str | None = None):
    """The live "Get an adult" panel (its fragment): open alerts for staff who receive them, and who is taking
    over a mediation that ended with no agreement (for a while after they answered); ``error``, why an answer
    sent from it was not taken, above it."""
    shown = receives_alerts(current_user, today())
    since, _ = current_user.school.day_bounds(today())
    found = list(db.session.scalars(open_alerts(current_user.school_id, since))) if shown else []
    taken = list(db.session.scalars(taken_over_lately(current_user.school_id))) if shown else []
    return render_template("mediation/_alerts.html", alerts=found, taken=taken, answer=ConfirmForm(),
                           today_iso=today().isoformat(), error=error)


@bp.route("/mediation/alerts/stream")
@staff_required()
def alerts_stream():
    """Server-Sent Events telling the panel to refresh when an alert is raised or changes."""
    if not receives_alerts(current_user, today()):
        abort(403)
    subscription = broker().subscribe(alerts_channel(current_user.school_id))
    db.session.remove()
    return sse_response(event_stream(subscription, initial=()))


@bp.route("/mediation/alerts/<int:alert_id>/answer", methods=["POST"])
@staff_required()
def answer(alert_id: int):
    """"I'm on my way": only staff the alert goes to (those whose panel shows it) may answer it - anyone
    else's answer would tell the mediators and the staff on duty that help is coming when it is not."""
    alert = get_scoped_or_404(MediationAlert, alert_id)
    if not receives_alerts(current_user, today()):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    htmx_request = request.headers.get("HX-Request") == "true"
    try:
        answer_alert(alert, current_user)
    except MediationError as exc:
        if htmx_request:  # said in the panel it was sent from, not left to turn up on a later page
            return alerts(str(exc))
        flash(str(exc))
    else:
        db.session.commit()
        broker().publish(alerts_channel(alert.school_id), Message("alert", str(alert.mediation_id)))
    if htmx_request:
        return alerts()
    return redirect(url_for("mediation.duty"))


add_home_panel("mediation/_home_alerts.html", shows=lambda staff: receives_alerts(staff, today()),
               head="mediation/_head.html")

