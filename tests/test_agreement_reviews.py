"""Reviews due, reviewing an agreement, stale review forms and the next step after "not kept"."""
from datetime import date, timedelta

import pytest

from rrp_pwa.agreements.rules import (
    AgreementError,
    StaleReview,
    agreements_from,
    make_agreement,
    pupils_involved,
    review_agreement,
)
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement, AgreementReview
from tests.conftest import make_group, make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    school = make_school()
    db.session.commit()
    return school


def agreement_for(school, pupils, staff, review_on=None, source_kind="conversation"):
    agreement = make_agreement(school.id, source_kind, 1, "Play fairly at lunch", pupils=pupils, created_by=staff,
                               review_on=review_on or date.today() - timedelta(days=1))
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
