"""A destructive form sent without the page's yes (tapped before the page's scripts had run, or with none) does
nothing: the route answers with a page asking the form's own question (rrp_pwa/asking.py), whose yes sends the
same form again and whose link goes back. Its words are the data-confirm's, word for word."""
import re
from html import unescape

import pytest

from rrp_pwa.agreements.rules import review_agreement
from rrp_pwa.checkins.stations import open_station
from rrp_pwa.circles.question_bank import bank
from rrp_pwa.conversations.restorative import questions_for
from rrp_pwa.extensions import db
from rrp_pwa.mediation.flow import record_mediation
from rrp_pwa.models import Pupil, Staff
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.checkins import CheckInStation
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.safeguarding.concerns import raise_concern
from rrp_pwa.models.sync import ApiToken, WebhookEndpoint
from rrp_pwa.sync.tokens import create_token
from rrp_pwa.sync.webhooks import add_endpoint
from tests.conftest import make_group, make_pupil, make_staff
from tests.test_agreement_reviews import agreement_for


def the_form(page: str, action: str, value: str | None = None) -> str:
    """The form posting to ``action`` (with a hidden field of ``value``, when several post there)."""
    for form in re.findall(r"<form\b[^>]*>.*?</form>", page, re.S):
        if f'action="{action}"' in form and (value is None or f'value="{value}"' in form):
            return form
    raise AssertionError(f"no form posting to {action}")


def asking_page(page: str) -> dict:
    """What the asking page says and sends: its heading, detail, the hidden fields, its yes and its way back."""
    section = re.search(r'<section class="card narrow" aria-labelledby="asking-h">(.*?)</section>', page, re.S)
    assert section, "the asking page"
    body = section.group(1)
    detail = re.search(r"</h1>\s*<p>(.*?)</p>", body, re.S)
    return {"question": unescape(re.search(r'<h1 id="asking-h">(.*?)</h1>', body).group(1)),
            "detail": unescape(detail.group(1)) if detail else "",
            "action": re.search(r'<form method="post" action="([^"]+)"', body).group(1),
            "fields": {unescape(n): unescape(v) for n, v in
                       re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body) if n != "csrf_token"},
            "yes": unescape(re.search(r'<button type="submit" class="button danger">(.*?)</button>', body).group(1)),
            "back": re.search(r'<a class="button" href="([^"]+)">', body).group(1)}


def question_bank(school, admin, client, auth):
    text = "What does a good friend do?"
    return ("/circles/questions", "/circles/questions/remove", {"text": text}, text, "/circles/questions",
            lambda: text not in [prompt.text for prompt in bank(school.id)])


def wording(school, admin, client, auth):
    before = questions_for(school.id, "harmed")
    return ("/admin/questions", "/admin/questions/wording", {"wording": "primary"}, "primary",
            "/admin/questions", lambda: questions_for(school.id, "harmed") != before)


def deactivate(school, admin, client, auth):
    member = make_staff(school, ("teacher",), name="Tom Teacher")
    return (f"/admin/staff/{member.id}", f"/admin/staff/{member.id}/active", {"active": "0"}, "0",
            f"/admin/staff/{member.id}", lambda: not db.session.get(Staff, member.id).active)


def archive(school, admin, client, auth):
    pupil = make_pupil(school, "Ben", "Jones")
    return (f"/pupils/{pupil.id}", f"/admin/pupils/{pupil.id}/archive", {"archived": "1"}, "1",
            f"/pupils/{pupil.id}", lambda: db.session.get(Pupil, pupil.id).archived)


def revoke(school, admin, client, auth):
    token, _ = create_token(admin, "Arbor connector")
    db.session.flush()
    return ("/admin/sync/tokens", f"/admin/sync/tokens/{token.id}/revoke", {}, None, "/admin/sync/tokens",
            lambda: db.session.get(ApiToken, token.id).revoked_at is not None)


def stop_webhook(school, admin, client, auth):
    endpoint = add_endpoint(school.id, "https://brook.example/hook")
    db.session.flush()
    return (f"/admin/sync/webhooks/{endpoint.id}", f"/admin/sync/webhooks/{endpoint.id}/remove", {}, None,
            f"/admin/sync/webhooks/{endpoint.id}", lambda: not db.session.get(WebhookEndpoint, endpoint.id).active)


def cedar_station(school) -> CheckInStation:
    teacher = make_staff(school, ("teacher",), name="Ms Rivers")
    station = open_station(teacher, make_group(school, pupils=[make_pupil(school)], staff=[teacher]), 30)
    db.session.flush()
    return station


