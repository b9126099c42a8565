"""The mediators' side: sign-in on a shared tablet and the mediation, step by step."""
import re
from typing import Callable

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from rrp_pwa.agreements.rules import weeks_until
from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.auth.permissions import public
from rrp_pwa.auth.signin import minutes_text
from rrp_pwa.errors import render_error
from rrp_pwa.extensions import db
from rrp_pwa.forms import choices
from rrp_pwa.mediation import bp, flow
from rrp_pwa.mediation.accounts import (
    MediatorLimits,
    MediatorRefused,
    MediatorThrottled,
    read_badge,
    sign_in_with_badge,
    sign_in_with_pin,
)
from rrp_pwa.mediation.alerts import (
    WHILE_YOU_WAIT,
    alerts_channel,
    ask_for_adult,
    carry_on,
    pass_to_staff,
    tell_about_worry,
)
from rrp_pwa.mediation.flow import BACK_LABELS, GROUND_RULES, STEP_TITLES, MediationError, StaleMediation
from rrp_pwa.mediation.forms import (
    AgreementStepForm,
    BadgeSignInForm,
    FindPupilForm,
    IdeasForm,
    MediatorSignInForm,
    PartyForm,
    StartForm,
    VersionedForm,
    WorryForm,
    agreement_field,
    by_party,
    draft_agreement_field,
    feeling_field,
    party_form,
    story_field,
)
from rrp_pwa.mediation.team import (
    carried_fields,
    current_team,
    end_team_session,
    mediator_required,
    mediator_unauthorized,
    sign_in_mediator,
    sign_out_after_help,
    typed_step,
)
from rrp_pwa.models import Pupil, School
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.realtime import Message, broker
from rrp_pwa.roster.directory import search_pupils
from rrp_pwa.safeguarding.concerns import concern_sent
from rrp_pwa.sessions import forget_previous_request, page_path
from rrp_pwa.tenancy import get_scoped_or_404


def limits() -> MediatorLimits:
    cfg = current_app.config
    return MediatorLimits(cfg["MEDIATOR_ACCOUNT_LIMIT"], cfg["MEDIATOR_IP_LIMIT"], cfg["MEDIATOR_WINDOW_SECONDS"])


def throttled_message(exc: MediatorThrottled) -> str:
    who = "for this username" if exc.scope == "mediator" else "on this network"
    return f"Too many tries {who}. Wait {minutes_text(exc.minutes)}, or ask your mediation lead to help."


@bp.route("/sign-in/mediator", methods=["GET", "POST"])
@public
def sign_in():
    form, status = MediatorSignInForm(), 200
    target = request.args.get("next")
    carried = carried_fields(request.form) if typed_step(target) else []
    if form.validate_on_submit():
        try:
            account = sign_in_with_pin(form.username.data, form.pin.data, request.remote_addr or "?",
                                       current_app.extensions["rrp_throttle"], limits())
        except MediatorThrottled as exc:
            form.form_errors.append(throttled_message(exc))
            status = 429
        except MediatorRefused:
            form.form_errors.append("That username and PIN don't match. Check them and try again.")
            status = 401
        else:
            sign_in_mediator(account)
            if carried:
                return show_typed_again(*typed_step(target))
            return redirect(mediator_next(target))
    # signed in already (here to add a partner): the page says who, with a way back to their screen
    team = None if carried else current_team()
    return render_template("mediation/sign_in.html", form=form, carried=carried, next_path=target,
                           team=team), status


def mediator_next(target: str | None) -> str:
    """Back to the mediation a timed-out mediator was in (the screen it is on now), else their start screen."""
    found = re.fullmatch(r"/mediate(/[0-9]+)?(/[a-z0-9/-]*)?", target or "")
    if found:
        return "/mediate" + (found[1] or "")
    return url_for("mediation.team_home")


def show_typed_again(mediation_id: int, step: str):
    """After signing in again: the step's screen with what was typed before the idle timeout back in
    its form (not yet saved: the mediators check it and tap again), if the mediators signed in now
    may carry on with that mediation and it is still at that step; else the mediation as it is now,
    or (someone else's mediation) the start screen."""
    forget_previous_request()  # the CSRF token cached for the sign-in form belongs to the session just ended
    g.team = current_team()
    mediation = db.session.scalar(flow.mediations_run_by(g.team.school_id, g.team.pupil_ids)
                                  .where(Mediation.id == mediation_id))
    if mediation is None:
        return redirect(url_for("mediation.team_home"))
    if mediation.step != step or mediation.paused_at is not None:
        return redirect(url_for("mediation.run", mediation_id=mediation.id))
    flash("Welcome back! What you typed is still here. Check it, then tap the button again to save it.")
    return render_step(mediation, form=step_form(mediation))


