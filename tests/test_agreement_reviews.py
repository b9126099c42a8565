"""Reviews due, reviewing an agreement, stale review forms and the next step after "not kept"."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from rrp_pwa.agreements.rules import (
    AgreementError,
    StaleReview,
    agreements_from,
    make_agreement,
    pupils_involved,
    review_agreement,
)
from rrp_pwa.extensions import db
from rrp_pwa.mediation.flow import record_mediation
from rrp_pwa.models.agreements import Agreement, AgreementReview
from rrp_pwa.models.circles import Circle, Seat
from rrp_pwa.models.conversations import Conversation
from tests.conftest import make_group, make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    school = make_school()
    db.session.commit()
    return school


def agreement_for(school, pupils, staff, review_on=None, source_kind="conversation"):
    agreement = make_agreement(school.id, source_kind, 1, "Play fairly at lunch", pupils=pupils, created_by=staff,
                               review_on=review_on or date.today() - timedelta(days=1),
                               today=date.today() - timedelta(days=15))  # made two weeks ago
    db.session.add(agreement)
    db.session.commit()
    return agreement


def test_review_rule_refuses_a_stale_form_and_overlong_notes(school):
    teacher = make_staff(school, ("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher)
    review_agreement(agreement, "kept", None, teacher, seen_reviews=0)
    with pytest.raises(StaleReview):
        review_agreement(agreement, "not_kept", None, teacher, seen_reviews=0)
    with pytest.raises(AgreementError, match="2,000"):
        review_agreement(agreement, "kept", "n" * 2001, teacher, seen_reviews=1)
    assert agreement.status == "kept" and len(agreement.reviews) == 1


def test_agreements_from_and_pupils_involved(school):
    teacher = make_staff(school, ("teacher",))
    amira = make_pupil(school)
    agreement = agreement_for(school, [amira], teacher)
    assert list(db.session.scalars(agreements_from(school.id, "conversation", 1))) == [agreement]
    assert list(db.session.scalars(agreements_from(school.id, "circle", 1))) == []
    assert pupils_involved(agreement) == [amira]


def test_reviews_due_shows_what_the_viewer_may_read(client, auth, school):
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    mine, other = make_pupil(school), make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[mine], staff=[teacher])
    lead = make_staff(school, ("pastoral",))
    agreement_for(school, [mine], lead)
    other_one = agreement_for(school, [other], lead)
    agreement_for(school, [mine], lead, review_on=date.today() + timedelta(days=5))
    other_one.what = "Ben says sorry"
    db.session.commit()
    auth.login(staff=teacher)
    page = client.get("/agreements/due").get_data(as_text=True)
    assert page.count("Play fairly at lunch") == 1 and "Ben says sorry" not in page
    auth.logout()
    auth.login(staff=lead)
    page = client.get("/agreements/due").get_data(as_text=True)
    assert "Play fairly at lunch" in page and "Ben says sorry" in page


def test_teacher_home_screen_has_reviews_due(client, auth, school):
    auth.login(roles=("teacher",))
    assert "Reviews due" in client.get("/").get_data(as_text=True)


def test_not_kept_offers_a_prefilled_follow_up_conversation(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    agreement = agreement_for(school, [amira, ben], teacher)
    response = client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "note": "Row again",
                                                                        "seen_reviews": 0})
    assert response.status_code == 302
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Not kept" in page and "Row again" in page and "Next step" in page
    assert f"/conversations/new?pupil_id={amira.id}&amp;pupil_id={ben.id}" in page
    assert f"pupil_id={ben.id}&amp;kind=conference" in page
    prefilled = client.get(f"/conversations/new?pupil_id={amira.id}&pupil_id={ben.id}").get_data(as_text=True)
    assert "Remove Amira Khan" in prefilled and "Remove Ben Jones" in prefilled
    assert db.session.get(Agreement, agreement.id).status == "not_kept"


def test_kept_offers_no_next_step(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher)
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "kept", "seen_reviews": 0})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Kept" in page and "Next step" not in page


@pytest.mark.parametrize("data, status, message", [
    ({"seen_reviews": 0}, 400, "Choose kept, partly kept or not kept."),
    ({"outcome": "sort_of", "seen_reviews": 0}, 400, "Not a valid choice"),
    ({"outcome": "kept", "note": "n" * 2001, "seen_reviews": 0}, 400, "2,000 characters"),
    ({"outcome": "kept", "seen_reviews": 3}, 409, "Someone has reviewed this agreement since you opened it"),
])
def test_bad_and_stale_reviews_are_refused(client, auth, school, data, status, message):
    teacher = auth.login(roles=("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher)
    response = client.post(f"/agreements/{agreement.id}/review", data=data)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert db.session.query(AgreementReview).count() == 0


def test_a_review_from_a_page_left_open_keeps_what_was_written_to_save_once_read(client, auth, school):
    """Two tabs (or two colleagues): one records "kept" while the other is still writing "not kept" with a
    note. The second is told and shown the first review - and keeps their choice and note, to save after
    reading it, instead of finding the form emptied."""
    lead = auth.login(roles=("pastoral",))
    agreement = agreement_for(school, [make_pupil(school)], lead)
    assert client.post(f"/agreements/{agreement.id}/review", data={"outcome": "kept", "seen_reviews": 0}).status_code == 302
    note = "Pushed in the lunch queue twice this week"
    stale = client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "note": note, "seen_reviews": 0})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone has reviewed this agreement since you opened it" in page
    assert note in page and re.search(r'<input checked id="outcome-\d" name="outcome" required type="radio" value="not_kept">', page)
    assert re.search(r'name="seen_reviews"[^>]*value="1"', page)  # it now counts the review just read
    assert db.session.query(AgreementReview).count() == 1
    again = client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "note": note, "seen_reviews": 1})
    assert again.status_code == 302 and db.session.get(Agreement, agreement.id).status == "not_kept"


def test_the_agreement_says_where_it_was_made_and_links_to_the_conversation(client, auth, school):
    """The pastoral lead reviewing an agreement reads what led to it: the conversation it was made in is one
    tap away. One made elsewhere (here, a circle) is named with its day, without a link."""
    lead = auth.login(roles=("pastoral",))
    talk, agreement, _, _ = conversation_agreement(school, lead)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f'<dt>Made in</dt><dd><a href="/conversations/{talk.id}">Restorative conversation</a>, ' in page
    circle_agreement = agreement_for(school, [make_pupil(school)], lead, source_kind="circle")
    page = client.get(f"/agreements/{circle_agreement.id}").get_data(as_text=True)
    assert "<dt>Made in</dt><dd>A circle, " in page


def test_another_schools_agreement_is_not_found(client, auth, school):
    other = make_school("Hill High")
    agreement = agreement_for(other, [make_pupil(other)], make_staff(other, ("pastoral",)))
    auth.login(roles=("admin",))
    assert client.get(f"/agreements/{agreement.id}").status_code == 404
    assert client.post(f"/agreements/{agreement.id}/review", data={"outcome": "kept"}).status_code == 404


def test_review_with_csrf_on(app, client, auth, school):
    teacher = auth.login(roles=("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/agreements/{agreement.id}/review", data={"outcome": "kept", "seen_reviews": 0})
    assert response.status_code == 400 and db.session.query(AgreementReview).count() == 0


def conversation_agreement(school, teacher):
    """Ben caused harm to Amira; Ben agreed to give her space (made two weeks ago, due yesterday)."""
    from rrp_pwa.conversations.restorative import start_conversation

    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    talk = start_conversation(school.id, teacher, "conversation", [(amira, "harmed"), (ben, "caused_harm")])
    db.session.flush()
    agreement = make_agreement(school.id, "conversation", talk.id, "Ben will give Amira space", pupils=[ben],
                               created_by=teacher, review_on=date.today() - timedelta(days=1),
                               today=date.today() - timedelta(days=15))
    db.session.add(agreement)
    db.session.commit()
    return talk, agreement, amira, ben


def test_partly_kept_asks_when_to_review_again_and_comes_back_then(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "If partly kept: review it again on" in page
    assert (date.today() + timedelta(days=14)).isoformat() in page  # offered two weeks on
    refused = client.post(f"/agreements/{agreement.id}/review", data={"outcome": "partly_kept", "seen_reviews": 0})
    assert refused.status_code == 400 and "choose a day after today" in refused.get_data(as_text=True)
    past = date.today() - timedelta(days=1)
    refused = client.post(f"/agreements/{agreement.id}/review", data={"outcome": "partly_kept", "seen_reviews": 0,
                                                                      "review_again_on": past.isoformat()})
    # beside the day it is about, naming it; not at the top of the form
    assert (f'<p class="error" id="review_again_on-error">Partly kept: choose a day after today to review it again '
            f'({past:%A %-d %B} has passed).</p>') in refused.get_data(as_text=True)
    again = date.today() + timedelta(days=7)
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "partly_kept", "seen_reviews": 0,
                                                            "review_again_on": again.isoformat()})
    assert "It comes up for review again on" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Play fairly at lunch" not in client.get("/agreements/due").get_data(as_text=True)
    agreement = db.session.get(Agreement, agreement.id)
    agreement.review_on = date.today()  # a week later
    db.session.commit()
    due = client.get("/agreements/due").get_data(as_text=True)
    assert "Play fairly at lunch" in due and "partly kept last time" in due


def test_a_conversation_with_none_of_the_agreements_pupils_does_not_follow_it_up(client, auth, school):
    """As for a mediation (review): opened from the agreement, Amira and Ben taken off and Chloe picked, the
    conversation started was recorded as the agreement's follow-up, and the agreement left the follow-up list."""
    teacher = auth.login(roles=("teacher",))
    _, agreement, amira, ben = conversation_agreement(school, teacher)
    chloe = make_pupil(school, "Chloe", "Day")
    db.session.commit()
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    other = client.get(f"/conversations/new?pupil_id={chloe.id}&follows={agreement.id}").get_data(as_text=True)
    assert "Following up the agreement" not in other  # not said of a conversation that isn't one
    assert f"follows={agreement.id}" in other  # kept, should Amira or Ben come back
    started = client.post(f"/conversations/new?follows={agreement.id}", data={
        "pupil_id": [chloe.id], f"role-{chloe.id}": "harmed", "follows": agreement.id})
    assert started.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).latest_review.followed_up_at is None
    assert "Ben will give Amira space" in client.get("/agreements/due").get_data(as_text=True).split(
        "Not kept: follow-up needed")[1]

    with_ben = client.post(f"/conversations/new?follows={agreement.id}", data={
        "pupil_id": [chloe.id, ben.id], f"role-{chloe.id}": "harmed", f"role-{ben.id}": "caused_harm",
        "follows": agreement.id})
    assert with_ben.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).latest_review.followed_up_at is not None


