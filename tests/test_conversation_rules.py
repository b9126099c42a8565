"""The rules of restorative conversations and conferences, and the school's question sets."""
from datetime import date, timedelta

import pytest

from rrp_pwa.conversations.restorative import (
    WORDINGS,
    ConversationError,
    ConversationFinished,
    finish,
    questions_for,
    questions_for_role,
    save_answers,
    save_preparation,
    set_questions,
    start_conversation,
    use_wording,
)
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.conversations import Conversation
from tests.conftest import make_pupil, make_school, make_staff

TODAY = date(2026, 11, 27)


@pytest.fixture
def school(app):
    return make_school()


@pytest.fixture
def teacher(school):
    return make_staff(school, ("teacher",))


@pytest.fixture
def pupils(school):
    return make_pupil(school), make_pupil(school, "Ben", "Jones")


def test_secondary_wording_is_shipped_and_a_school_can_change_it(school):
    assert questions_for(school.id, "caused_harm")[0] == "What happened?"
    assert "What has been the hardest thing for you?" in questions_for(school.id, "harmed")
    set_questions(school.id, "harmed", "How do you feel?\n\n  What would help?  ")
    assert questions_for(school.id, "harmed") == ["How do you feel?", "What would help?"]
    use_wording(school.id, "primary")
    assert questions_for(school.id, "harmed") == list(WORDINGS["primary"]["harmed"])


@pytest.mark.parametrize("text, message", [("", "at least one"), ("x" * 301, "300 characters"),
                                           ("\n".join(f"q{i}?" for i in range(11)), "10 questions")])
def test_bad_question_sets_are_refused(school, text, message):
    with pytest.raises(ConversationError, match=message):
        set_questions(school.id, "others", text)


def test_someone_both_harmed_and_harming_is_asked_both_sets_without_repeats(school):
    both = questions_for_role(school.id, "both")
    assert both[0] == "What happened?" and "What has been the hardest thing for you?" in both
    assert both.count("How can we make sure this doesn't happen again?") == 1
    assert questions_for_role(school.id, "witness") == questions_for(school.id, "others")


def test_a_conversation_keeps_roles_answers_and_ends_with_an_agreement(school, teacher, pupils):
    amira, ben = pupils
    talk = start_conversation(school.id, teacher, "conversation", [(amira, "harmed"), (ben, "caused_harm")],
                              summary="Name calling at lunch")
    db.session.flush()
    harmed, harmer = talk.participants
    save_answers(talk, {harmed.id: ["", "Sad and left out"], harmer.id: ["I called her names"]})
    made = finish(talk, teacher, "Ben will play fairly and say sorry", [harmer.id],
                  review_on=TODAY + timedelta(days=7), today=TODAY)
    db.session.commit()
    saved = db.session.get(Conversation, talk.id)
    assert [(p.label, p.role) for p in saved.participants] == [("Amira Khan", "harmed"), ("Ben Jones", "caused_harm")]
    assert [(a.question, a.answer) for a in saved.participants[0].answers] == [
        ("What impact has this had on you and others?", "Sad and left out")]
    assert saved.completed_at is not None
    agreement = db.session.get(Agreement, made.id)
    assert (agreement.source_kind, agreement.source_id, agreement.review_on) == ("conversation", talk.id,
                                                                                TODAY + timedelta(days=7))
    assert [p.label for p in agreement.parties] == ["Ben Jones"]


def test_a_conversation_may_end_without_an_agreement(school, teacher, pupils):
    talk = start_conversation(school.id, teacher, "conversation", [(pupils[0], "witness")])
    db.session.flush()
    assert finish(talk, teacher, "", [], today=TODAY) is None
    assert db.session.query(Agreement).count() == 0


@pytest.mark.parametrize("people, adults, message", [
    ([], [], "at least one pupil"),
    ([("a", "harmed"), ("a", "witness")], [], "takes part once"),
    ([("a", "bystander")], [], "Choose each pupil's role"),
    ([("a", "")], [], "Choose each pupil's role"),
    ([("a", "harmed")], [("Mrs Khan", "headteacher")], "Choose each adult's role"),
    ([("a", "harmed")], [("x" * 121, "parent_carer")], "120 characters"),
])
def test_bad_starts_are_refused(school, teacher, pupils, people, adults, message):
    chosen = [(pupils[0], role) for _, role in people]
    with pytest.raises(ConversationError, match=message):
        start_conversation(school.id, teacher, "conversation", chosen, adults)


