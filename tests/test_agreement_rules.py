"""The rules of agreements shared by circles and conversations."""
from datetime import date, timedelta

import pytest

from rrp_pwa.agreements.rules import (
    AgreementError,
    agree,
    agreements_for_pupil,
    change_review_date,
    make_agreement,
    review_agreement,
    review_in_weeks,
    reviews_due,
    weeks_until,
)
from rrp_pwa.extensions import db
from tests.conftest import make_pupil, make_school, make_staff

TODAY = date(2026, 11, 27)


@pytest.fixture
def school(app):
    return make_school()


@pytest.mark.parametrize("kwargs, message", [
    ({"what": " "}, "Say what has been agreed"),
    ({"what": "x" * 501}, "500 characters"),
    ({"kind": "wish"}, "isn't recognised"),
    ({"pupils": []}, "Choose who the agreement is for"),
    ({"by_when": TODAY + timedelta(days=2), "review_on": TODAY + timedelta(days=1)}, "can't be before"),
    ({"by_when": TODAY - timedelta(days=30)}, "'by when' date has passed"),
    ({"review_on": TODAY - timedelta(days=1)}, "review date has passed"),
])
def test_bad_agreements_are_refused(school, kwargs, message):
    args = {"what": "Play fairly", "pupils": [make_pupil(school)], "today": TODAY, **kwargs}
    with pytest.raises(AgreementError, match=message):
        make_agreement(school.id, "conversation", 1, args.pop("what"), **args)


def test_every_problem_is_named_at_once_beside_its_field(school):
    """Nothing typed, nobody chosen and both dates passed (the review before the 'by when'): one refusal
    names all five problems, each with the field it is about, so the form needs only one round trip."""
    with pytest.raises(AgreementError) as refused:
        make_agreement(school.id, "conversation", 1, " ", pupils=[], today=TODAY,
                       by_when=TODAY - timedelta(days=2), review_on=TODAY - timedelta(days=3))
    assert refused.value.problems == [
        ("what", "Say what has been agreed."),
        ("parties", "Choose who the agreement is for."),
        ("by_when", "The 'by when' date has passed: choose today or a later day."),
        ("review_on", "The review date has passed: choose today or a later day."),
        ("review_on", "The review date can't be before the 'by when' date."),
    ]
    assert str(refused.value).startswith("Say what has been agreed. Choose who the agreement is for.")


def test_a_value_needs_no_one_and_no_dates(school):
    value = make_agreement(school.id, "circle", 1, "We listen", kind="value", names=[" "], today=TODAY,
                           by_when=TODAY - timedelta(days=2))
    assert value.by_when is None and value.parties == []


def test_every_action_agreement_comes_up_for_review(school):
    """An action made without a review date is reviewed on its 'by when' date, else two weeks on; a
    circle agreement (a value) is never reviewed."""
    amira = make_pupil(school)
    undated = make_agreement(school.id, "circle", 1, "Tidy the pegs", pupils=[amira], today=TODAY)
    by_friday = make_agreement(school.id, "circle", 1, "Say sorry", pupils=[amira], today=TODAY,
                               by_when=TODAY + timedelta(days=3))
    value = make_agreement(school.id, "circle", 1, "We listen", kind="value", today=TODAY)
    assert undated.review_on == TODAY + timedelta(days=14)
    assert by_friday.review_on == TODAY + timedelta(days=3)
    assert value.review_on is None and value.by_when is None


def test_everyone_in_an_agreement_is_from_the_school(school):
    with pytest.raises(AgreementError, match="from this school"):
        make_agreement(school.id, "conversation", 1, "Play fairly", pupils=[make_pupil(make_school("Hill High"))])


def test_agreeing_twice_keeps_the_first_time_and_strangers_cannot_agree(school):
    amira = make_pupil(school)
    agreement = make_agreement(school.id, "conversation", 1, "Play fairly", pupils=[amira], names=["Mr Khan"])
    first = agree(agreement, pupil_id=amira.id).agreed_at
    assert agree(agreement, pupil_id=amira.id).agreed_at == first
    assert agree(agreement, name="Mr Khan").agreed_at is not None
    with pytest.raises(AgreementError, match="Only someone named"):
        agree(agreement, name="Someone else")