def test_not_kept_waits_among_follow_ups_until_a_further_conversation_starts_from_it(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    _, agreement, amira, ben = conversation_agreement(school, teacher)
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    due = client.get("/agreements/due").get_data(as_text=True)
    waiting = due.split("Not kept: follow-up needed")[1]
    assert "Ben will give Amira space" in waiting
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    # the next step comes first; the passed review date is gone, and reviewing again is folded away
    assert "Back to Reviews due" in page and "<dt>Review on</dt>" not in page
    assert page.index("Next step") < page.index("<summary>Review it again</summary>")
    # the follow-up is with everyone the conversation was about, the pupil harmed included
    link = f"/conversations/new?pupil_id={ben.id}&amp;pupil_id={amira.id}&amp;follows={agreement.id}"
    assert link in page
    start = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Following up the agreement" in start and f'name="follows" value="{agreement.id}"' in start
    response = client.post(f"/conversations/new?follows={agreement.id}", data={
        "pupil_id": [ben.id, amira.id], f"role-{ben.id}": "caused_harm", f"role-{amira.id}": "harmed"})
    assert response.status_code == 302
    further = db.session.query(Conversation).order_by(Conversation.id.desc()).first()
    db.session.expire_all()
    followed = db.session.get(Agreement, agreement.id)
    assert followed.latest_review.follow_up_conversation_id == further.id
    assert followed.latest_review.followed_up_by_id == teacher.id
    assert "Ben will give Amira space" not in client.get("/agreements/due").get_data(as_text=True)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Followed up" in page and f"/conversations/{further.id}" in page and "Next step" not in page
    # not kept again later: a new follow-up is needed, and the first one stays on record
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 1})
    assert "Ben will give Amira space" in client.get("/agreements/due").get_data(as_text=True)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Next step" in page and "Follow-up needed." in page
    assert "Followed up:" in page and f"/conversations/{further.id}" in page