@bp.route("/sign-in/mediator/badge/<token>", methods=["GET", "POST"])
@public
def badge_sign_in(token: str):
    account, form, status = read_badge(token, current_app.secret_key), BadgeSignInForm(), 200
    if form.validate_on_submit():
        try:
            account = sign_in_with_badge(token, current_app.secret_key, request.remote_addr or "?",
                                         current_app.extensions["rrp_throttle"], limits())
        except MediatorThrottled as exc:
            form.form_errors.append(throttled_message(exc))
            status = 429
        except MediatorRefused:
            account, status = None, 403
        else:
            sign_in_mediator(account)
            return redirect(url_for("mediation.team_home"))
    if account is None:
        status = 403 if status == 200 else status
    return render_template("mediation/badge_sign_in.html", form=form, account=account), status


@bp.errorhandler(CSRFError)
def form_from_an_ended_session(error: CSRFError):
    """A mediators' form sent once their session has ended gets the mediator sign-in (carrying what a
    step's form had typed), as when the session times out on that very tap - not "Bad request". The
    session may end on an earlier, unseen request: the paused screen's "who is coming" check, the first
    thing a tablet woken from sleep sends, ends an idle session and takes the form's CSRF token with it."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "access", None) == ("mediator",) and current_team() is None:
        return mediator_unauthorized()
    return render_error(error)


SIGN_OUT = Question("Sign out of peer mediation?", "", "Sign out", "No, go back")
NO_AGREEMENT = Question("End the mediation without an agreement?", "What is written for the agreements will not be "
                        "kept. We will tell the adults on duty, and an adult will come and take over.",
                        "We can't agree - an adult will take over",
                        "No, go back to the mediation")
ADULT_TAKES_OVER = Question("End the mediation?", "The adult will take it from here.", "The adult is taking over - "
                            "end the mediation", "No, go back to the mediation")
for name, question in (("sign_out_of_mediation", SIGN_OUT), ("no_agreement_question", NO_AGREEMENT),
                       ("adult_takes_over_question", ADULT_TAKES_OVER)):
    bp.add_app_template_global(question, name)


def ask_mediators(question: Question, back: str):
    """The page asking ``question`` on the mediators' tablet, under its own top bar."""
    return ask(question, back, layout="mediation/_kid.html", team=g.team)


@bp.route("/mediate/sign-out", methods=["POST"])
@public
def sign_out():
    """The mediators sign out of the tablet (asked first, when signed in)."""
    g.team = current_team()
    if g.team is not None and not was_asked():
        # back to the screen it was tapped on (the top bar's, on every mediators' screen)
        return ask_mediators(SIGN_OUT, page_path(request.referrer) or url_for("mediation.team_home"))
    end_team_session()
    flash("You have signed out. Thank you for mediating!")
    return redirect(url_for("mediation.sign_in"))


@bp.route("/mediate")
@mediator_required
def team_home():
    mine = db.session.scalars(flow.mediations_run_by(g.team.school_id, g.team.pupil_ids).limit(20))
    return render_template("mediation/team_home.html", team=g.team, start=StartForm(), mediations=list(mine))


@bp.route("/mediate/start", methods=["POST"])
@mediator_required
def start():
    form = StartForm()
    if not form.validate_on_submit():
        mine = db.session.scalars(flow.mediations_run_by(g.team.school_id, g.team.pupil_ids).limit(20))
        return render_template("mediation/team_home.html", team=g.team, start=form, mediations=list(mine)), 422
    mediation = flow.start_mediation(g.team.school_id, g.team.pupils, form.place.data)
    db.session.add(mediation)
    db.session.commit()
    return redirect(url_for("mediation.run", mediation_id=mediation.id))


def team_mediation(mediation_id: int) -> Mediation:
    """A mediation led by a mediator signed in here; anyone else's is indistinguishable from none."""
    found = db.session.scalar(flow.mediations_run_by(g.team.school_id, g.team.pupil_ids)
                              .where(Mediation.id == mediation_id))
    if found is None:
        abort(404)
    return found


