"""Retention: what ``flask purge-records`` deletes per record kind, what it keeps (anything open or in use,
safeguarding concerns), that nothing left points at a deleted row, and that it keeps to one school."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from rrp_pwa.agreements.rules import make_agreement, record_follow_up, review_agreement
from rrp_pwa.audit import audit
from rrp_pwa.checkins.rules import record_checkin
from rrp_pwa.config import retention_days
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.mediation.review import record_follow_up as follow_up_mediation
from rrp_pwa.models import Agreement, AgreementParty, AgreementReview, CheckIn, CheckInFollowUp, Concern
from rrp_pwa.models.audit import AuditEvent
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleEvent, CircleRound, Seat
from rrp_pwa.models.conversations import Answer, Conversation, Participant, QuickChat, QuickChatPupil
from rrp_pwa.models.mediation import Mediation, MediationAlert, MediationMediator, MediationParty
from rrp_pwa.models.sync import FeedEvent, SyncReceipt, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from rrp_pwa.retention import CHUNK, plan_purge, purge
from rrp_pwa.safeguarding.concerns import raise_concern
from tests.conftest import make_pupil, make_school, make_staff

DEFAULTS = retention_days({})  # circle names 30 days, check-ins, circles and chats 365, records 730
DAYS = {**DEFAULTS, "checkins": 30}  # the rules for check-ins tried with a short period


def days_ago(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def run_purge(school, days=DAYS):
    plan = plan_purge(school, days)
    purge(plan, make_staff(school, ("admin",), name="Ada Admin"))
    db.session.commit()
    return plan


@pytest.fixture
def school(app):
    return make_school()


@pytest.fixture
def people(school):
    staff = make_staff(school, ("pastoral",), name="Pat Pastoral")
    return staff, make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")


def old_checkin(school, pupil, age: int, **kw) -> CheckIn:
    checkin = record_checkin(school.id, "faces", kw.pop("value", 4), kw.pop("source", "staff"), pupil=pupil, **kw)
    db.session.flush()
    checkin.created_at = days_ago(age)
    return checkin


def closed_circle(school, keeper, pupil, closed_days_ago: int, status: str = "closed") -> Circle:
    """A circle with the keeper's seat and a pupil's, a round, turn history and a check-in in that round."""
    circle = Circle(school_id=school.id, keeper_id=keeper.id, status=status, join_expires_at=days_ago(closed_days_ago),
                    created_at=days_ago(closed_days_ago), version=3,
                    closed_at=days_ago(closed_days_ago) if status == "closed" else None,
                    summary=json.dumps({"participants": [pupil.short_name], "rounds": [], "agreements": []}))
    db.session.add(circle)
    db.session.flush()
    seats = [Seat(circle_id=circle.id, name="Keeper", is_keeper=True, status="admitted", position=0),
             Seat(circle_id=circle.id, pupil_id=pupil.id, name=pupil.short_name, status="admitted", position=1)]
    db.session.add_all(seats)
    db.session.flush()
    circle.holder_seat_id = seats[1].id
    db.session.add(CircleRound(circle_id=circle.id, number=1, kind="checkin", prompt="How are you today?"))
    db.session.add_all([CircleEvent(circle_id=circle.id, version=v, kind="pass", seat_id=seats[1].id, round_no=1)
                        for v in (1, 2)])
    checkin = old_checkin(school, pupil, closed_days_ago, source="circle", source_id=circle.id)
    db.session.add(CircleCheckIn(circle_id=circle.id, seat_id=seats[1].id, round_no=1, checkin_id=checkin.id))
    db.session.flush()
    return circle


def finished_agreement(school, staff, pupil, source_kind: str, source_id, age: int, outcome: str = "kept") -> Agreement:
    agreement = make_agreement(school.id, source_kind, source_id, "Play fairly at football", pupils=[pupil],
                               created_by=staff)
    db.session.add(agreement)
    db.session.flush()
    review_agreement(agreement, outcome, "Went well", staff)
    db.session.flush()
    agreement.created_at = agreement.reviews[0].reviewed_at = days_ago(age)
    return agreement


def conversation(school, staff, pupil, completed_days_ago: int | None, kind="conversation", **kw) -> Conversation:
    record = Conversation(school_id=school.id, kind=kind, staff_id=staff.id, summary="Falling out at lunch",
                          happened_at=days_ago(completed_days_ago or 1),
                          completed_at=days_ago(completed_days_ago) if completed_days_ago else None, **kw)
    record.participants = [Participant(pupil_id=pupil.id, role="harmed",
                                       answers=[Answer(position=0, question="What happened?", answer="He pushed me")])]
    db.session.add(record)
    db.session.flush()
    return record


def mediation(school, mediator, party, completed_days_ago: int | None) -> Mediation:
    record = Mediation(school_id=school.id, step="done" if completed_days_ago else "stories",
                       started_at=days_ago(completed_days_ago or 1), outcome="no_agreement" if completed_days_ago else None,
                       completed_at=days_ago(completed_days_ago) if completed_days_ago else None)
    record.mediators = [MediationMediator(pupil_id=mediator.id)]
    record.parties = [MediationParty(pupil_id=party.id, story_words="took my ball")]
    db.session.add(record)
    db.session.flush()
    return record


def test_checkins_go_after_their_period_unless_a_follow_up_is_still_to_do(school, people):
    staff, amira, ben = people
    old, recent = old_checkin(school, amira, 31), old_checkin(school, amira, 29)
    waiting = old_checkin(school, ben, 60, value=1, follow_up_staff=staff)
    done = old_checkin(school, ben, 60, value=1, follow_up_staff=staff)
    db.session.flush()
    db.session.scalar(select(CheckInFollowUp).where(CheckInFollowUp.checkin_id == done.id)).done_at = days_ago(59)
    db.session.add(SyncReceipt(school_id=school.id, client_uuid="8d0f8f56-3b43-4c43-9d55-1d4b1d1f4e11",
                               kind="checkin", record_id=old.id, staff_id=staff.id))
    db.session.commit()
    ids = old.id, recent.id, waiting.id, done.id

    plan = run_purge(school)

    assert plan.counts()["checkins"] == 2
    assert set(db.session.scalars(select(CheckIn.id))) == {ids[1], ids[2]}
    assert set(db.session.scalars(select(CheckInFollowUp.checkin_id))) == {ids[2]}
    assert count(SyncReceipt) == 0
    assert count(FeedEvent, FeedEvent.record_type == "check_in", FeedEvent.record_id.in_((ids[0], ids[3]))) == 0
    assert count(FeedEvent, FeedEvent.record_type == "check_in", FeedEvent.record_id == ids[1]) == 1


def test_the_day_counts_where_the_school_is(school, people):
    """Kept 30 days: a check-in made 30 school days ago (early that morning) is kept, one made the day
    before is not, whatever the hour the purge runs."""
    _, amira, _ = people
    today = school.today()
    on_the_day = old_checkin(school, amira, 0)
    on_the_day.created_at = school.day_bounds(today - timedelta(days=30))[0] + timedelta(minutes=1)
    day_before = old_checkin(school, amira, 0)
    day_before.created_at = school.day_bounds(today - timedelta(days=30))[0] - timedelta(minutes=1)
    db.session.commit()
    assert plan_purge(school, DAYS, today).ids["checkins"] == {day_before.id}


def test_a_closed_circle_loses_its_names_first_and_itself_later(school, people, client, auth):
    staff, amira, _ = people
    named = closed_circle(school, staff, amira, 20)
    unnamed = closed_circle(school, staff, amira, 40)
    gone = closed_circle(school, staff, amira, 400)
    open_for_long = closed_circle(school, staff, amira, 400, status="open")
    db.session.commit()
    named_id, unnamed_id, gone_id, open_id = named.id, unnamed.id, gone.id, open_for_long.id

    plan = run_purge(school)

    assert plan.ids["circle_names"] == {unnamed_id} and plan.ids["circles"] == {gone_id}
    assert set(db.session.scalars(select(Circle.id))) == {named_id, unnamed_id, open_id}
    for model in (Seat, CircleEvent, CircleCheckIn):
        assert set(db.session.scalars(select(model.circle_id))) == {named_id, open_id}
    assert set(db.session.scalars(select(CircleRound.circle_id))) == {named_id, unnamed_id, open_id}
    stripped = db.session.get(Circle, unnamed_id)
    assert stripped.holder_seat_id is None and json.loads(stripped.summary)["participants"] == []
    assert set(db.session.scalars(select(CheckIn.source_id))) == {named_id, open_id}  # the open circle's too

    auth.login(staff)
    page = client.get(f"/circles/{unnamed_id}/summary")
    assert page.status_code == 200
    assert "Amira K." not in page.get_data(as_text=True)
    assert "The names are no longer kept" in page.get_data(as_text=True)
    assert "Amira K." in client.get(f"/circles/{named_id}/summary").get_data(as_text=True)


def test_a_circle_waits_for_its_agreements(school, people):
    staff, amira, _ = people
    with_due_review = closed_circle(school, staff, amira, 800)
    due = make_agreement(school.id, "circle", with_due_review.id, "Tidy the garden", pupils=[amira], created_by=staff)
    with_values = closed_circle(school, staff, amira, 800)
    values = make_agreement(school.id, "circle", with_values.id, "We listen", kind="value", created_by=staff)
    db.session.add_all([due, values])
    db.session.flush()
    due.created_at = values.created_at = days_ago(800)
    db.session.commit()
    kept_id, gone_id, due_id = with_due_review.id, with_values.id, due.id

    plan = run_purge(school)

    assert plan.ids["circles"] == {gone_id}
    assert set(db.session.scalars(select(Circle.id))) == {kept_id}
    assert set(db.session.scalars(select(Agreement.id))) == {due_id}
    assert count(Seat, Seat.circle_id == kept_id) == 0  # its names went after 30 days all the same


def test_chats_go_with_their_finished_agreements_and_reviews(school, people):
    staff, amira, ben = people
    record_quick_chat(school.id, staff, [amira], "Unkind words", "Playground", happened_at=days_ago(400))
    young = record_quick_chat(school.id, staff, [amira], "Unkind words", "Playground", happened_at=days_ago(300))
    with_kept = record_quick_chat(school.id, staff, [ben], "Unkind words", "Playground", happened_at=days_ago(800))
    with_due = record_quick_chat(school.id, staff, [ben], "Unkind words", "Playground", happened_at=days_ago(800))
    db.session.flush()
    kept = finished_agreement(school, staff, ben, "chat", with_kept.id, 800)
    due = finished_agreement(school, staff, ben, "chat", with_due.id, 800, outcome="not_kept")
    db.session.commit()
    young_id, with_due_id, due_id, kept_id = young.id, with_due.id, due.id, kept.id
    kept_review = kept.reviews[0].id

    plan = run_purge(school)

    assert plan.counts()["chats"] == 2 and plan.ids["agreements"] == {kept_id}
    assert set(db.session.scalars(select(QuickChat.id))) == {young_id, with_due_id}
    assert set(db.session.scalars(select(QuickChatPupil.chat_id))) == {young_id, with_due_id}
    assert set(db.session.scalars(select(Agreement.id))) == {due_id}  # its "not kept" still needs a follow-up
    assert set(db.session.scalars(select(AgreementParty.agreement_id))) == {due_id}
    assert set(db.session.scalars(select(AgreementReview.agreement_id))) == {due_id}
    assert count(FeedEvent, FeedEvent.record_type == "agreement_review", FeedEvent.record_id == kept_review) == 0
    assert count(FeedEvent, FeedEvent.record_type == "quick_chat", FeedEvent.record_id.not_in((young_id, with_due_id))) == 0


def test_an_agreement_counts_from_its_last_review(school, people):
    staff, amira, _ = people
    partly = finished_agreement(school, staff, amira, "chat", None, 800, outcome="not_kept")
    record_follow_up(partly, staff)
    partly.reviews[0].followed_up_at = days_ago(100)
    old = finished_agreement(school, staff, amira, "chat", None, 800)
    db.session.commit()
    assert plan_purge(school, DAYS).ids["agreements"] == {old.id}


def test_a_circle_that_followed_up_an_agreement_goes_in_its_time_and_the_review_keeps_the_follow_up(school, people):
    staff, amira, _ = people
    circle = closed_circle(school, staff, amira, 400)
    agreement = finished_agreement(school, staff, amira, "chat", None, 420, outcome="not_kept")
    record_follow_up(agreement, staff, circle_id=circle.id)
    db.session.commit()
    circle_id, review_id = circle.id, agreement.reviews[0].id

    plan = run_purge(school)

    assert circle_id in plan.ids["circles"] and db.session.get(Circle, circle_id) is None
    review = db.session.get(AgreementReview, review_id)
    assert review.follow_up_circle_id is None and review.followed_up_at is not None  # now "another way"


def test_a_conversation_that_followed_up_a_mediation_goes_in_its_time_and_the_mediation_keeps_the_follow_up(
        school, people):
    staff, amira, ben = people
    ended = mediation(school, ben, amira, 100)
    talk = conversation(school, staff, amira, 60)
    follow_up_mediation(ended, staff, conversation=talk)
    db.session.commit()
    talk_id, mediation_id = talk.id, ended.id

    plan = run_purge(school, {**DAYS, "conversations": 30})

    assert plan.ids["conversations"] == {talk_id} and db.session.get(Conversation, talk_id) is None
    kept = db.session.get(Mediation, mediation_id)
    assert kept.follow_up_conversation_id is None and kept.followed_up_at is not None  # followed up, on its day


def test_unfinished_conversations_and_coming_review_meetings_are_kept(school, people):
    staff, amira, _ = people
    done = conversation(school, staff, amira, 800)
    recent = conversation(school, staff, amira, 100)
    unfinished = conversation(school, staff, amira, None)
    unfinished.happened_at = days_ago(900)
    meeting_ahead = conversation(school, staff, amira, 800, kind="conference",
                                 review_meeting_on=school.today() + timedelta(days=3))
    cited = conversation(school, staff, amira, 800)
    followed = finished_agreement(school, staff, amira, "chat", None, 100, outcome="not_kept")
    record_follow_up(followed, staff, conversation_id=cited.id)
    db.session.commit()
    kept, done_id = {recent.id, unfinished.id, meeting_ahead.id, cited.id}, done.id

    plan = run_purge(school)

    assert plan.ids["conversations"] == {done_id}
    assert set(db.session.scalars(select(Conversation.id))) == kept
    assert set(db.session.scalars(select(Participant.conversation_id))) == kept
    assert count(Answer) == len(kept)


def test_unfinished_mediations_and_those_to_follow_up_are_kept_and_a_call_left_unanswered_holds_nothing_back(
        school, people):
    """An unfinished mediation (one paused for "Get an adult" among them) stays however old. A finished one's
    "We can't agree" that nobody answered was a call of its day: review found it kept such a mediation, the
    pupils' key words with it, for ever; it goes at the end of its period with its alert. One that ended with no
    agreement and was never followed up stays until it is, and counts from its follow-up (as a "not kept"
    agreement does)."""
    staff, amira, ben = people
    done, recent, unfinished = (mediation(school, amira, ben, 800), mediation(school, amira, ben, 100),
                                mediation(school, amira, ben, None))
    waiting = mediation(school, amira, ben, 800)  # no agreement, never followed up
    late = mediation(school, amira, ben, 800)  # followed up only lately: it counts from then, as an agreement does
    late.followed_up_at = days_ago(100)
    unfinished.started_at = days_ago(900)
    paused = mediation(school, amira, ben, None)
    paused.started_at = days_ago(900)
    unanswered = mediation(school, amira, ben, 800)
    db.session.add_all([MediationAlert(school_id=school.id, mediation_id=record.id, raised_by_pupil_id=amira.id,
                                       raised_at=days_ago(days)) for record, days in ((paused, 900), (unanswered, 800))])
    agreed = mediation(school, amira, ben, 800)
    agreed.outcome = "agreed"
    made = finished_agreement(school, staff, ben, "mediation", agreed.id, 800)
    agreed.parties[0].agreement_id = made.id
    for followed in (done, unanswered):
        followed.followed_up_at = days_ago(790)
    db.session.commit()
    kept, gone = {recent.id, unfinished.id, paused.id, waiting.id, late.id}, {done.id, agreed.id, unanswered.id}
    made_id = made.id

    plan = run_purge(school)

    assert plan.ids["mediations"] == gone and plan.ids["agreements"] == {made_id}
    assert set(db.session.scalars(select(Mediation.id))) == kept
    for model in (MediationMediator, MediationParty):
        assert set(db.session.scalars(select(model.mediation_id))) == kept
    assert count(Agreement) == 0 and set(db.session.scalars(select(MediationAlert.mediation_id))) == {paused.id}


def test_concerns_and_their_audit_trail_are_never_purged(school, people):
    staff, amira, _ = people
    concern = raise_concern(school.id, "What Amira told me", "pupil", pupil=amira, raised_by_staff=staff)
    db.session.add(concern)
    db.session.flush()
    concern.created_at = days_ago(4000)
    audit(staff, "viewed", "concern", concern.id).at = days_ago(4000)
    audit(staff, "exported", "pupil", amira.id).at = days_ago(800)
    audit(staff, "exported", "pupil", amira.id).at = days_ago(700)
    db.session.commit()

    plan = run_purge(school)

    assert plan.counts()["audit"] == 1
    assert count(Concern) == 1
    assert count(AuditEvent, AuditEvent.subject_kind == "concern") == 1
    assert count(AuditEvent, AuditEvent.action == "exported") == 1


def test_feed_rows_and_the_webhook_log_go_unless_a_delivery_is_still_to_be_made(school, people):
    staff, amira, _ = people
    record_quick_chat(school.id, staff, [amira], "Unkind words", "Playground")
    record_checkin(school.id, "faces", 4, "staff", pupil=amira)
    record_checkin(school.id, "faces", 3, "staff", pupil=amira)
    db.session.commit()
    old_delivered, old_pending, recent = db.session.scalars(select(FeedEvent).order_by(FeedEvent.seq)).all()
    old_delivered.occurred_at = old_pending.occurred_at = days_ago(100)
    endpoint = WebhookEndpoint(school_id=school.id, url="https://mis.example/hook", secret="s")
    db.session.add(endpoint)
    db.session.flush()
    delivered = WebhookDelivery(school_id=school.id, endpoint_id=endpoint.id, event_id=old_delivered.id,
                                state="delivered", created_at=days_ago(10))
    pending = WebhookDelivery(school_id=school.id, endpoint_id=endpoint.id, event_id=old_pending.id,
                              state="pending", created_at=days_ago(100))
    old_log = WebhookDelivery(school_id=school.id, endpoint_id=endpoint.id, event_id=recent.id,
                              state="failed", created_at=days_ago(31))
    db.session.add_all([delivered, pending, old_log])
    db.session.flush()
    db.session.add_all([WebhookAttempt(delivery_id=d.id, status_code=200) for d in (delivered, old_log)])
    db.session.commit()
    ids = old_pending.id, recent.id, pending.id

    plan = run_purge(school)

    assert plan.counts()["feed"] == 1 and plan.counts()["webhook_log"] == 2
    assert set(db.session.scalars(select(FeedEvent.id))) == {ids[0], ids[1]}
    assert set(db.session.scalars(select(WebhookDelivery.id))) == {ids[2]}
    assert count(WebhookAttempt) == 0


def test_the_purge_enters_no_feed_event_and_audits_counts_only(school, people):
    staff, amira, _ = people
    record_quick_chat(school.id, staff, [amira], "Unkind words", "Playground", note="Amira cried",
                      happened_at=days_ago(400))
    db.session.commit()
    events_before = count(FeedEvent)

    run_purge(school)

    assert count(QuickChat) == 0 and count(FeedEvent) == events_before - 1  # its own "created" went with it
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "purged"))
    assert entry.subject_kind == "school" and entry.subject_id == school.id
    assert entry.detail == "purge-records: chats 1, feed 1"


def test_nothing_to_purge_writes_nothing(school, people):
    run_purge(school)
    assert count(AuditEvent) == 0


@pytest.mark.parametrize("value", ["0", "-3", "thirty", "1.5"])
def test_a_bad_period_is_refused_not_taken_as_delete_everything(value):
    with pytest.raises(ValueError, match="RETAIN_CHATS_DAYS"):
        retention_days({"RETAIN_CHATS_DAYS": value})


def test_periods_come_from_the_environment():
    assert retention_days({"RETAIN_CHATS_DAYS": "90", "RETAIN_AUDIT_DAYS": " "})["chats"] == 90
    assert retention_days({})["audit"] == 730


def test_a_circle_check_in_kept_longer_loses_the_typed_name(school, people):
    staff, amira, _ = people
    circle = closed_circle(school, staff, amira, 40)
    jo = old_checkin(school, None, 40, source="circle", source_id=circle.id, name="Jo")
    sam = old_checkin(school, None, 40, value=1, source="circle", source_id=circle.id, name="Sam",
                      follow_up_staff=staff)
    db.session.commit()
    jo_id, sam_id = jo.id, sam.id

    run_purge(school, {**DAYS, "checkins": 90})

    assert db.session.get(CheckIn, jo_id).name is None
    assert db.session.get(CheckIn, sam_id).name == "Sam"  # the keeper has still to check in with Sam


def chats_and_checkins(school, pupil, staff):
    """An old chat in the playground and an old check-in (past their periods), a recent chat on the field."""
    record_quick_chat(school.id, staff, [pupil], "Unkind words", "Playground", happened_at=days_ago(400))
    old_checkin(school, pupil, 400, word="wobbly")
    record_quick_chat(school.id, staff, [pupil], "Left out", "Field", happened_at=days_ago(3))
    db.session.commit()


def test_purged_records_leave_the_timeline_and_the_export(school, people, client, auth):
    staff, amira, _ = people
    chats_and_checkins(school, amira, staff)
    admin = make_staff(school, ("admin",), name="Ada Admin")
    db.session.commit()
    auth.login(admin)
    before = client.get(f"/pupils/{amira.id}").get_data(as_text=True)
    assert "Quick chat: Unkind words, Playground" in before and "Quick chat: Left out, Field" in before

    assert run_purge(school).counts()["chats"] == 1

    page = client.get(f"/pupils/{amira.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Quick chat: Unkind words, Playground" not in text and "Quick chat: Left out, Field" in text
    export = client.get(f"/pupils/{amira.id}/export.json")
    assert export.status_code == 200
    assert [(r["type"], r["location"]) for r in export.json["records"]] == [("quick_chat", "Field")]
    assert client.get(f"/pupils/{amira.id}/export.csv").status_code == 200
    feed_types = db.session.scalars(select(FeedEvent.record_type)).all()
    assert sorted(feed_types) == ["quick_chat"]


def test_cli_purges_one_school_or_each_with_confirmation(runner, app):
    brook, hill = make_school("Brook Primary"), make_school("Hill Academy")
    for school in (brook, hill):
        staff = make_staff(school, ("admin",), name="Head")
        chats_and_checkins(school, make_pupil(school), staff)
    brook_id, hill_id = brook.id, hill.id

    def left(school_id):
        return count(QuickChat, QuickChat.school_id == school_id), count(CheckIn, CheckIn.school_id == school_id)

    dry = runner.invoke(args=["purge-records", "--school", "brook-primary", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Quick chats, kept 365 days" in dry.output and "Check-in answers, kept 365 days" in dry.output
    assert "Hill Academy" not in dry.output and "Dry run: nothing was deleted." in dry.output
    assert "Safeguarding concerns are never purged" in dry.output
    assert left(brook_id) == (2, 1)

    refused = runner.invoke(args=["purge-records", "--school", "brook-primary"], input="n\n")
    assert refused.exit_code == 0 and "Not purged." in refused.output and left(brook_id) == (2, 1)

    confirmed = runner.invoke(args=["purge-records", "--school", "brook-primary"], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "Delete these records of Brook Primary?" in confirmed.output and "Purged: checkins 1, chats 1, feed 2." in confirmed.output
    assert left(brook_id) == (1, 0) and left(hill_id) == (2, 1)
    assert db.session.scalars(select(AuditEvent.school_id).where(AuditEvent.action == "purged")).all() == [brook_id]

    every = runner.invoke(args=["purge-records", "--yes"])
    assert every.exit_code == 0, every.output
    assert "Brook Primary (brook-primary):" in every.output and "Nothing to purge." in every.output
    assert left(hill_id) == (1, 0)
    detail = db.session.scalar(select(AuditEvent.detail).where(AuditEvent.school_id == hill_id))
    assert detail == "purge-records: checkins 1, chats 1, feed 2"
    # run with no --by (as from cron), the entries name nobody rather than a person who did not do it
    assert db.session.scalars(select(AuditEvent.staff_id).where(AuditEvent.action == "purged")).all() == [None, None]

    unknown = runner.invoke(args=["purge-records", "--school", "nowhere", "--yes"])
    assert unknown.exit_code != 0 and "No school with the short name 'nowhere'" in unknown.output


def test_a_first_purge_of_many_records_goes_a_chunk_at_a_time(school, people):
    """More ids than one statement carries at a time (CHUNK): every one goes, with its feed rows."""
    _, amira, _ = people
    db.session.add_all([CheckIn(school_id=school.id, pupil_id=amira.id, scale="faces", value=3, source="staff",
                                created_at=days_ago(400)) for _ in range(2 * CHUNK + 1)])
    db.session.commit()
    assert count(FeedEvent) == 2 * CHUNK + 1

    plan = run_purge(school)

    assert plan.counts()["checkins"] == plan.counts()["feed"] == 2 * CHUNK + 1
    assert count(CheckIn) == count(FeedEvent) == 0


def test_cli_records_the_purge_under_whoever_runs_it(runner, app):
    brook, hill = make_school("Brook Primary"), make_school("Hill Academy")
    head = make_staff(brook, ("admin",), name="Head")
    officer = make_staff(brook, ("pastoral",), email="dpo@brook.example", name="Dee Officer")
    make_staff(hill, ("admin",), email="head@hill.example")
    chats_and_checkins(brook, make_pupil(brook), head)
    officer_id = officer.id

    for args in (["--by", "dpo@brook.example"], ["--school", "hill-academy", "--by", "dpo@brook.example"]):
        refused = runner.invoke(args=["purge-records", "--yes", *args])
        assert refused.exit_code != 0 and "--by needs --school" in refused.output
    assert count(AuditEvent) == 0

    result = runner.invoke(args=["purge-records", "--school", "brook-primary", "--by", "DPO@brook.example", "--yes"])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(AuditEvent.staff_id).where(AuditEvent.action == "purged")).all() == [officer_id]