def test_a_follow_up_made_another_way_can_be_recorded(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher)
    assert client.post(f"/agreements/{agreement.id}/followed-up").status_code == 302  # not "not kept": refused
    assert "Only an agreement that was not kept" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    assert "It has been followed up" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert client.post(f"/agreements/{agreement.id}/followed-up", data={"asked": "yes"}).status_code == 302
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Followed up another way" in page and teacher.name in page
    assert "Play fairly at lunch" not in client.get("/agreements/due").get_data(as_text=True)
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "kept", "seen_reviews": 1})
    assert "Followed up another way" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)


def test_following_up_is_refused_without_csrf_and_to_another_school(app, client, auth, school):
    other = make_school("Hill High")
    theirs = agreement_for(other, [make_pupil(other)], make_staff(other, ("pastoral",)))
    auth.login(roles=("admin",))
    assert client.post(f"/agreements/{theirs.id}/followed-up").status_code == 404
    teacher = make_staff(school, ("pastoral",))
    mine = agreement_for(school, [make_pupil(school)], teacher)
    review_agreement(mine, "not_kept", None, teacher)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/agreements/{mine.id}/followed-up", data={"asked": "yes"}).status_code == 400
    assert db.session.get(Agreement, mine.id).latest_review.followed_up_at is None