def step_form(mediation: Mediation, drafting: bool = False):
    """The form of the current step, pre-filled with what is already recorded. ``drafting`` (leaving the
    agreement step with its Back button): an agreement not yet written is no error."""
    parties = mediation.parties
    if mediation.step == "stories":
        return party_form(story_field, "Key words from {name}'s story", parties,
                          {p.id: p.story_words for p in parties})
    if mediation.step == "feelings":
        return party_form(feeling_field, "How does {name} feel?", parties, {p.id: p.feeling for p in parties})
    if mediation.step == "agreement":
        drafted = next((p.agreement for p in parties if p.agreement is not None), None)
        weeks = weeks_until(drafted.review_on if drafted else None, db.session.get(School, mediation.school_id).today())
        return party_form(draft_agreement_field if drafting else agreement_field, "What will {name} do?", parties,
                          {p.id: p.agreement.what if p.agreement else None for p in parties},
                          base=AgreementStepForm, review_weeks=weeks)
    if mediation.step == "ideas":
        return IdeasForm(data={"ideas": mediation.ideas})
    return VersionedForm()


def render_step(mediation: Mediation, form=None, error: str | None = None, status: int = 200, query: str = "",
                worry: WorryForm | None = None):
    """The mediation screen as it is now: the current step, the paused screen, or the summary."""
    form = form or step_form(mediation)
    form.version.data = mediation.version
    results = found_pupils(mediation, query) if mediation.step == "people" and query else []
    worry = worry or (worry_form(mediation) if mediation.paused_at else None)
    return render_template("mediation/run.html", mediation=mediation, form=form, error=error, team=g.team,
                           step_title=STEP_TITLES[mediation.step], back_label=BACK_LABELS.get(mediation.step),
                           rules=GROUND_RULES,
                           while_you_wait=WHILE_YOU_WAIT, results=results, query=query, worry=worry,
                           missing=flow.missing_for_step(mediation)), status


def found_pupils(mediation: Mediation, query: str) -> list[Pupil]:
    """Pupils of the school whose first name starts with what was typed (then, optionally, the
    initial), other than the people already in this mediation: mediators pick by first name."""
    taken = {m.pupil_id for m in mediation.mediators} | {p.pupil_id for p in mediation.parties}
    first = query.split()[0].lower()
    return [p for p in search_pupils(flow.mediation_pupils(mediation.school_id), query, limit=24)
            if p.id not in taken and p.first_name.lower().startswith(first)][:12]


def worry_form(mediation: Mediation) -> WorryForm:
    form = WorryForm()
    form.about.choices = choices([("", "Nobody in particular")]
                                 + [(str(p.pupil_id), p.name) for p in mediation.parties])
    return form


@bp.route("/mediate/<int:mediation_id>")
@mediator_required
def run(mediation_id: int):
    mediation = team_mediation(mediation_id)
    find = FindPupilForm(request.args)
    query = (find.q.data or "").strip() if find.validate() else ""
    return render_step(mediation, query=query)


@bp.route("/mediate/<int:mediation_id>/pupils")
@mediator_required
def pupils(mediation_id: int):
    """The pupil picker's results (first name and initial only), for the search box."""
    mediation = team_mediation(mediation_id)
    find = FindPupilForm(request.args)
    query = (find.q.data or "").strip() if find.validate() else ""
    form = VersionedForm()
    form.version.data = mediation.version
    return render_template("mediation/_pupil_choices.html", mediation=mediation, query=query, form=form,
                           results=found_pupils(mediation, query) if query else [])


ENDED = {
    "agreed": "Well done! The mediation is finished and you have been signed out. "
              "Please give the tablet back to your mediation lead.",
    "no_agreement": "Thank you for trying to sort it out. There is no agreement this time: we have told the adults "
                    "on duty, and an adult will come and take over. Please stay here until they come. "
                    "You have been signed out.",
    "adult_took_over": "Thank you for mediating. The adult is taking over from here, and you have been signed out. "
                       "Please give the tablet back to your mediation lead.",
}  # what the mediators are told as the mediation ends, by how it ended


def act(mediation_id: int, change: Callable[[Mediation, int], object], form=None, *, publish: bool = False,
        anchor: Callable[[Mediation], str | None] | str | None = None):
    """Apply one change to the team's mediation from a versioned form, then show the latest screen - at
    ``anchor`` (the section or box the next tap is in, which takes the focus: static/js/app.js), if given.

    A stale form gets 409 and the current screen; a broken rule gets 422 with its message.
    """
    mediation = team_mediation(mediation_id)
    form = form or VersionedForm()
    if not form.validate_on_submit():
        return render_step(mediation, error="That screen had expired. Please try again.", status=422)
    try:
        change(mediation, form.version.data)
    except StaleMediation as exc:
        db.session.rollback()
        return render_step(mediation, error=str(exc), status=409)
    except MediationError as exc:
        db.session.rollback()
        return render_step(mediation, error=str(exc), status=422)
    db.session.commit()
    if publish:
        broker().publish(alerts_channel(mediation.school_id), Message("alert", str(mediation.id)))
    if mediation.is_complete:
        end_team_session()
        flash(ENDED[mediation.outcome])
        return redirect(url_for("mediation.sign_in"))
    place = anchor(mediation) if callable(anchor) else anchor
    return redirect(url_for("mediation.run", mediation_id=mediation.id, _anchor=place))