def end_station(school, admin, client, auth):
    station = cedar_station(school)
    return (f"/checkins/stations/{station.id}", f"/checkins/stations/{station.id}/end", {}, None,
            f"/checkins/stations/{station.id}", lambda: not db.session.get(CheckInStation, station.id).is_open())


def make_this_device_the_station(school, admin, client, auth):
    """Its opener, on her phone: the device becomes the station and she is signed out on it."""
    station = cedar_station(school)
    signed_in_as(client, auth, station.opened_by)
    return (f"/checkins/stations/{station.id}", f"/checkins/stations/{station.id}/device", {}, None,
            f"/checkins/stations/{station.id}", lambda: client.get("/station").status_code == 200)


def signed_in_as(client, auth, staff) -> None:
    db.session.commit()
    auth.logout()
    auth.login(staff)


def followed_up(school, admin, client, auth):
    """A "not kept" agreement recorded as followed up another way: it leaves the follow-up list for good."""
    pastoral = make_staff(school, ("pastoral",), name="Pat Pastoral")
    agreement = agreement_for(school, [make_pupil(school)], pastoral)
    review_agreement(agreement, "not_kept", None, pastoral)
    signed_in_as(client, auth, pastoral)
    return (f"/agreements/{agreement.id}", f"/agreements/{agreement.id}/followed-up", {}, None,
            f"/agreements/{agreement.id}",
            lambda: db.session.get(Agreement, agreement.id).latest_review.followed_up_at is not None)


def mediation_followed_up(school, admin, client, auth):
    """A mediation that ended with no agreement recorded as followed up another way: it leaves the lead's list."""
    mediation = record_mediation(school.id, [make_pupil(school, "Ava", "Brown", peer_mediator=True)],
                                 [make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Jones")],
                                 agreements={}, outcome="no_agreement")
    db.session.flush()
    return (f"/mediation/records/{mediation.id}", f"/mediation/records/{mediation.id}/followed-up", {}, None,
            f"/mediation/records/{mediation.id}",
            lambda: db.session.get(Mediation, mediation.id).followed_up_at is not None)


def reopen(school, admin, client, auth):
    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    concern = raise_concern(school.id, "Said dad hits her", "chat", pupil=make_pupil(school), raised_by_staff=admin)
    db.session.add(concern)
    concern.status = "closed"
    signed_in_as(client, auth, dsl)
    return (f"/safeguarding/concerns/{concern.id}", f"/safeguarding/concerns/{concern.id}/reopen", {}, None,
            f"/safeguarding/concerns/{concern.id}", lambda: db.session.get(Concern, concern.id).status != "closed")


@pytest.mark.parametrize("case", [question_bank, wording, deactivate, archive, revoke, stop_webhook, end_station,
                                  make_this_device_the_station, followed_up, mediation_followed_up, reopen])
def test_a_destructive_form_sent_unasked_changes_nothing_and_asks_its_own_question(client, auth, case):
    admin = auth.login(roles=("admin",))
    page_url, action, sent, value, back, done = case(admin.school, admin, client, auth)
    db.session.commit()
    form = the_form(client.get(page_url).get_data(as_text=True), action, value)
    confirm = unescape(re.search(r'data-confirm="([^"]+)"', form).group(1))

    answer = client.post(action, data=sent)
    assert answer.status_code == 200
    asked = asking_page(answer.get_data(as_text=True))
    assert " ".join(filter(None, (asked["question"], asked["detail"]))) == confirm, "the words asked on the page"
    assert asked["action"] == action and asked["fields"] == {**sent, "asked": "yes"}
    assert asked["back"] == back
    db.session.expire_all()
    assert not done(), "nothing changed"

    yes = client.post(asked["action"], data=asked["fields"])
    assert yes.status_code == 302
    db.session.expire_all()
    assert done()


def test_what_would_be_refused_or_is_done_already_is_not_asked(client, auth):
    """Deactivating oneself is refused, so it is not asked first (found in review: it asked, then refused); nor is
    taking out a question already out of the bank."""
    admin = auth.login(roles=("admin",))
    db.session.commit()
    own = client.post(f"/admin/staff/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    page = own.get_data(as_text=True)
    assert 'id="asking-h"' not in page and "deactivate your own account" in page
    gone = client.post("/circles/questions/remove", data={"text": "A question the bank never had"})
    assert gone.status_code == 302 and 'id="asking-h"' not in gone.get_data(as_text=True)