def test_a_teacher_who_may_read_the_conversation_may_read_its_agreement(client, auth, school):
    lead = make_staff(school, ("pastoral",))
    talk, agreement, amira, _ = conversation_agreement(school, lead)
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    make_group(school, pupils=[amira], staff=[teacher])  # Amira (harmed) is in Tara's class; Ben is not
    db.session.commit()
    auth.login(staff=teacher)
    assert client.get(f"/conversations/{talk.id}").status_code == 200
    assert client.get(f"/agreements/{agreement.id}").status_code == 200
    assert "Ben will give Amira space" in client.get("/agreements/due").get_data(as_text=True)


def test_reviews_due_reads_in_the_same_queries_for_three_agreements_or_thirty(client, auth, school):
    """A teacher's Reviews due checks who may read each agreement without a query per agreement."""
    from sqlalchemy import event

    from rrp_pwa.conversations.restorative import start_conversation

    teacher = auth.login(roles=("teacher",))
    other = make_staff(school, ("pastoral",), name="Pat Pastoral")
    mine, theirs = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[mine], staff=[teacher])

    def add(numbers):
        for n in numbers:
            talk = start_conversation(school.id, other, "conversation", [(mine, "harmed"), (theirs, "caused_harm")])
            db.session.flush()
            for source_kind, source_id, pupils in (("conversation", talk.id, [theirs]), ("chat", 1, [mine]),
                                                    ("chat", 1, [theirs])):
                agreement = make_agreement(school.id, source_kind, source_id, f"Agreement {n}", pupils=pupils,
                                           created_by=other, review_on=date.today() - timedelta(days=1),
                                           today=date.today() - timedelta(days=15))
                db.session.add(agreement)
                if source_kind == "chat" and pupils == [mine]:
                    db.session.flush()
                    review_agreement(agreement, "not_kept", None, other)
        db.session.commit()

    def queries_for_due_page():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            page = client.get("/agreements/due").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), page

    add(range(1))
    few, page = queries_for_due_page()
    assert page.count("Agreement 0") == 2  # the conversation's (Amira was harmed) and Amira's own, not Ben's
    add(range(1, 10))
    many, page = queries_for_due_page()
    assert page.count("Agreement 9") == 2 and page.count("Agreement ") == 20
    assert many == few, (few, many)