@bp.route("/mediate/<int:mediation_id>/people", methods=["POST"])
@mediator_required
def add_party(mediation_id: int):
    form = PartyForm()
    pupil_id = form.pupil_id.data if form.validate_on_submit() else None
    return act(mediation_id, lambda m, v: flow.add_party(
        m, get_scoped_or_404(Pupil, pupil_id or 0, m.school_id), v), form, anchor=after_choosing)


def after_choosing(mediation: Mediation) -> str:
    """Where "Who is here?" comes back after a person is chosen or removed: in the search box while someone
    is still to be found, else at the two people chosen (then "Next")."""
    return "q" if len(mediation.parties) < 2 else "chosen"


@bp.route("/mediate/<int:mediation_id>/people/<int:party_id>/remove", methods=["POST"])
@mediator_required
def remove_party(mediation_id: int, party_id: int):
    return act(mediation_id, lambda m, v: flow.remove_party(m, party_id, v), anchor=after_choosing)


@bp.route("/mediate/<int:mediation_id>/rules/<int:party_id>", methods=["POST"])
@mediator_required
def agree_rules(mediation_id: int, party_id: int):
    return act(mediation_id, lambda m, v: flow.agree_rules(m, party_id, v), anchor="rules-taps")


def save_step(mediation_id: int, step: str, save: Callable[[Mediation, object, int], None],
              then_next: bool = True):
    """The stories, feelings, ideas and agreement screens: save the step's form and (except for
    agreements, which are then tapped) move on - or, when the form was sent with its Back button,
    go back a step, so what was typed here is kept either way. Typed text is kept when something
    is wrong; a form from another step's screen is stale."""
    mediation = team_mediation(mediation_id)
    if mediation.step != step:
        return render_step(mediation, error=str(StaleMediation()), status=409)
    going_back = request.form.get("go") == "back"
    form = step_form(mediation, drafting=going_back)
    if not form.validate_on_submit():
        return render_step(mediation, form=form, error="Please check what you typed.", status=422)
    try:
        save(mediation, form, form.version.data)
        if going_back:
            flow.previous_step(mediation)
        elif then_next:
            flow.next_step(mediation)
    except StaleMediation as exc:
        db.session.rollback()
        return render_step(mediation, error=str(exc), status=409)
    except MediationError as exc:
        db.session.rollback()
        return render_step(mediation, form=form, error=str(exc), status=422)
    db.session.commit()
    return redirect(url_for("mediation.run", mediation_id=mediation_id))


@bp.route("/mediate/<int:mediation_id>/stories", methods=["POST"])
@mediator_required
def stories(mediation_id: int):
    return save_step(mediation_id, "stories",
                     lambda m, form, v: flow.note_stories(m, by_party(form, m.parties), v))


@bp.route("/mediate/<int:mediation_id>/feelings", methods=["POST"])
@mediator_required
def feelings(mediation_id: int):
    return save_step(mediation_id, "feelings",
                     lambda m, form, v: flow.record_feelings(m, by_party(form, m.parties), v))


@bp.route("/mediate/<int:mediation_id>/ideas", methods=["POST"])
@mediator_required
def ideas(mediation_id: int):
    return save_step(mediation_id, "ideas", lambda m, form, v: flow.note_ideas(m, form.ideas.data, v))


@bp.route("/mediate/<int:mediation_id>/agreements", methods=["POST"])
@mediator_required
def agreements(mediation_id: int):
    return save_step(mediation_id, "agreement",
                     lambda m, form, v: flow.write_agreements(m, by_party(form, m.parties), v,
                                                              review_weeks=form.review_weeks.data,
                                                              draft=request.form.get("go") == "back"),
                     then_next=False)


@bp.route("/mediate/<int:mediation_id>/agree/<int:party_id>", methods=["POST"])
@mediator_required
def agree(mediation_id: int, party_id: int):
    """A person taps "I agree" to their agreement as saved (read out from its card). If the words typed
    for it on the screen (sent along by static/js/mediation.js) say something else, the tap is refused
    and those words are kept on the screen, to save and read out first."""
    mediation = team_mediation(mediation_id)
    changed = flow.changed_on_screen(mediation, party_id, request.form.get(f"p{party_id}"))
    if changed:
        return render_step(mediation, form=step_form(mediation), status=422, error=changed)
    return act(mediation_id, lambda m, v: flow.party_agrees(m, party_id, v), anchor="agree-taps")