def test_pupils_of_another_school_cannot_take_part(school, teacher):
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    with pytest.raises(ConversationError, match="not in this school"):
        start_conversation(school.id, teacher, "conversation", [(stranger, "harmed")])


def test_overlong_answers_and_summaries_are_refused(school, teacher, pupils):
    with pytest.raises(ConversationError, match="500 characters"):
        start_conversation(school.id, teacher, "conversation", [(pupils[0], "harmed")], summary="x" * 501)
    talk = start_conversation(school.id, teacher, "conversation", [(pupils[0], "harmed")])
    db.session.flush()
    with pytest.raises(ConversationError, match="1000 characters"):
        save_answers(talk, {talk.participants[0].id: ["x" * 1001]})


def test_a_conference_has_adults_preparation_an_outcome_and_a_review_meeting(school, teacher, pupils):
    amira, ben = pupils
    conference = start_conversation(school.id, teacher, "conference", [(amira, "harmed"), (ben, "caused_harm")],
                                    adults=[("Mrs Jones", "parent_carer"), ("", "other_adult")])
    db.session.flush()
    assert [p.label for p in conference.participants] == ["Amira Khan", "Ben Jones", "Mrs Jones"]
    mum = conference.participants[2]
    save_preparation(conference, {mum.id: "Wants Ben to understand the impact"})
    with pytest.raises(ConversationError, match="outcome agreement"):
        finish(conference, teacher, "", [], review_meeting_on=TODAY, today=TODAY)
    with pytest.raises(ConversationError, match="review meeting date"):
        finish(conference, teacher, "Ben apologises", [], today=TODAY)
    with pytest.raises(ConversationError, match="review meeting date"):
        finish(conference, teacher, "Ben apologises", [], review_meeting_on=TODAY - timedelta(days=1), today=TODAY)
    made = finish(conference, teacher, "Ben apologises; Mrs Jones checks in weekly", [conference.participants[1].id,
                  mum.id], meeting_notes="Everyone spoke.", review_meeting_on=TODAY + timedelta(days=21), today=TODAY)
    db.session.commit()
    assert conference.review_meeting_on == TODAY + timedelta(days=21)
    assert mum.preparation_note == "Wants Ben to understand the impact"
    assert [p.label for p in made.parties] == ["Ben Jones", "Mrs Jones"]
    assert made.source_kind == "conference" and made.review_on == TODAY + timedelta(days=21)


def test_preparation_is_for_conferences_only(school, teacher, pupils):
    talk = start_conversation(school.id, teacher, "conversation", [(pupils[0], "harmed")])
    db.session.flush()
    with pytest.raises(ConversationError, match="Only a conference"):
        save_preparation(talk, {})


def test_a_finished_conversation_cannot_be_changed(school, teacher, pupils):
    talk = start_conversation(school.id, teacher, "conversation", [(pupils[0], "harmed")])
    db.session.flush()
    finish(talk, teacher, None, [], today=TODAY)
    with pytest.raises(ConversationFinished):
        save_answers(talk, {})
    with pytest.raises(ConversationFinished):
        finish(talk, teacher, "Again", [], today=TODAY)


def test_an_agreement_needs_an_owner_and_a_review_date_not_in_the_past(school, teacher, pupils):
    talk = start_conversation(school.id, teacher, "conversation", [(pupils[0], "harmed")])
    db.session.flush()
    with pytest.raises(ConversationError, match="Choose who the agreement is for"):
        finish(talk, teacher, "Play fairly", [], today=TODAY)
    with pytest.raises(ConversationError, match="review date"):
        finish(talk, teacher, "Play fairly", [talk.participants[0].id], review_on=TODAY - timedelta(days=1), today=TODAY)
    assert talk.completed_at is None