def test_a_mediation_agreement_not_kept_is_followed_up_with_both_people_in_the_disagreement(client, auth, school):
    ava = make_pupil(school, "Ava", "Brown", peer_mediator=True)
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    lead, bens_teacher = make_staff(school, ("pastoral",)), make_staff(school, ("teacher",), name="Tom Teacher")
    make_group(school, pupils=[ben], staff=[bens_teacher])
    mediation = record_mediation(school.id, [ava], [amira, ben],
                                 agreements={amira.id: "Give Ben a turn with the ball", ben.id: "Use kind words"})
    db.session.commit()
    amiras = next(p.agreement for p in mediation.parties if p.pupil_id == amira.id)
    auth.login(staff=lead)
    client.post(f"/agreements/{amiras.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    page = client.get(f"/agreements/{amiras.id}").get_data(as_text=True)
    link = f"/conversations/new?pupil_id={amira.id}&amp;pupil_id={ben.id}&amp;follows={amiras.id}"
    assert link in page, "the further conversation is with Ben too, not only the pupil who agreed to act"
    start = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Remove Amira Khan" in start and "Remove Ben Jones" in start
    auth.logout()
    auth.login(staff=bens_teacher)  # whoever may read Ben's record sees the agreement made about him
    assert "Give Ben a turn with the ball" in client.get("/agreements/due").get_data(as_text=True)
    assert client.get(f"/agreements/{amiras.id}").status_code == 200


def test_hold_a_circle_after_not_kept_opens_it_for_those_pupils_and_records_the_follow_up(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    _, agreement, amira, ben = conversation_agreement(school, teacher)
    make_group(school, "Year 4 Ash", pupils=[amira], staff=[teacher])
    cedar = make_group(school, pupils=[amira, ben], staff=[teacher])
    db.session.commit()
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    link = (f"/circles/new?pupil_id={ben.id}&amp;pupil_id={amira.id}&amp;kind=restorative"
            f"&amp;group_id={cedar.id}&amp;follows={agreement.id}")
    assert "Hold a circle" in page and link in page
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Following up the agreement" in form and "Ben will give Amira space" in form
    assert re.search(r'<input checked[^>]*value="restorative"', form), "a restorative circle is chosen"
    assert re.search(rf'<option selected value="{cedar.id}">Year 5 Cedar</option>', form), "the class they share"
    assert "<li>Ben Jones</li>" in form and "<li>Amira Khan</li>" in form
    response = client.post("/circles/new", data={"kind": "restorative", "group": cedar.id, "follows": agreement.id,
                                                 "pupil_id": [ben.id, amira.id]})
    circle = db.session.scalar(select(Circle).order_by(Circle.id.desc()))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/circles/{circle.id}")
    assert (circle.kind, circle.group_id, circle.keeper_id) == ("restorative", cedar.id, teacher.id)
    keeper = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "This circle follows up the agreement" in keeper
    db.session.expire_all()
    review = db.session.get(Agreement, agreement.id).latest_review
    assert (review.follow_up_circle_id, review.followed_up_by_id) == (circle.id, teacher.id)
    assert review.followed_up_at is not None
    assert "Ben will give Amira space" not in client.get("/agreements/due").get_data(as_text=True)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Followed up: " in page and f"/circles/{circle.id}/summary" in page and "Restorative circle</a> held" in page
    assert "Next step" not in page and "Follow-up needed." not in page


def test_a_follow_up_circle_on_one_device_seats_pupils_from_different_classes(client, auth, school):
    lead = auth.login(roles=("pastoral",))
    _, agreement, amira, ben = conversation_agreement(school, lead)
    make_group(school, "Year 4 Ash", pupils=[amira])
    make_group(school, "Year 6 Oak", pupils=[ben])
    db.session.commit()
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    link = f"/circles/new?pupil_id={ben.id}&amp;pupil_id={amira.id}&amp;kind=restorative&amp;follows={agreement.id}"
    assert link in page, "no class shared: no group is sent"
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "<option selected" not in form and '<option value="0">Ad hoc' in form
    client.post("/circles/new", data={"kind": "restorative", "group": 0, "one_device": "y", "follows": agreement.id,
                                      "pupil_id": [ben.id, amira.id]})
    circle = db.session.scalar(select(Circle).order_by(Circle.id.desc()))
    seats = db.session.scalars(select(Seat).where(Seat.circle_id == circle.id).order_by(Seat.position)).all()
    assert [(s.pupil_id, s.status) for s in seats[1:]] == [(ben.id, "admitted"), (amira.id, "admitted")]
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).latest_review.follow_up_circle_id == circle.id


def test_a_circle_records_no_follow_up_for_an_agreement_that_needs_none_or_is_not_readable(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    kept = agreement_for(school, [make_pupil(school)], teacher)
    other_teacher = make_staff(school, ("teacher",), name="Tom Teacher")
    hidden = agreement_for(school, [make_pupil(school, "Cara", "Lee")], other_teacher)
    review_agreement(hidden, "not_kept", None, other_teacher)
    db.session.commit()
    for agreement in (kept, hidden):
        form = client.get(f"/circles/new?follows={agreement.id}&pupil_id={agreement.parties[0].pupil_id}")
        assert "Following up" not in form.get_data(as_text=True) and "Cara Lee" not in form.get_data(as_text=True)
        client.post("/circles/new", data={"kind": "restorative", "group": 0, "follows": agreement.id})
    db.session.expire_all()
    assert db.session.get(Agreement, hidden.id).latest_review.followed_up_at is None
    assert db.session.get(Agreement, kept.id).reviews == []


def test_the_follow_up_after_not_kept_leaves_out_a_pupil_who_has_left_the_school(client, auth, school):
    """Ben left after the agreement was made: a further conversation offered with him already chosen was refused
    ("has left it") until he was removed by hand, so the follow-up could not be started as offered."""
    teacher = auth.login(roles=("pastoral",))
    _, agreement, amira, ben = conversation_agreement(school, teacher)
    ben.archived = True
    db.session.commit()
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    link = f"/conversations/new?pupil_id={amira.id}&amp;follows={agreement.id}"
    assert link in page and f"pupil_id={ben.id}" not in page
    with_ben = client.post(f"/conversations/new?follows={agreement.id}", data={
        "pupil_id": [amira.id, ben.id], f"role-{amira.id}": "harmed", f"role-{ben.id}": "caused_harm"})
    assert with_ben.status_code == 400 and "has left it" in with_ben.get_data(as_text=True)  # what he used to get
    response = client.post(f"/conversations/new?follows={agreement.id}",
                           data={"pupil_id": [amira.id], f"role-{amira.id}": "harmed"})
    assert response.status_code == 302
    assert "Ben will give Amira space" not in client.get("/agreements/due").get_data(as_text=True)


def test_an_agreement_whose_pupils_have_all_left_says_so_and_offers_no_empty_conversation(client, auth, school):
    """Amira and Ben both left after a "not kept" review: the agreement used to offer "Start a restorative
    conversation" with the same people, which opened an empty form. It now says who has left, on the
    agreement and in Reviews due, and that it can only be recorded as followed up."""
    lead = auth.login(roles=("pastoral",))
    _, agreement, amira, ben = conversation_agreement(school, lead)
    client.post(f"/agreements/{agreement.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    ben.archived = True
    db.session.commit()
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Ben Jones (has left)" in page and "Ben Jones has left the school" in page
    assert "Start a restorative conversation" in page  # with Amira, still at the school
    assert "Ben Jones (has left)" in client.get("/agreements/due").get_data(as_text=True)
    amira.archived = True
    db.session.commit()
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "everyone it was about has left the school" in page
    assert "Start a restorative conversation" not in page and "Hold a conference" not in page
    assert "/conversations/new" not in page and "Follow-up needed." in page
    done = client.post(f"/agreements/{agreement.id}/followed-up", data={"asked": "yes"})  # said yes on the page
    assert done.status_code == 302
    assert "Ben will give Amira space" not in client.get("/agreements/due").get_data(as_text=True)


def test_the_review_can_be_moved_to_another_day_by_the_rule_it_was_made_by(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    agreement = agreement_for(school, [make_pupil(school)], teacher, review_on=date.today() + timedelta(days=3))
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Review it on another day?" in page and f'value="{agreement.review_on.isoformat()}"' in page

    later = date.today() + timedelta(days=10)
    response = client.post(f"/agreements/{agreement.id}/review-on", data={"review_on": later.isoformat()},
                           follow_redirects=True)
    assert response.status_code == 200 and f"The review is now on {later:%A %-d %B}." in response.get_data(as_text=True)
    assert db.session.get(Agreement, agreement.id).review_on == later

    past = date.today() - timedelta(days=2)
    response = client.post(f"/agreements/{agreement.id}/review-on", data={"review_on": past.isoformat()})
    page = response.get_data(as_text=True)
    passed = f"The day you chose, {past:%A %-d %B}, has passed: choose today or a later day."
    assert response.status_code == 400 and passed in page
    assert f'value="{past.isoformat()}"' in page  # what was typed stays, beside its error
    response = client.post(f"/agreements/{agreement.id}/review-on", data={"review_on": ""})
    assert response.status_code == 400 and "Choose the day to review the agreement." in response.get_data(as_text=True)
    assert db.session.get(Agreement, agreement.id).review_on == later


def test_only_an_agreement_waiting_for_review_in_this_school_can_be_moved(app, client, auth, school):
    teacher = auth.login(roles=("teacher",))
    kept = agreement_for(school, [make_pupil(school)], teacher)
    client.post(f"/agreements/{kept.id}/review", data={"outcome": "kept", "seen_reviews": 0})
    assert "Review it on another day?" not in client.get(f"/agreements/{kept.id}").get_data(as_text=True)
    soon = (date.today() + timedelta(days=5)).isoformat()
    response = client.post(f"/agreements/{kept.id}/review-on", data={"review_on": soon}, follow_redirects=True)
    page = response.get_data(as_text=True)  # a page left open: the agreement as it is now, and why nothing moved
    assert "This agreement is not waiting for a review, so its review can&#39;t be moved." in page and "Kept" in page

    other = make_school("Hill High")
    theirs = agreement_for(other, [make_pupil(other)], make_staff(other, ("pastoral",)))
    assert client.post(f"/agreements/{theirs.id}/review-on", data={"review_on": soon}).status_code == 404
    open_one = agreement_for(school, [make_pupil(school)], teacher)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/agreements/{open_one.id}/review-on", data={"review_on": soon}).status_code == 400
    assert db.session.get(Agreement, open_one.id).review_on == date.today() - timedelta(days=1)