def test_reviews_due_are_open_actions_whose_date_has_come_oldest_first(school):
    amira, staff = make_pupil(school), make_staff(school, ("teacher",))
    made = {}
    for name, review_on in (("later", TODAY + timedelta(days=1)), ("today", TODAY),
                            ("last week", TODAY - timedelta(days=7)), ("reviewed", TODAY - timedelta(days=3))):
        made[name] = make_agreement(school.id, "conversation", 1, name, pupils=[amira], review_on=review_on,
                                    today=TODAY - timedelta(days=14))
        db.session.add(made[name])
    db.session.flush()
    review_agreement(made["reviewed"], "kept", None, staff)
    db.session.commit()
    assert [a.what for a in db.session.scalars(reviews_due(school.id, TODAY))] == ["last week", "today"]
    assert len(list(db.session.scalars(agreements_for_pupil(school.id, amira.id)))) == 4


def test_review_outcome_sets_status_and_values_are_not_reviewed(school):
    staff = make_staff(school, ("teacher",))
    value = make_agreement(school.id, "circle", 1, "We listen", kind="value")
    with pytest.raises(AgreementError, match="Only action agreements"):
        review_agreement(value, "kept", None, staff)
    action = make_agreement(school.id, "conversation", 1, "Play fairly", pupils=[make_pupil(school)])
    with pytest.raises(AgreementError, match="Choose kept"):
        review_agreement(action, "maybe", None, staff)
    with pytest.raises(AgreementError, match="Only staff of this school"):
        review_agreement(action, "kept", None, make_staff(make_school("Hill High"), ("teacher",)))
    with pytest.raises(AgreementError, match="Partly kept: choose a day after today"):
        review_agreement(action, "partly_kept", "  Some days  ", staff, today=TODAY)
    with pytest.raises(AgreementError, match="Partly kept: choose a day after today"):
        review_agreement(action, "partly_kept", "  Some days  ", staff, review_again_on=TODAY, today=TODAY)
    review_agreement(action, "partly_kept", "  Some days  ", staff, review_again_on=TODAY + timedelta(days=7),
                     today=TODAY)
    assert action.status == "partly_kept" and action.reviews[0].note == "Some days"
    assert action.review_on == TODAY + timedelta(days=7)


@pytest.mark.parametrize("weeks, expected", [(1, TODAY + timedelta(days=7)), (2, TODAY + timedelta(days=14)),
                                              (4, TODAY + timedelta(days=28))])
def test_a_review_chosen_in_weeks_is_that_many_weeks_from_today(weeks, expected):
    assert review_in_weeks(weeks, TODAY) == expected
    assert weeks_until(expected, TODAY) == weeks


@pytest.mark.parametrize("weeks", [0, 3, 52, None])
def test_only_the_offered_weeks_may_be_chosen(weeks):
    with pytest.raises(AgreementError, match="Choose when you will check it is working"):
        review_in_weeks(weeks, TODAY)


def test_with_no_review_date_yet_the_choice_is_two_weeks():
    assert weeks_until(None, TODAY) == 2 and weeks_until(TODAY + timedelta(days=12), TODAY) == 2


def test_staff_move_a_review_date_by_the_rule_it_was_made_by(school):
    lead = make_staff(school, ("pastoral",))
    agreement = make_agreement(school.id, "mediation", 1, "Share the ball", pupils=[make_pupil(school)],
                               by_when=TODAY + timedelta(days=3), today=TODAY)
    db.session.add(agreement)
    yesterday = TODAY - timedelta(days=1)
    for day, message in [(yesterday, f"The day you chose, {yesterday:%A %-d %B}, has passed"),
                         (TODAY + timedelta(days=2), "can't be before the 'by when' date"), (None, "Choose the day")]:
        with pytest.raises(AgreementError, match=message):
            change_review_date(agreement, day, lead, today=TODAY)
    change_review_date(agreement, TODAY + timedelta(days=20), lead, today=TODAY)
    assert agreement.review_on == TODAY + timedelta(days=20)
    with pytest.raises(AgreementError, match="Only staff of this school"):
        change_review_date(agreement, TODAY + timedelta(days=5), make_staff(make_school("Hill Academy"), ("pastoral",)),
                           today=TODAY)
    review_agreement(agreement, "kept", None, lead)
    with pytest.raises(AgreementError, match="not waiting for a review"):
        change_review_date(agreement, TODAY + timedelta(days=5), lead, today=TODAY)