@bp.route("/mediate/<int:mediation_id>/next", methods=["POST"])
@mediator_required
def next_step(mediation_id: int):
    """Move on a step; from the agreement step, "Finish the mediation". Words typed for an agreement on the
    screen but not saved (sent along by static/js/mediation.js) stop it, and stay on the screen, as they
    do for "I agree"."""
    mediation = team_mediation(mediation_id)
    changed = flow.agreements_changed_on_screen(mediation, request.form.to_dict())
    if changed:
        return render_step(mediation, form=step_form(mediation), status=422, error=changed)
    return act(mediation_id, flow.next_step)


@bp.route("/mediate/<int:mediation_id>/back", methods=["POST"])
@mediator_required
def previous_step(mediation_id: int):
    return act(mediation_id, flow.previous_step)


@bp.route("/mediate/<int:mediation_id>/no-agreement", methods=["POST"])
@mediator_required
def no_agreement(mediation_id: int):
    """The parties can't agree: the mediation ends and the staff on duty are alerted, as by "Get an adult", to
    come and take over (asked first)."""
    if not team_mediation(mediation_id).is_complete and not was_asked():
        return ask_mediators(NO_AGREEMENT, url_for("mediation.run", mediation_id=mediation_id))
    return act(mediation_id, lambda m, v: pass_to_staff(m, g.team.pupils[0], v), publish=True)


@bp.route("/mediate/<int:mediation_id>/adult", methods=["POST"])
@mediator_required(asking_for_help=True)
def get_an_adult(mediation_id: int):
    """Pause and alert the adults, keeping what the step's screen had typed (static/js/mediation.js sends
    it along) - even from a tablet gone idle: help comes first, then the mediators sign in again."""
    typed = request.form.to_dict()
    response = make_response(act(mediation_id, lambda m, v: ask_for_adult(m, g.team.pupils[0], typed, v),
                                 publish=True))
    if sign_out_after_help(g.team):  # help or not, an idle session ends here: it shows nothing of the mediation
        if response.status_code == 302:
            flash("We have told the adults on duty. Stay where you are. You were signed out because the "
                  "tablet was not used for a while: sign in again to carry on.")
        else:
            flash("The adults have not been told: the screen was out of date. Sign in again, then tap "
                  "Get an adult.", "error")
        return redirect(url_for("mediation.sign_in", next=url_for("mediation.run", mediation_id=mediation_id)))
    return response


@bp.route("/mediate/<int:mediation_id>/carry-on", methods=["POST"])
@mediator_required
def carry_on_now(mediation_id: int):
    return act(mediation_id, carry_on, publish=True)


@bp.route("/mediate/<int:mediation_id>/adult-took-over", methods=["POST"])
@mediator_required
def adult_took_over(mediation_id: int):
    """The adult who came takes over and the mediation ends (asked first)."""
    if not team_mediation(mediation_id).is_complete and not was_asked():
        return ask_mediators(ADULT_TAKES_OVER, url_for("mediation.run", mediation_id=mediation_id))
    return act(mediation_id, flow.adult_takes_over, publish=True)


@bp.route("/mediate/<int:mediation_id>/worry", methods=["POST"])
@mediator_required
def worry(mediation_id: int):
    mediation = team_mediation(mediation_id)
    form = worry_form(mediation)
    if not form.validate_on_submit():
        return render_step(mediation, error="Please check what you wrote about the worry.", status=422, worry=form)
    about = db.session.get(Pupil, int(form.about.data)) if form.about.data else None
    try:
        tell_about_worry(mediation, g.team.pupils[0], form.note.data, about, form.client_uuid.data)
    except MediationError as exc:
        return render_step(mediation, error=str(exc), status=422, worry=form)
    flash(concern_sent(mediation.school_id, "Thank you. Your worry has gone to the safeguarding lead. "
                                            "You did the right thing.", by_pupil=True))
    return redirect(url_for("mediation.run", mediation_id=mediation.id))


@bp.route("/mediate/<int:mediation_id>/status")
@mediator_required
def status(mediation_id: int):
    """The paused screen's "who is coming" line, polled every few seconds."""
    mediation = team_mediation(mediation_id)
    return render_template("mediation/_waiting.html", mediation=mediation)
