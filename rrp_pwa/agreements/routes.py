"""Reviews due, an agreement with its follow-up reviews, and the next step when one is not kept."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from rrp_pwa.agreements import bp
from rrp_pwa.agreements.forms import MoveReviewForm, ReviewForm
from rrp_pwa.agreements.rules import (
    AgreementError,
    NotWaitingForReview,
    StaleReview,
    change_review_date,
    follow_ups_needed,
    is_draft,
    needs_follow_up,
    pupils_involved,
    record_follow_up,
    review_agreement,
    reviews_due,
    with_people,
)
from rrp_pwa.asking import Question
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.extensions import db
from rrp_pwa.follow_ups import followed_from_request, followed_up_another_way
from rrp_pwa.forms import ConfirmForm, show_problems
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.models.agreements import OUTCOME_LABELS, Agreement
from rrp_pwa.models.circles import Circle
from rrp_pwa.models.conversations import CONVERSATION_KINDS, Conversation
from rrp_pwa.records.access import may_read, may_read_agreement, readable_agreements
from rrp_pwa.roster.directory import sees_whole_school
from rrp_pwa.tenancy import get_scoped_or_404, lock_scoped_or_404

ANY_STAFF = ("admin", "teacher", "support", "pastoral", "dsl")
CIRCLE_START_ENDPOINTS = ("circles.new", "circles.start", "circles.create")

for _role in ("teacher", "pastoral", "dsl", "admin"):
    add_tiles(_role, Tile("Reviews due", "Agreements to follow up: kept, partly kept or not kept?",
                          "agreements.due"))


def readable_agreement_or_404(agreement_id: int, for_change: bool = False) -> Agreement:
    """An agreement this person may read; ``for_change``: held until the change commits (a second
    reviewer or the retention purge at the same moment is waited for, then seen)."""
    agreement = (lock_scoped_or_404 if for_change else get_scoped_or_404)(Agreement, agreement_id)
    if is_draft(agreement) or not may_read_agreement(current_user, agreement):
        abort(404)
    return agreement


def agreement_to_follow_up() -> Agreement | None:
    """The "not kept" agreement a conversation, conference or circle being started follows up (the request's
    ``follows``), if this person may read it; starting it records the follow-up (``record_follow_up``)."""
    return followed_from_request(Agreement, "follows", lambda agreement: agreement.status == "not_kept"
                                 and may_read_agreement(current_user, agreement))


def next_steps(agreement: Agreement) -> list[dict]:
    """After "not kept": a conversation, a conference and (if circles offers one) a restorative circle, with
    the same pupils (the circle for the class they share, if any) who are still at the school; none if they
    have all left. Each started from here records that the agreement was followed up."""
    current = [p for p in pupils_involved(agreement) if not p.archived]  # one who has left can't be chosen
    if not current:  # everyone has left: nobody to hold a conversation with
        return []
    ids = [p.id for p in current]
    steps = [{"label": "Start a restorative conversation",
              "url": url_for("conversations.start", pupil_id=ids, follows=agreement.id)},
             {"label": "Hold a conference",
              "url": url_for("conversations.start", pupil_id=ids, kind="conference", follows=agreement.id)}]
    endpoint = next((e for e in CIRCLE_START_ENDPOINTS if e in current_app.view_functions), None)
    if endpoint:
        groups = [set(g.id for g in p.groups) for p in current]
        shared = sorted(set.intersection(*groups)) if groups else []
        steps.append({"label": "Hold a circle", "url": url_for(endpoint, pupil_id=ids, kind="restorative",
                                                               group_id=shared[0] if shared else None,
                                                               follows=agreement.id)})
    return steps


MADE_IN = {"circle": "A circle", "chat": "A quick chat", "mediation": "A peer mediation"}


def made_in(agreement: Agreement) -> dict:
    """Where an agreement was made, to read what led to it: a conversation or conference links to its record
    when this person may open it (``may_read``); a circle, chat or mediation is named with its day."""
    if agreement.source_kind in CONVERSATION_KINDS and agreement.source_id:
        talk = db.session.get(Conversation, agreement.source_id)
        if talk is not None and talk.school_id == agreement.school_id:
            readable = may_read(current_user, talk.school_id, talk.pupils, talk.staff_id)
            return {"label": talk.kind_label, "at": talk.happened_at,
                    "url": url_for("conversations.conversation", conversation_id=talk.id) if readable else None}
    return {"label": MADE_IN.get(agreement.source_kind, "A restorative conversation"), "at": agreement.created_at,
            "url": None}


def render_agreement(agreement: Agreement, form: ReviewForm, status: int = 200, move: MoveReviewForm | None = None):
    form.set_defaults(current_user.school.today())
    form.seen_reviews.data, form.seen_reviews.raw_data = len(agreement.reviews), None  # the reviews this page shows
    talk_ids = {r.follow_up_conversation_id for r in agreement.reviews if r.follow_up_conversation_id}
    follow_ups = ({c.id: c for c in db.session.scalars(select(Conversation).where(
        Conversation.id.in_(talk_ids), Conversation.school_id == agreement.school_id))} if talk_ids else {})
    circle_ids = {r.follow_up_circle_id for r in agreement.reviews if r.follow_up_circle_id}
    circles = ({c.id: c for c in db.session.scalars(select(Circle).where(
        Circle.id.in_(circle_ids), Circle.school_id == agreement.school_id))} if circle_ids else {})
    follow_up = needs_follow_up(agreement)
    return render_template("agreements/agreement.html", agreement=agreement, form=form, follow_up=follow_up,
                           steps=next_steps(agreement) if follow_up else [], follow_ups=follow_ups,
                           left=[p for p in pupils_involved(agreement) if p.archived], made_in=made_in(agreement),
                           circles=circles, may_see_circles=sees_whole_school(current_user),
                           confirm=ConfirmForm(), outcome_labels=OUTCOME_LABELS,
                           move=move or MoveReviewForm(formdata=None, review_on=agreement.review_on)), status


def readable(query) -> list[Agreement]:
    return readable_agreements(current_user, db.session.scalars(with_people(query)))


@bp.route("/agreements/due")
@staff_required(*ANY_STAFF)
def due():
    today = current_user.school.today()
    return render_template("agreements/due.html", today=today,
                           agreements=readable(reviews_due(current_user.school_id, today)),
                           follow_ups=readable(follow_ups_needed(current_user.school_id)))


@bp.route("/agreements/<int:agreement_id>")
@staff_required(*ANY_STAFF)
def agreement(agreement_id: int):
    return render_agreement(readable_agreement_or_404(agreement_id), ReviewForm(formdata=None))


@bp.route("/agreements/<int:agreement_id>/review", methods=["POST"])
@staff_required(*ANY_STAFF)
def review(agreement_id: int):
    agreement = readable_agreement_or_404(agreement_id, for_change=True)
    form = ReviewForm()
    if not form.validate_on_submit():
        return render_agreement(agreement, form, 400)
    try:
        done = review_agreement(agreement, form.outcome.data, form.note.data, current_user,
                                seen_reviews=form.seen_reviews.data, review_again_on=form.review_again_on.data)
    except StaleReview as exc:  # what this person chose and wrote stays, to save once they have read the other
        form.form_errors.append(f"{exc} Your review is still below: save it if it still stands.")
        return render_agreement(agreement, form, 409)
    except AgreementError as exc:
        show_problems(form, exc.problems)  # a day to review it again beside its field
        return render_agreement(agreement, form, 400)
    db.session.commit()
    again = f" It comes up for review again on {agreement.review_on:%-d %b}." if done.outcome == "partly_kept" else ""
    flash(f"Review saved: {OUTCOME_LABELS[done.outcome].lower()}.{again}")
    return redirect(url_for("agreements.agreement", agreement_id=agreement.id))


@bp.route("/agreements/<int:agreement_id>/review-on", methods=["POST"])
@staff_required(*ANY_STAFF)
def move_review(agreement_id: int):
    """Move the day an agreement still waiting for its review comes up (by the rule it was made by)."""
    agreement = readable_agreement_or_404(agreement_id, for_change=True)
    move = MoveReviewForm()
    if move.validate_on_submit():
        try:
            change_review_date(agreement, move.review_on.data, current_user)
        except NotWaitingForReview as exc:  # reviewed meanwhile (a page left open): show it as it is now
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("agreements.agreement", agreement_id=agreement.id))
        except AgreementError as exc:
            move.review_on.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"The review is now on {agreement.review_on:%A %-d %B}.")
            return redirect(url_for("agreements.agreement", agreement_id=agreement.id))
    db.session.rollback()
    return render_agreement(agreement, ReviewForm(formdata=None), 400, move=move)


FOLLOWED_UP = Question("Record that this agreement has been followed up?", "It leaves the follow-up list, and this "
                       "can't be undone.", "It has been followed up", "No, go back to the agreement")
bp.add_app_template_global(FOLLOWED_UP, "followed_up_question")


@bp.route("/agreements/<int:agreement_id>/followed-up", methods=["POST"])
@staff_required(*ANY_STAFF)
def followed_up(agreement_id: int):
    """Record that a "not kept" agreement was followed up another way (a circle, a call home)."""
    agreement = readable_agreement_or_404(agreement_id, for_change=True)
    return followed_up_another_way(FOLLOWED_UP, needs_follow_up(agreement),
                                   lambda: record_follow_up(agreement, current_user), AgreementError,
                                   "Recorded: the agreement has been followed up.",
                                   url_for("agreements.agreement", agreement_id=agreement.id))
