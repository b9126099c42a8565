"""Client tests of every peer mediation route: mediators on a shared tablet, the mediation lead,
on-duty staff and everyone else, with bad input, stale forms, other schools and other mediators."""
import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import func, select, update

from rrp_pwa import create_app
from rrp_pwa.extensions import db
from rrp_pwa.mediation import flow
from rrp_pwa.mediation.accounts import badge_token, set_mediator_login
from rrp_pwa.mediation.alerts import carry_on, get_adult
from rrp_pwa.mediation.team import SESSION_KEY
from rrp_pwa.models import Agreement, Concern, EndedSignIn, School
from rrp_pwa.models.mediation import Mediation, MediationAlert, MediatorAccount
from rrp_pwa.realtime import Message, broker
from tests.conftest import AuthActions, make_group, make_pupil, make_school, make_staff
from tests.test_asking import asking_page, the_form

PIN = "4821"
ASKED = {"asked": "yes"}  # the question answered on the page (rrp_pwa/asking.py)


@pytest.fixture
def school(app):
    return make_school()


@pytest.fixture
def people(school):
    ava = make_pupil(school, "Ava", "Brown", peer_mediator=True)
    leo = make_pupil(school, "Leo", "Cole", peer_mediator=True)
    amira = make_pupil(school, "Amira", "Khan")
    ben = make_pupil(school, "Ben", "Jones")
    set_mediator_login(ava, "ava.b", PIN)
    set_mediator_login(leo, "leo.c", "1357")
    db.session.commit()
    return ava, leo, amira, ben


def mediator_sign_in(client, username="ava.b", pin=PIN):
    return client.post("/sign-in/mediator", data={"username": username, "pin": pin})


def start(client, place="Library") -> int:
    response = client.post("/mediate/start", data={"place": place})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def version(mediation_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Mediation, mediation_id).version


def post(client, mediation_id: int, action: str, **data):
    data.setdefault("version", version(mediation_id))
    return client.post(f"/mediate/{mediation_id}/{action}", data=data)


def parties(mediation_id: int):
    db.session.expire_all()
    return db.session.get(Mediation, mediation_id).parties


def with_parties(client, people) -> int:
    mediation_id = start(client)
    for pupil in people[2:]:
        assert post(client, mediation_id, "people", pupil_id=pupil.id).status_code == 302
    return mediation_id


def at_agreements_written(client, people) -> int:
    """A mediation with both parties' agreements written but not yet agreed (the mediators' drafts)."""
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "agreement")
    first, second = parties(mediation_id)
    post(client, mediation_id, "agreements", **{f"p{first.id}": "Share the ball", f"p{second.id}": "Say sorry"})
    return mediation_id


def to_step(client, mediation_id: int, step: str) -> None:
    while db.session.get(Mediation, mediation_id).step != step:
        current = db.session.get(Mediation, mediation_id).step
        if current == "rules":
            for party in parties(mediation_id):
                post(client, mediation_id, f"rules/{party.id}")
        if current in ("stories", "feelings", "ideas"):
            response = post(client, mediation_id, current)
        else:
            response = post(client, mediation_id, "next")
        assert response.status_code == 302, response.get_data(as_text=True)
        db.session.expire_all()


# Sign-in

def test_mediator_signs_in_with_username_and_pin(client, people):
    response = mediator_sign_in(client, " AVA.B ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mediate")
    page = client.get("/mediate").get_data(as_text=True)
    assert "Hello, Ava B.!" in page and "Start a mediation" in page


@pytest.mark.parametrize("data,status,message", [
    ({"username": "ava.b", "pin": "0000"}, 401, "don&#39;t match"),
    ({"username": "nobody", "pin": PIN}, 401, "don&#39;t match"),
    ({"username": "", "pin": ""}, 200, "Type your username."),
    ({"username": "a" * 33, "pin": PIN}, 200, "Field cannot be longer than 32 characters."),
    ({"username": "ava.b", "pin": "123456789"}, 200, "Field cannot be longer than 8 characters."),
])
def test_bad_sign_in_is_refused_and_keeps_the_username(client, people, data, status, message):
    response = client.post("/sign-in/mediator", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == status and message in page
    assert f'value="{data["username"]}"' in page
    assert client.get("/mediate").status_code == 302


def test_wrong_pins_are_throttled_per_mediator_but_partner_still_signs_in(client, people):
    for _ in range(5):
        assert mediator_sign_in(client, pin="0000").status_code == 401
    locked = mediator_sign_in(client)
    assert locked.status_code == 429 and "Too many tries for this username" in locked.get_data(as_text=True)
    assert mediator_sign_in(client, "leo.c", "1357").status_code == 302


def test_a_pupil_who_stops_mediating_cannot_sign_in(client, people):
    people[0].peer_mediator = False
    db.session.commit()
    assert mediator_sign_in(client).status_code == 401


def test_badge_sign_in_asks_first_then_signs_in(app, client, people):
    account = db.session.scalar(select(MediatorAccount).where(MediatorAccount.username == "ava.b"))
    url = f"/sign-in/mediator/badge/{badge_token(account, app.secret_key)}"
    page = client.get(url)
    assert page.status_code == 200 and "Are you Ava B.?" in page.get_data(as_text=True)
    assert client.get("/mediate").status_code == 302, "a GET must not sign anyone in"
    response = client.post(url)
    assert response.status_code == 302 and client.get("/mediate").status_code == 200


def test_revoked_or_forged_badges_are_refused(app, client, people, auth, school):
    account = db.session.scalar(select(MediatorAccount).where(MediatorAccount.username == "ava.b"))
    token = badge_token(account, app.secret_key)
    auth.login(roles=("pastoral",), school=school)
    assert client.post(f"/mediation/mediators/{people[0].id}/revoke-badge", data=ASKED).status_code == 302
    auth.logout()
    for bad in (token, token[:-3] + "abc", "x"):
        url = f"/sign-in/mediator/badge/{bad}"
        page = client.get(url)
        assert page.status_code == 403 and "This badge doesn" in page.get_data(as_text=True)
        assert client.post(url).status_code == 403
    assert client.get("/mediate").status_code == 302


def test_two_mediators_share_the_tablet_and_sign_out_together(client, people):
    mediator_sign_in(client)
    mediator_sign_in(client, "leo.c", "1357")
    assert "Hello, Ava B. and Leo C.!" in client.get("/mediate").get_data(as_text=True)
    mediation_id = start(client)
    mediation = db.session.get(Mediation, mediation_id)
    assert sorted(m.pupil_id for m in mediation.mediators) == sorted([people[0].id, people[1].id])
    assert client.post("/mediate/sign-out", data=ASKED).status_code == 302
    assert client.get("/mediate").status_code == 302


def test_add_my_partner_says_who_is_signed_in_and_leads_back(client, people):
    """"Add my partner" opens the mediator sign-in: it says the first mediator is still signed in and
    offers a way back to their screen, instead of greeting a stranger as if nobody were."""
    mediator_sign_in(client)
    home = client.get("/mediate").get_data(as_text=True)
    assert re.search(r'<a class="button" href="/sign-in/mediator">Add my partner</a>', home)
    page = unescape(client.get("/sign-in/mediator").get_data(as_text=True))
    assert "<h1>Add your partner</h1>" in page and "Ava B. is signed in already." in page
    assert '<a class="back" href="/mediate">Go back without a partner</a>' in page
    assert "sign in first, then add your partner" not in page
    assert client.get("/mediate").status_code == 200, "looking at the page signed nobody out"
    mediator_sign_in(client, "leo.c", "1357")
    assert "Hello, Ava B. and Leo C.!" in client.get("/mediate").get_data(as_text=True)
    # review: with both signed in, the page still asked for a partner; a third signing in takes Ava's place
    full = unescape(client.get("/sign-in/mediator").get_data(as_text=True))
    assert "Add your partner" not in full and '<a class="back" href="/mediate">Go back</a>' in full
    assert "Ava B. and Leo C. are signed in already, and a mediation has two mediators. " \
           "Signing in here signs Ava B. out." in full
    client.post("/mediate/sign-out", data=ASKED)
    signed_out = client.get("/sign-in/mediator").get_data(as_text=True)
    assert "Hello, peer mediator!" in signed_out and "signed in already" not in signed_out
    assert "Go back without a partner" not in signed_out


def test_a_mediation_with_nobody_chosen_yet_is_listed_as_begun_not_as_not_started(client, people):
    mediator_sign_in(client)
    mediation_id = start(client)
    row = re.search(r'<li class="row">\s*(.*?)</li>', client.get("/mediate").get_data(as_text=True), re.S).group(1)
    assert f'href="/mediate/{mediation_id}">People not chosen yet</a>' in row
    assert "Not started" not in row and re.search(r"Started \d+ \w{3}, \d\d:\d\d", row)


def session_cookie(client) -> str:
    return client.get_cookie("rrp_session", domain="rrp.test").value


def test_an_answer_from_before_the_mediators_signed_out_does_not_sign_them_back_in(client, people):
    mediator_sign_in(client)
    mediator_sign_in(client, "leo.c", "1357")
    with client.session_transaction() as session:  # a minute on: the next request refreshes the cookie
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 61}
    assert "rrp_session=" in client.get("/mediate").headers["Set-Cookie"]
    before = session_cookie(client)
    assert client.post("/mediate/sign-out", data=ASKED).status_code == 302
    client.set_cookie("rrp_session", before, domain="rrp.test")  # the slow answer lands after
    response = client.get("/mediate")
    assert response.status_code == 302 and "/sign-in/mediator" in response.headers["Location"]


def test_the_next_mediator_after_a_put_back_cookie_starts_a_team_of_their_own(client, people):
    mediator_sign_in(client)
    before = session_cookie(client)
    client.post("/mediate/sign-out", data=ASKED)
    client.set_cookie("rrp_session", before, domain="rrp.test")
    assert mediator_sign_in(client, "leo.c", "1357").status_code == 302
    page = client.get("/mediate").get_data(as_text=True)
    assert "Hello, Leo C.!" in page and "Ava" not in page


def test_a_mediator_joining_an_idle_team_does_not_bring_their_partner_back(client, people):
    mediator_sign_in(client)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    mediator_sign_in(client, "leo.c", "1357")
    page = client.get("/mediate").get_data(as_text=True)
    assert "Hello, Leo C.!" in page and "Ava" not in page


def test_a_teacher_signing_in_on_the_mediators_tablet_ends_their_sign_in(client, people, auth, school):
    mediator_sign_in(client)
    mediators = session_cookie(client)
    auth.login(school=school)
    client.set_cookie("rrp_session", mediators, domain="rrp.test")
    assert client.get("/mediate").status_code == 302


def test_mediators_signing_in_on_a_teachers_tablet_end_the_teachers_sign_in(client, people, auth, school):
    auth.login(school=school)
    teachers = session_cookie(client)
    mediator_sign_in(client)
    client.set_cookie("rrp_session", teachers, domain="rrp.test")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_mediator_session_ends_after_idle_time(app, client, people):
    mediator_sign_in(client)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    response = client.get("/mediate")
    assert response.status_code == 302 and "/sign-in/mediator" in response.headers["Location"]


def test_idle_time_is_configurable(app, client, people):
    app.config["MEDIATOR_IDLE_MINUTES"] = 30
    mediator_sign_in(client)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    assert client.get("/mediate").status_code == 200


def test_words_typed_when_the_tablet_went_idle_come_back_after_signing_in_again(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "stories")
    first, second = parties(mediation_id)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    words = {f"p{first.id}": "ball, called names", f"p{second.id}": "it was my turn"}
    bounced = post(client, mediation_id, "stories", **words)
    page = bounced.get_data(as_text=True)
    assert bounced.status_code == 401 and "Sign in again to keep what you typed" in page
    assert "ball, called names" in page and "Your PIN" in page
    assert step_of(mediation_id) == "stories" and parties(mediation_id)[0].story_words is None
    fields = dict(re.findall(r'<input type="hidden" name="(p[0-9]+|version)" value="([^"]*)">', page))
    back = client.post(f"/sign-in/mediator?next=/mediate/{mediation_id}/stories",
                       data={"username": "ava.b", "pin": PIN, **fields})
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and "What you typed is still here" in page
    assert "\nball, called names</textarea>" in page and "\nit was my turn</textarea>" in page
    assert post(client, mediation_id, "stories", **words).status_code == 302
    assert [p.story_words for p in parties(mediation_id)] == ["ball, called names", "it was my turn"]


def test_after_an_idle_timeout_a_tap_leads_back_to_the_mediation_not_the_start(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    bounced = post(client, mediation_id, "next")
    assert bounced.status_code == 302 and f"next=/mediate/{mediation_id}/next" in bounced.headers["Location"]
    back = client.post(f"/sign-in/mediator?next=/mediate/{mediation_id}/next", data={"username": "ava.b", "pin": PIN})
    assert back.headers["Location"] == f"/mediate/{mediation_id}"
    assert step_of(mediation_id) == "people", "the tap before the sign-in did nothing"


def test_typed_words_are_not_shown_to_other_mediators_who_sign_in(client, people, school):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "ideas")
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    version_now = version(mediation_id)
    back = client.post(f"/sign-in/mediator?next=/mediate/{mediation_id}/ideas",
                       data={"username": "leo.c", "pin": "1357", "ideas": "share the ball", "version": version_now})
    assert back.status_code == 302 and back.headers["Location"] == "/mediate"
    assert "share the ball" not in client.get("/mediate").get_data(as_text=True)

def test_a_new_pin_ends_the_mediators_session(client, people):
    mediator_sign_in(client)
    set_mediator_login(people[0], "ava.b", "9999")
    db.session.commit()
    assert client.get("/mediate").status_code == 302


def test_anonymous_mediator_pages_go_to_the_mediator_sign_in_and_come_back(client, people):
    response = client.get("/mediate/12")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in/mediator?next=/mediate/12")
    assert client.get("/mediate/12", headers={"HX-Request": "true"}).status_code == 401
    back = client.post("/sign-in/mediator?next=/mediate", data={"username": "ava.b", "pin": PIN})
    assert back.headers["Location"] == "/mediate"
    client.post("/mediate/sign-out", data=ASKED)
    evil = client.post("/sign-in/mediator?next=//evil.example/mediate", data={"username": "ava.b", "pin": PIN})
    assert evil.headers["Location"] == "/mediate"


def test_signing_a_mediator_in_ends_a_staff_session_on_the_tablet(client, auth, people):
    auth.login(roles=("pastoral",))
    assert client.get("/").status_code == 200
    mediator_sign_in(client)
    assert client.get("/").status_code == 302
    assert client.get("/mediate").status_code == 200


def test_staff_sign_in_ends_the_mediator_session(client, auth, people):
    mediator_sign_in(client)
    auth.login(roles=("teacher",))
    assert client.get("/mediate").status_code == 302


def test_csrf_is_required_on_mediator_sign_in(app, client, people):
    app.config["WTF_CSRF_ENABLED"] = True
    response = mediator_sign_in(client)
    assert response.status_code == 400
    page = client.get("/sign-in/mediator").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = client.post("/sign-in/mediator", data={"username": "ava.b", "pin": PIN, "csrf_token": token})
    assert ok.status_code == 302


# What a mediator may (not) see

def test_a_mediator_sees_no_pupil_records_or_staff_screens(app, client, people):
    mediator_sign_in(client)
    mediation_id = start(client)
    mine = {"mediation.team_home", "mediation.start", "mediation.sign_in", "mediation.badge_sign_in",
            "mediation.sign_out"} | {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/mediate/<")}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in mine or rule.endpoint == "static" or app.view_functions[rule.endpoint].access == "public":
            continue
        values = {arg: people[2].id for arg in rule.arguments}
        if "token" in rule.arguments or "uuid" in " ".join(rule.arguments):
            continue
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"HX-Request": "true"})
            assert response.status_code in (401, 403, 404), (rule.rule, method, response.status_code)
            page = client.open(url, method=method, headers={"Accept": "text/html"})
            assert page.status_code in (302, 401, 403, 404, 405), (rule.rule, method, page.status_code)
            if page.status_code == 302:  # to a sign-in page, or a circle seat's join page
                expected = "/join" if app.view_functions[rule.endpoint].access == "seat" else "/sign-in"
                assert page.headers["Location"].startswith(expected), rule.rule
            checked += 1
    assert checked > 20
    assert client.get(f"/mediate/{mediation_id}").status_code == 200, "still signed in as a mediator"


def test_another_mediators_mediation_is_not_found(client, people):
    mediator_sign_in(client, "leo.c", "1357")
    theirs = with_parties(client, people)
    client.post("/mediate/sign-out", data=ASKED)
    mediator_sign_in(client)
    party = parties(theirs)[0]
    for action in ("", "/pupils?q=am", "/status"):
        assert client.get(f"/mediate/{theirs}{action}").status_code == 404
    for action in ("people", f"people/{party.id}/remove", f"rules/{party.id}", "stories", "feelings", "ideas",
                   "agreements", f"agree/{party.id}", "next", "no-agreement", "adult", "carry-on",
                   "adult-took-over", "worry"):
        assert client.post(f"/mediate/{theirs}/{action}", data={"version": 1}).status_code == 404, action
    assert "Amira" not in client.get("/mediate").get_data(as_text=True)


def test_a_new_partner_never_reads_a_mediation_they_were_not_in(client, people, school):
    ava, leo, amira, ben = people
    zoe = make_pupil(school, "Zoe", "Hart", peer_mediator=True)
    set_mediator_login(zoe, "zoe.h", "2468")
    db.session.commit()
    mediator_sign_in(client, "leo.c", "1357")
    mediator_sign_in(client, "zoe.h", "2468")
    theirs = with_parties(client, people)  # Leo and Zoe's, left unfinished
    client.post("/mediate/sign-out", data=ASKED)
    mediator_sign_in(client)  # the next day Ava signs in with Leo
    mediator_sign_in(client, "leo.c", "1357")
    home = client.get("/mediate").get_data(as_text=True)
    assert "Amira" not in home and "Carry on" not in home
    assert client.get(f"/mediate/{theirs}").status_code == 404
    assert client.post(f"/mediate/{theirs}/no-agreement", data={"version": version(theirs)}).status_code == 404
    client.post("/mediate/sign-out", data=ASKED)
    mediator_sign_in(client, "leo.c", "1357")  # Leo on his own carries on with what he was in
    home = client.get("/mediate").get_data(as_text=True)
    assert "Carry on with a mediation" in home and "Amira" in home
    assert client.get(f"/mediate/{theirs}").status_code == 200


def test_a_finished_mediation_is_for_the_lead_not_the_mediators(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    assert post(client, mediation_id, "no-agreement", **ASKED).status_code == 302  # ends it and signs them out
    mediator_sign_in(client)
    assert "Amira" not in client.get("/mediate").get_data(as_text=True)
    assert client.get(f"/mediate/{mediation_id}").status_code == 404


def test_another_schools_mediation_and_pupils_are_not_found(client, people):
    other = make_school("Hill Academy")
    zed = make_pupil(other, "Zed", "Ward", peer_mediator=True)
    amy = make_pupil(other, "Amelia", "West")
    set_mediator_login(zed, "zed.w", "2468")
    db.session.commit()
    mediator_sign_in(client, "zed.w", "2468")
    theirs = start(client)
    client.post("/mediate/sign-out", data=ASKED)
    mediator_sign_in(client)
    assert client.get(f"/mediate/{theirs}").status_code == 404
    mine = start(client)
    assert "Amelia" not in client.get(f"/mediate/{mine}/pupils?q=am").get_data(as_text=True)
    assert post(client, mine, "people", pupil_id=amy.id).status_code == 404


# The mediation, step by step

def test_a_whole_mediation_through_every_step(client, people):
    mediator_sign_in(client)
    mediator_sign_in(client, "leo.c", "1357")
    mediation_id = start(client)
    found = client.get(f"/mediate/{mediation_id}/pupils?q=am").get_data(as_text=True)
    assert "Choose Amira K." in found and "Khan" not in found
    assert "Choose Ava" not in client.get(f"/mediate/{mediation_id}/pupils?q=av").get_data(as_text=True)
    assert "Choose" not in client.get(f"/mediate/{mediation_id}/pupils?q=kha").get_data(as_text=True)
    assert "Choose Amira K." in client.get(f"/mediate/{mediation_id}/pupils?q=amira+k").get_data(as_text=True)
    page = client.get(f"/mediate/{mediation_id}?q=be").get_data(as_text=True)
    assert "Choose Ben J." in page and "Get an adult" in page and "can't be kept a secret" in page
    for pupil in people[2:]:
        assert post(client, mediation_id, "people", pupil_id=pupil.id).status_code == 302
    assert post(client, mediation_id, "next").status_code == 302
    rules = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "We tell the truth." in rules and "Amira K.: I agree" in rules and "Next: tell your stories" not in rules
    first, second = parties(mediation_id)
    assert post(client, mediation_id, "next").status_code == 422
    post(client, mediation_id, f"rules/{first.id}")
    post(client, mediation_id, f"rules/{second.id}")
    assert post(client, mediation_id, "next").status_code == 302
    stories = {f"p{first.id}": "ball, names", f"p{second.id}": ""}
    assert post(client, mediation_id, "stories", **stories).status_code == 302
    feelings = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "How does Amira K. feel?" in feelings and "Worried" in feelings
    feelings = {f"p{first.id}": "angry", f"p{second.id}": "sad"}
    assert post(client, mediation_id, "feelings", **feelings).status_code == 302
    assert post(client, mediation_id, "ideas", ideas="Take turns").status_code == 302
    assert post(client, mediation_id, "agreements",
                **{f"p{first.id}": "Share the ball", f"p{second.id}": "Say sorry"}).status_code == 302
    assert post(client, mediation_id, "next").status_code == 422
    post(client, mediation_id, f"agree/{first.id}")
    post(client, mediation_id, f"agree/{second.id}")
    done = post(client, mediation_id, "next")
    assert done.status_code == 302 and done.headers["Location"] == "/sign-in/mediator"
    assert "Well done!" in client.get("/sign-in/mediator").get_data(as_text=True)
    assert client.get("/mediate").status_code == 302, "the session ends with the mediation"
    db.session.expire_all()
    mediation = db.session.get(Mediation, mediation_id)
    assert mediation.outcome == "agreed" and mediation.place == "Library"
    assert [p.feeling for p in mediation.parties] == ["angry", "sad"]
    assert [p.story_words for p in mediation.parties] == ["ball, names", None]
    agreements = db.session.scalars(select(Agreement).where(Agreement.source_kind == "mediation",
                                                           Agreement.source_id == mediation_id)).all()
    assert sorted(a.what for a in agreements) == ["Say sorry", "Share the ball"]
    assert all(a.parties[0].agreed_at for a in agreements)


@pytest.fixture
def two_mayas(school, people):
    """Two pupils in Year 3 whose short names are the same: both "Maya C."."""
    chen = make_pupil(school, "Maya", "Chen", year_group="Year 3")
    clarke = make_pupil(school, "Maya", "Clarke", year_group="Year 3")
    db.session.commit()
    return chen, clarke


def screen(client, mediation_id: int) -> str:
    """The mediators' screen as read (entities decoded), never naming a Maya ambiguously."""
    page = unescape(client.get(f"/mediate/{mediation_id}").get_data(as_text=True))
    assert "Maya C." not in page, "two Mayas shown alike"
    return page


def test_two_pupils_with_the_same_whole_name_are_offered_with_their_year_once(client, people, school):
    """Review: two Sam Smiths, in Year 3 and Year 4, were offered as "Choose Sam Smith (Year 3) (Year 3)"."""
    make_pupil(school, "Sam", "Smith", year_group="Year 3")
    make_pupil(school, "Sam", "Smith", year_group="Year 4")
    db.session.commit()
    mediator_sign_in(client)
    mediation_id = start(client)
    found = unescape(client.get(f"/mediate/{mediation_id}/pupils?q=sam").get_data(as_text=True))
    assert "Choose Sam Smith (Year 3)</button>" in found and "Choose Sam Smith (Year 4)</button>" in found


def test_two_pupils_with_the_same_short_name_are_told_apart_on_every_step(client, people, two_mayas):
    mediator_sign_in(client)
    mediation_id = start(client)
    found = unescape(client.get(f"/mediate/{mediation_id}/pupils?q=maya").get_data(as_text=True))
    assert "Choose Maya Ch." in found and "Choose Maya Cl." in found
    assert post(client, mediation_id, "people", pupil_id=two_mayas[0].id).status_code == 302
    # review: the other Maya, offered alone, was "Maya C." beside the chosen "Maya Ch."
    found = unescape(client.get(f"/mediate/{mediation_id}/pupils?q=maya").get_data(as_text=True))
    assert "Choose Maya Cl." in found and "Choose Maya C. " not in found
    assert post(client, mediation_id, "people", pupil_id=two_mayas[1].id).status_code == 302
    page = screen(client, mediation_id)
    assert "Remove Maya Ch." in page and "Remove Maya Cl." in page
    assert post(client, mediation_id, "next").status_code == 302
    page = screen(client, mediation_id)
    assert "Maya Ch.: I agree" in page and "Maya Cl.: I agree" in page
    chen, clarke = parties(mediation_id)
    post(client, mediation_id, f"rules/{chen.id}")
    post(client, mediation_id, f"rules/{clarke.id}")
    assert post(client, mediation_id, "next").status_code == 302
    page = screen(client, mediation_id)
    assert "Key words from Maya Ch.'s story" in page and "Key words from Maya Cl.'s story" in page
    assert post(client, mediation_id, "stories").status_code == 302
    page = screen(client, mediation_id)
    assert "How does Maya Ch. feel?" in page and "How does Maya Cl. feel?" in page
    assert post(client, mediation_id, "feelings").status_code == 302
    assert post(client, mediation_id, "ideas", ideas="Take turns").status_code == 302
    page = screen(client, mediation_id)
    assert "What will Maya Ch. do?" in page and "What will Maya Cl. do?" in page
    post(client, mediation_id, "agreements", **{f"p{chen.id}": "Share the ball", f"p{clarke.id}": "Say sorry"})
    page = screen(client, mediation_id)
    assert "Maya Ch.: Share the ball" in page and "Maya Cl.: Say sorry" in page
    assert "Maya Ch.: I agree" in page and "Maya Cl.: I agree" in page
    changed = post(client, mediation_id, f"agree/{clarke.id}", **{f"p{clarke.id}": "Say sorry twice"})
    assert changed.status_code == 422
    assert "Maya Cl.'s agreement was changed on the screen" in unescape(changed.get_data(as_text=True))
    post(client, mediation_id, f"agree/{chen.id}")
    page = screen(client, mediation_id)
    assert "Maya Ch.: I agree" not in page and "Maya Cl.: I agree" in page


def test_the_worry_form_tells_apart_two_pupils_with_the_same_short_name(client, people, two_mayas):
    """"Who is it about?" names each Maya so that she can be told apart, and the concern is about the
    Maya chosen."""
    mediator_sign_in(client)
    mediation_id = start(client)
    for maya in two_mayas:
        post(client, mediation_id, "people", pupil_id=maya.id)
    post(client, mediation_id, "adult")
    page = screen(client, mediation_id)
    about = re.findall(r'<label class="check"><input[^>]*name="about"[^>]*value="(\d*)"[^>]*> ([^<]+)</label>', page)
    assert about == [("", "Nobody in particular"), (str(two_mayas[0].id), "Maya Ch."),
                     (str(two_mayas[1].id), "Maya Cl.")]
    told = client.post(f"/mediate/{mediation_id}/worry", data={"note": "She said she is scared to go home",
                                                               "about": str(two_mayas[1].id)})
    assert told.status_code == 302
    assert db.session.scalar(select(Concern)).pupil_id == two_mayas[1].id


def test_staff_tell_apart_two_pupils_with_the_same_short_name_in_the_alert_and_the_leads_list(
        app, client, auth, school, people, two_mayas):
    mediator_sign_in(client)
    mediation_id = start(client)
    for maya in two_mayas:
        post(client, mediation_id, "people", pupil_id=maya.id)
    post(client, mediation_id, "adult")
    lead = app.test_client()
    AuthActions(lead).login(roles=("pastoral",), school=school)  # nobody on duty: the lead gets the alert
    alert = unescape(lead.get("/mediation/alerts").get_data(as_text=True))
    assert "with Maya Ch. and Maya Cl." in alert and "Maya C." not in alert
    listed = unescape(lead.get("/mediation").get_data(as_text=True))
    assert "Maya Ch. and Maya Cl." in listed and "Maya C." not in listed
    home = unescape(client.get("/mediate").get_data(as_text=True))
    assert "Maya Ch. and Maya Cl." in home and "Maya C." not in home


def test_two_mediators_with_the_same_short_name_are_told_apart(client, school, people, two_mayas):
    for maya, username in zip(two_mayas, ("maya.ch", "maya.cl")):
        maya.peer_mediator = True
        set_mediator_login(maya, username, PIN)
    db.session.commit()
    mediator_sign_in(client, "maya.ch")
    mediator_sign_in(client, "maya.cl")
    assert "Hello, Maya Ch. and Maya Cl.!" in unescape(client.get("/mediate").get_data(as_text=True))


def test_rewriting_an_agreement_needs_a_new_tap(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "agreement")
    first, second = parties(mediation_id)
    post(client, mediation_id, "agreements", **{f"p{first.id}": "Share", f"p{second.id}": "Sorry"})
    post(client, mediation_id, f"agree/{first.id}")
    post(client, mediation_id, "agreements", **{f"p{first.id}": "Share the ball", f"p{second.id}": "Sorry"})
    first, second = parties(mediation_id)
    assert first.agreement.what == "Share the ball" and first.agreement.parties[0].agreed_at is None
    assert db.session.scalar(select(db.func.count(Agreement.id))) == 2


def test_i_agree_after_the_words_were_changed_on_screen_asks_to_save_them_first(client, people):
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    first, second = parties(mediation_id)
    changed = post(client, mediation_id, f"agree/{first.id}",
                   **{f"p{first.id}": "Share the ball every day", f"p{second.id}": "Say sorry"})
    page = changed.get_data(as_text=True)
    assert changed.status_code == 422 and "agreement was changed on the screen" in page
    assert "Share the ball every day</textarea>" in page, "the new words stay on the screen"
    assert parties(mediation_id)[0].agreement.parties[0].agreed_at is None, "nobody agreed to the old words"
    same = post(client, mediation_id, f"agree/{first.id}", **{f"p{first.id}": " Share the ball ",
                                                             f"p{second.id}": "Say sorry"})
    assert same.status_code == 302 and parties(mediation_id)[0].agreement.parties[0].agreed_at is not None


def test_finish_after_the_words_were_changed_on_screen_asks_to_save_them_first(client, people):
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    first, second = parties(mediation_id)
    for party in (first, second):
        post(client, mediation_id, f"agree/{party.id}")
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert re.search(r'action="/mediate/[0-9]+/next" data-takes-typed="step-form"', page), "Finish sends the words"
    changed = post(client, mediation_id, "next", **{f"p{first.id}": "Share the ball",
                                                     f"p{second.id}": "Say sorry and mean it"})
    page = changed.get_data(as_text=True)
    assert changed.status_code == 422 and "Ben J.&#39;s agreement was changed on the screen" in page
    assert "Say sorry and mean it</textarea>" in page, "the new words stay on the screen"
    assert step_of(mediation_id) == "agreement", "the old words did not go into the record"
    same = post(client, mediation_id, "next", **{f"p{first.id}": "Share the ball ", f"p{second.id}": "Say sorry"})
    assert same.status_code == 302 and db.session.get(Mediation, mediation_id).outcome == "agreed"


def test_finish_without_the_words_sent_finishes_with_the_saved_agreements(client, people):
    """A page without its script sends no words: nothing was changed on the screen that the server could know."""
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    for party in parties(mediation_id):
        post(client, mediation_id, f"agree/{party.id}")
    assert post(client, mediation_id, "next").status_code == 302
    assert [p.agreement.what for p in parties(mediation_id)] == ["Share the ball", "Say sorry"]


def test_we_cant_agree_says_what_is_written_will_not_be_kept(client, people):
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert ('data-confirm="End the mediation without an agreement? What is written for the agreements will not '
            'be kept.') in page


def step_of(mediation_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Mediation, mediation_id).step


def test_mediators_can_go_back_a_step_and_keep_what_they_typed(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    assert "Back to" not in client.get(f"/mediate/{mediation_id}").get_data(as_text=True), "nothing before people"
    assert post(client, mediation_id, "back").status_code == 422 and step_of(mediation_id) == "people"
    to_step(client, mediation_id, "stories")
    first, second = parties(mediation_id)
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "Back to the ground rules" in page
    words = {f"p{first.id}": "ball, names", f"p{second.id}": "my turn"}
    assert post(client, mediation_id, "stories", go="back", **words).status_code == 302
    assert step_of(mediation_id) == "rules", "Back in the stories form goes back a step"
    assert [p.story_words for p in parties(mediation_id)] == ["ball, names", "my turn"], "and keeps the words"
    assert "&#10004; Agreed" in client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert post(client, mediation_id, "next").status_code == 302 and step_of(mediation_id) == "stories"
    assert "ball, names" in client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    to_step(client, mediation_id, "agreement")
    post(client, mediation_id, "agreements", **{f"p{first.id}": "Share the ball", f"p{second.id}": "Say sorry"})
    assert post(client, mediation_id, "back").status_code == 302 and step_of(mediation_id) == "ideas"
    post(client, mediation_id, "ideas", ideas="Take turns")
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert step_of(mediation_id) == "agreement" and "Share the ball" in page and "Say sorry" in page


def test_back_from_the_agreement_step_keeps_the_agreements_being_written(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "agreement")
    first, second = parties(mediation_id)
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert re.search(r'name="go" value="back"[^>]*>Back to ideas<', page), "Back sends the agreements' form"
    back = post(client, mediation_id, "agreements", go="back", review_weeks="4",
                **{f"p{first.id}": "Give Ben a turn", f"p{second.id}": ""})
    assert back.status_code == 302 and step_of(mediation_id) == "ideas", "half-written is no error on the way back"
    assert post(client, mediation_id, "ideas").status_code == 302
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "Give Ben a turn</textarea>" in page and re.search(r'value="4" checked|checked[^>]*value="4"', page)
    assert "Amira K.: I agree" not in page
    too_long = post(client, mediation_id, "agreements", go="back", **{f"p{first.id}": "z" * 501})
    assert too_long.status_code == 422 and step_of(mediation_id) == "agreement"
    assert "Field cannot be longer than 500 characters." in too_long.get_data(as_text=True)


@pytest.mark.parametrize("action,data,message", [
    ("stories", {"p{0}": "x" * 301}, "Field cannot be longer than 300 characters."),
    ("feelings", {"p{0}": "smug"}, "Not a valid choice."),
    ("ideas", {"ideas": "y" * 501}, "Field cannot be longer than 500 characters."),
    ("agreements", {"p{0}": "", "p{1}": "Say sorry"}, "Write what they will do."),
    ("agreements", {"p{0}": "z" * 501, "p{1}": "Say sorry"}, "Field cannot be longer than 500 characters."),
])
def test_bad_input_is_shown_beside_the_field_and_kept(client, people, action, data, message):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    step = {"agreements": "agreement"}.get(action, action)
    to_step(client, mediation_id, step)
    ids = [p.id for p in parties(mediation_id)]
    filled = {key.format(*ids): value for key, value in data.items()}
    response = post(client, mediation_id, action, **filled)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    if action != "feelings":  # a made-up feeling cannot be shown back as a choice
        assert next(v for v in filled.values() if v)[:50] in page
    assert db.session.get(Mediation, mediation_id).step == step


def test_a_stale_form_changes_nothing_and_shows_the_latest(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    old = version(mediation_id)
    post(client, mediation_id, "next")
    first = parties(mediation_id)[0]
    response = post(client, mediation_id, f"rules/{first.id}", version=old)
    assert response.status_code == 409 and "out of date" in response.get_data(as_text=True)
    assert parties(mediation_id)[0].rules_agreed_at is None
    skipped = post(client, mediation_id, "ideas", ideas="jump ahead")
    assert skipped.status_code == 409 and db.session.get(Mediation, mediation_id).ideas is None


def test_people_step_rules(client, people):
    mediator_sign_in(client)
    mediation_id = start(client)
    assert post(client, mediation_id, "people", pupil_id=people[0].id).status_code == 422
    assert post(client, mediation_id, "people", pupil_id=999999).status_code == 404
    assert post(client, mediation_id, "people", pupil_id="").status_code == 422
    post(client, mediation_id, "people", pupil_id=people[2].id)
    party = parties(mediation_id)[0]
    assert post(client, mediation_id, f"people/{party.id}/remove").status_code == 302
    assert parties(mediation_id) == []
    long_place = client.post("/mediate/start", data={"place": "p" * 81})
    assert long_place.status_code == 422
    assert "Field cannot be longer than 80 characters." in long_place.get_data(as_text=True)


def test_no_agreement_ends_the_mediation_for_staff_to_follow_up(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    assert post(client, mediation_id, "no-agreement", **ASKED).status_code == 302
    assert db.session.get(Mediation, mediation_id).outcome == "no_agreement"


def test_we_cant_agree_alerts_the_staff_on_duty_to_take_over_and_says_so(app, client, people, school):
    """"We can't agree": the mediation ends with no agreement and the adults are alerted as by "Get an adult"
    (the rules say an adult takes over); the mediators are thanked for trying and told an adult is coming, not
    "Well done! The mediation is finished" as if they had agreed. The adult who answers takes it over."""
    pastoral = make_staff(school, ("pastoral",), name="Pat Pastoral")  # nobody on duty: the pastoral lead
    db.session.commit()
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    subscription = broker().subscribe(f"school:{school.id}:alerts")
    ended = post(client, mediation_id, "no-agreement", **ASKED)
    assert ended.status_code == 302 and ended.headers["Location"] == "/sign-in/mediator"
    assert subscription.get(timeout=1).event == "alert"
    subscription.close()
    told = unescape(client.get("/sign-in/mediator").get_data(as_text=True))
    assert "Thank you for trying" in told and "an adult will come and take over" in told
    assert "Well done!" not in told and "The mediation is finished" not in told
    db.session.expire_all()
    mediation = db.session.get(Mediation, mediation_id)
    assert mediation.outcome == "no_agreement" and mediation.outcome_label == "No agreement - passed to staff"
    assert db.session.scalar(select(func.count(Agreement.id))) == 0, "what was written is not kept"
    alert = mediation.open_alert
    assert alert is not None and alert.raised_by_pupil_id == people[0].id

    staff_client = app.test_client()
    staff_client.post("/sign-in", data={"email": pastoral.email, "password": "correct horse battery"})
    panel = staff_client.get("/mediation/alerts").get_data(as_text=True)
    assert "No agreement: mediators need an adult to take over in Library" in panel and "Ava B." in panel
    answered = staff_client.post(f"/mediation/alerts/{alert.id}/answer", headers={"HX-Request": "true"})
    taking_over = "You're taking over the mediation with Amira K. and Ben J. in Library"
    assert taking_over in unescape(answered.get_data(as_text=True))
    panel = unescape(staff_client.get("/mediation/alerts").get_data(as_text=True))
    assert "No mediators need an adult right now." in panel and "You're taking over" in panel
    colleague = make_staff(school, ("pastoral",), name="Paz Pastoral")  # also gets alerts: sees who took it over
    db.session.commit()
    other = app.test_client()
    other.post("/sign-in", data={"email": colleague.email, "password": "correct horse battery"})
    assert "Pat Pastoral is taking over the mediation" in other.get("/mediation/alerts").get_data(as_text=True)
    db.session.expire_all()
    alert = db.session.get(MediationAlert, alert.id)
    assert alert.answered_by_id == pastoral.id and alert.resolved_at is not None


# Get an adult

def test_get_an_adult_pauses_alerts_staff_and_carries_on(app, client, people, school):
    pastoral = make_staff(school, ("pastoral",), name="Pat Pastoral")
    db.session.commit()
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    subscription = broker().subscribe(f"school:{people[0].school_id}:alerts")
    assert post(client, mediation_id, "adult").status_code == 302
    assert subscription.get(timeout=1).event == "alert"
    subscription.close()
    paused = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "An adult is coming" in paused and "You are not in trouble" in paused
    assert "can't be kept a secret" in paused
    assert post(client, mediation_id, "next").status_code == 422, "nothing moves on while paused"
    assert post(client, mediation_id, "adult").status_code == 302
    assert db.session.scalar(select(db.func.count(MediationAlert.id))) == 1
    alert = db.session.scalar(select(MediationAlert))
    staff_client = app.test_client()
    staff_client.post("/sign-in", data={"email": pastoral.email, "password": "correct horse battery"})
    panel = staff_client.get("/mediation/alerts").get_data(as_text=True)
    assert "Mediators need an adult in Library" in panel and "Ava B." in panel
    home = staff_client.get("/").get_data(as_text=True)
    assert 'sse-connect="/mediation/alerts/stream"' in home and "mediation.css" in home
    teacher = make_staff(school, ("teacher",), name="Tom Teacher")  # not on duty: the alert is not theirs
    db.session.commit()
    bystander = app.test_client()
    bystander.post("/sign-in", data={"email": teacher.email, "password": "correct horse battery"})
    assert bystander.post(f"/mediation/alerts/{alert.id}/answer").status_code == 403
    assert "is on the way" not in client.get(f"/mediate/{mediation_id}/status").get_data(as_text=True)
    answered = staff_client.post(f"/mediation/alerts/{alert.id}/answer", headers={"HX-Request": "true"})
    assert answered.status_code == 200 and "You're on your way" in answered.get_data(as_text=True)
    assert "Pat Pastoral is on the way" in client.get(f"/mediate/{mediation_id}/status").get_data(as_text=True)
    other_lead = make_staff(school, ("pastoral",), name="Paz Pastoral")  # also gets alerts: sees who is going
    db.session.commit()
    colleague = app.test_client()
    colleague.post("/sign-in", data={"email": other_lead.email, "password": "correct horse battery"})
    assert "Pat Pastoral is on the way" in colleague.get("/mediation/alerts").get_data(as_text=True)
    assert post(client, mediation_id, "carry-on").status_code == 302
    assert "Get an adult" in client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "Mediators need an adult" not in staff_client.get("/mediation/alerts").get_data(as_text=True)


def test_the_alert_panel_drops_yesterdays_we_cant_agree_and_dates_a_call_from_before_today(client, auth, people,
                                                                                            school):
    """Review: a "We can't agree" nobody answered stayed on the panel day after day, showing only a time, as if it
    had just come in. The next day it is gone; a paused mediation's "Get an adult" from yesterday is still there,
    with its date."""
    from rrp_pwa.mediation.alerts import pass_to_staff

    ava, leo, amira, ben = people
    paused, ended = (flow.start_mediation(school.id, [ava, leo], place) for place in ("Library", "Hall"))
    db.session.add_all([paused, ended])
    for mediation in (paused, ended):
        flow.add_party(mediation, amira)
        flow.add_party(mediation, ben)
    waiting, call = get_adult(paused, ava), pass_to_staff(ended, ava)
    db.session.flush()
    auth.login(roles=("pastoral",), school=school)
    panel = client.get("/mediation/alerts").get_data(as_text=True)
    assert "Mediators need an adult in Library" in panel and "mediators need an adult to take over in Hall" in panel
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    waiting.raised_at = call.raised_at = ended.completed_at = yesterday
    db.session.commit()
    panel = client.get("/mediation/alerts").get_data(as_text=True)
    assert "Mediators need an adult in Library" in panel and "in Hall" not in panel
    day = yesterday.astimezone(school.zone)
    assert f"{day.day} {day.strftime('%b')}, {day.strftime('%H:%M')} · mediators" in panel


def test_get_an_adult_works_even_from_an_out_of_date_screen(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    old = version(mediation_id)
    post(client, mediation_id, "next")
    assert post(client, mediation_id, "adult", version=old).status_code == 302
    assert db.session.get(Mediation, mediation_id).paused_at is not None


@pytest.mark.parametrize("step,typed,kept", [
    ("stories", lambda a, b: {f"p{a}": "ball, called names", f"p{b}": ""},
     lambda m: [p.story_words for p in m.parties] == ["ball, called names", None]),
    ("feelings", lambda a, b: {f"p{a}": "angry", f"p{b}": "left_out"},
     lambda m: [p.feeling for p in m.parties] == ["angry", "left_out"]),
    ("ideas", lambda a, b: {"ideas": "take turns with the ball"}, lambda m: m.ideas == "take turns with the ball"),
    ("agreement", lambda a, b: {f"p{a}": "Give Ben a turn", f"p{b}": "", "review_weeks": "1"},
     lambda m: [p.agreement and p.agreement.what for p in m.parties] == ["Give Ben a turn", None]),
])
def test_get_an_adult_keeps_what_was_typed_on_the_step(client, people, step, typed, kept):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, step)
    first, second = parties(mediation_id)
    assert post(client, mediation_id, "adult", **typed(first.id, second.id)).status_code == 302
    db.session.expire_all()
    mediation = db.session.get(Mediation, mediation_id)
    assert mediation.paused_at is not None and mediation.step == step, "paused on the same step"
    assert kept(mediation)
    assert post(client, mediation_id, "carry-on").status_code == 302
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    for words in typed(first.id, second.id).values():
        assert len(words) < 2 or words in page


def test_an_agreement_kept_through_get_an_adult_is_a_draft_until_all_is_agreed(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "agreement")
    first, second = parties(mediation_id)
    post(client, mediation_id, "adult", **{f"p{first.id}": "Give Ben a turn", "review_weeks": "1"})
    post(client, mediation_id, "carry-on")
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "Give Ben a turn</textarea>" in page and "Amira K.: I agree" not in page, "no tap before both are written"
    assert post(client, mediation_id, "next").status_code == 422
    assert db.session.scalar(select(db.func.count(Agreement.id))) == 1


def test_get_an_adult_with_nothing_typed_sent_changes_nothing_already_recorded(client, people):
    """Without its script the page sends "Get an adult" alone: what was saved on the step stays."""
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "stories")
    first, second = parties(mediation_id)
    post(client, mediation_id, "stories", go="back", **{f"p{first.id}": "ball", f"p{second.id}": "my turn"})
    post(client, mediation_id, "next")
    assert post(client, mediation_id, "adult").status_code == 302
    assert [p.story_words for p in parties(mediation_id)] == ["ball", "my turn"]


def test_words_too_long_do_not_stop_get_an_adult(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "ideas")
    assert post(client, mediation_id, "adult", ideas="x" * 501).status_code == 302
    mediation = db.session.get(Mediation, mediation_id)
    assert mediation.paused_at is not None and mediation.ideas is None


def test_a_tap_after_the_session_ended_unseen_leads_to_sign_in_not_bad_request(app, client, people):
    """The paused screen's "who is coming" check (the first request of a tablet woken after 10 minutes
    asleep) ends the idle session; the mediators' next tap must lead to sign-in, keeping what was typed."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/sign-in/mediator").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/sign-in/mediator", data={"username": "ava.b", "pin": PIN, "csrf_token": token})
    app.config["WTF_CSRF_ENABLED"] = False
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "ideas")
    post(client, mediation_id, "adult")
    app.config["WTF_CSRF_ENABLED"] = True
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(f"/mediate/{mediation_id}").get_data(as_text=True)).group(1)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    assert client.get(f"/mediate/{mediation_id}/status", headers={"HX-Request": "true"}).status_code == 401
    carry_on = post(client, mediation_id, "carry-on", csrf_token=token)
    assert carry_on.status_code == 302
    assert carry_on.headers["Location"].startswith(f"/sign-in/mediator?next=/mediate/{mediation_id}/carry-on")
    typed = post(client, mediation_id, "ideas", csrf_token=token, ideas="share the ball")
    assert typed.status_code == 401 and "Sign in again to keep what you typed" in typed.get_data(as_text=True)
    assert "share the ball" in typed.get_data(as_text=True)


def idle_for(client, minutes: int) -> None:
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - minutes * 60}


def test_get_an_adult_from_a_tablet_gone_idle_still_alerts_then_asks_to_sign_in(client, people):
    """Nobody touched the tablet while the pupils talked; then something worrying was said."""
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "stories")
    first, second = parties(mediation_id)
    subscription = broker().subscribe(f"school:{people[0].school_id}:alerts")
    idle_for(client, 25)
    response = post(client, mediation_id, "adult", **{f"p{first.id}": "ball", f"p{second.id}": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in/mediator?next=/mediate/{mediation_id}"
    assert subscription.get(timeout=1).event == "alert"
    subscription.close()
    mediation = db.session.get(Mediation, mediation_id)
    assert mediation.paused_at is not None and mediation.open_alert is not None
    assert parties(mediation_id)[0].story_words == "ball"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have told the adults on duty" in page and "sign in again to carry on" in page
    assert client.get(f"/mediate/{mediation_id}").status_code == 302, "signed out: nothing else is open"
    back = mediator_sign_in(client)
    assert back.status_code == 302


def test_get_an_adult_from_an_idle_tablet_that_fails_shows_nothing_and_asks_to_sign_in(client, people):
    """A screen too broken to act on (no version): the idle session neither errors (500) nor shows the
    mediation's screen; it ends, and the mediators are told the adults were not told."""
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "stories")
    first, second = parties(mediation_id)
    post(client, mediation_id, "stories", **{f"p{first.id}": "ball", f"p{second.id}": "pushed"})
    post(client, mediation_id, "back")
    idle_for(client, 25)
    response = client.post(f"/mediate/{mediation_id}/adult", data={"version": "x"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in/mediator?next=/mediate/{mediation_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The adults have not been told" in page and "pushed" not in page
    assert db.session.get(Mediation, mediation_id).paused_at is None
    assert client.get(f"/mediate/{mediation_id}").status_code == 302, "signed out: nothing else is open"


@pytest.mark.parametrize("how", ["idle all lunchtime", "signed out"])
def test_a_session_long_gone_cannot_get_an_adult(client, people, how):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    old = version(mediation_id)
    if how == "signed out":
        client.post("/mediate/sign-out", data=ASKED)
    else:
        idle_for(client, 61)
    response = client.post(f"/mediate/{mediation_id}/adult", data={"version": old})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in/mediator?next=")
    assert db.session.get(Mediation, mediation_id).paused_at is None


def test_a_copy_of_a_signed_out_tablets_cookie_cannot_get_an_adult_within_the_hour(app, client, people):
    """A copy of the cookie (put back by a late answer, say) stays signed out for as long as Get an adult
    accepts an idle session: the record of the sign-out is kept that long, not only the 10 minutes."""
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    old = version(mediation_id)
    with client.session_transaction() as session:
        copy = {**session}
    client.post("/mediate/sign-out", data=ASKED)
    forty_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=40)
    db.session.execute(update(EndedSignIn).values(ended_at=forty_minutes_ago))
    db.session.commit()
    tablet = app.test_client()  # another sign-out forgets the sign-outs it may forget
    mediator_sign_in(tablet, "leo.c", "1357")
    tablet.post("/mediate/sign-out", data=ASKED)
    with client.session_transaction() as session:
        session.clear()
        session.update({**copy, SESSION_KEY: {**copy[SESSION_KEY], "seen": int(time.time()) - 40 * 60}})
    response = client.post(f"/mediate/{mediation_id}/adult", data={"version": old})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in/mediator?next=")
    db.session.expire_all()
    assert db.session.get(Mediation, mediation_id).paused_at is None


@pytest.mark.parametrize("help_minutes, idle_minutes, helped", [(20, 25, False), (20, 15, True), (90, 75, True)])
def test_how_long_an_idle_tablet_may_still_get_an_adult_is_a_setting(app, client, people, help_minutes,
                                                                      idle_minutes, helped):
    app.config["MEDIATOR_HELP_IDLE_MINUTES"] = help_minutes
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    idle_for(client, idle_minutes)
    response = post(client, mediation_id, "adult")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in/mediator?next=")
    assert (db.session.get(Mediation, mediation_id).paused_at is not None) is helped
    if helped:
        assert "We have told the adults on duty" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_idle_tablet_may_only_get_an_adult(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    idle_for(client, 11)
    assert post(client, mediation_id, "next").status_code == 302
    assert step_of(mediation_id) == "people"


def test_the_adult_can_take_over(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    post(client, mediation_id, "adult")
    assert post(client, mediation_id, "adult-took-over", **ASKED).status_code == 302
    assert db.session.get(Mediation, mediation_id).outcome == "adult_took_over"
    assert client.get("/mediate").status_code == 302


def test_a_worry_goes_to_the_dsl_only(app, client, auth, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    post(client, mediation_id, "adult")
    assert client.post(f"/mediate/{mediation_id}/worry", data={"note": ""}).status_code == 422
    too_long = client.post(f"/mediate/{mediation_id}/worry", data={"note": "n" * 5001})
    assert too_long.status_code == 422 and "n" * 5001 in too_long.get_data(as_text=True)
    assert client.post(f"/mediate/{mediation_id}/worry",
                       data={"note": "x", "about": str(people[0].id)}).status_code == 422
    response = client.post(f"/mediate/{mediation_id}/worry",
                           data={"note": "Ben said he is scared to go home", "about": str(people[3].id)})
    assert response.status_code == 302
    concern = db.session.scalar(select(Concern))
    assert concern.raised_by_pupil_id == people[0].id and concern.pupil_id == people[3].id
    post(client, mediation_id, "adult-took-over", **ASKED)
    auth.login(roles=("pastoral",))
    record = client.get(f"/mediation/records/{mediation_id}").get_data(as_text=True)
    assert "scared" not in record


def test_a_worry_sent_twice_from_one_form_reaches_the_dsl_once(app, client, school, people):
    """The mediators tap "Tell the safeguarding lead" and no answer comes (slow Wi-Fi), so they tap it again:
    the worry is one concern for the DSL, and both taps are told it has gone. A worry written afresh on the
    next screen is a concern of its own."""
    make_staff(school, ("dsl",))
    db.session.commit()
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    post(client, mediation_id, "adult")
    screen = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    form_id = re.search(r'name="client_uuid"[^>]*value="([^"]+)"', screen).group(1)
    worry = {"note": "Ben said he is scared to go home", "client_uuid": form_id}
    for _ in range(2):
        told = client.post(f"/mediate/{mediation_id}/worry", data=worry, follow_redirects=True).get_data(as_text=True)
        assert "Your worry has gone to the safeguarding lead" in told
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 1
    next_form = re.search(r'name="client_uuid"[^>]*value="([^"]+)"', told).group(1)
    assert next_form != form_id
    client.post(f"/mediate/{mediation_id}/worry", data={**worry, "client_uuid": next_form})
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 2


def test_alert_panel_and_stream_only_for_staff_who_receive_alerts(app, client, auth, school):
    auth.login(roles=("teacher",), school=school)
    assert client.get("/mediation/alerts/stream", headers={"Accept": "text/event-stream"}).status_code == 403
    assert "Peer mediation alerts" not in client.get("/").get_data(as_text=True)
    assert "Mediators need" not in client.get("/mediation/alerts").get_data(as_text=True)
    assert client.post("/mediation/duty", data={"on_duty": "1"}).status_code == 403


def test_an_answer_refused_from_the_panel_is_said_in_the_panel_not_on_a_later_page(client, auth, people, school):
    """Review: an I'm on my way sent from the live panel (htmx) for a call that had gone was refused with a flash,
    which then turned up on the adult's next page. It is said in the panel it was sent from."""
    ava, leo, amira, ben = people
    mediation = flow.start_mediation(school.id, [ava, leo], "Library")
    db.session.add(mediation)
    flow.add_party(mediation, amira)
    flow.add_party(mediation, ben)
    alert = get_adult(mediation, ava)
    db.session.commit()
    carry_on(mediation, mediation.version)  # the mediators carried on: the call has gone
    db.session.commit()
    auth.login(roles=("pastoral",), school=school)
    answered = client.post(f"/mediation/alerts/{alert.id}/answer", headers={"HX-Request": "true"})
    panel = answered.get_data(as_text=True)
    assert answered.status_code == 200
    assert '<p class="form-errors" role="alert">That mediation no longer needs an adult.</p>' in panel
    assert "no longer needs an adult" not in client.get("/").get_data(as_text=True)


def test_staff_on_duty_get_the_stream(app, client, auth, school):
    auth.login(roles=("support",), school=school)
    make_staff(school, ("pastoral",))
    db.session.commit()
    assert client.get("/mediation/alerts/stream").status_code == 403, "a pastoral lead is the fallback"
    assert client.post("/mediation/duty", data={"on_duty": "1"}).status_code == 302
    assert "You are on duty" in client.get("/mediation/duty").get_data(as_text=True)
    response = client.get("/mediation/alerts/stream", headers={"Accept": "text/event-stream"})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).startswith(b": open")
    broker().publish(f"school:{school.id}:alerts", Message("alert", "7"))
    assert next(chunks).decode() == "event: alert\ndata: 7\n\n"
    response.close()


# Staff screens: role x route

LEAD_PAGES = ["/mediation", "/mediation/mediators", "/mediation/badges", "/mediation/mediators/{ava}",
              "/mediation/records/{mediation}"]


@pytest.fixture
def finished(school, people) -> Mediation:
    ava, leo, amira, ben = people
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben],
                                      agreements={amira.id: "Share the ball", ben.id: "Say sorry"},
                                      feelings={amira.id: "angry"}, stories={amira.id: "muddy bag"})
    db.session.commit()
    return mediation


@pytest.mark.parametrize("roles,allowed", [
    (("pastoral",), True), (("admin",), True), (("teacher",), False), (("support",), False), (("dsl",), False),
])
@pytest.mark.parametrize("page", LEAD_PAGES)
def test_lead_pages_by_role(client, auth, school, people, finished, roles, allowed, page):
    auth.login(roles=roles, school=school)
    response = client.get(page.format(ava=people[0].id, mediation=finished.id))
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("roles,allowed", [
    (("pastoral",), True), (("admin",), True), (("teacher",), False), (("support",), False), (("dsl",), False),
])
def test_lead_actions_by_role(client, auth, school, people, finished, roles, allowed):
    auth.login(roles=roles, school=school)
    expected = 302 if allowed else 403
    assert client.post(f"/mediation/mediators/{people[0].id}", data={"username": "ava.b", "pin": "2222"}
                       ).status_code == expected
    assert client.post(f"/mediation/mediators/{people[0].id}/revoke-badge", data=ASKED).status_code == expected
    assert client.post(f"/mediation/records/{finished.id}", data={"note": "ok"}).status_code == expected
    assert client.post(f"/mediation/records/{finished.id}/end").status_code == expected


def test_the_lead_ends_a_mediation_the_mediators_left_unfinished(client, auth, school, people):
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    post(client, mediation_id, "adult")
    client.post("/mediate/sign-out", data=ASKED)  # the bell went; nobody comes back to it
    auth.login(roles=("pastoral",), school=school)
    lead = client.get("/mediation").get_data(as_text=True)
    assert "Every mediation has been reviewed." in lead.split("Happening now")[0]
    record = client.get(f"/mediation/records/{mediation_id}").get_data(as_text=True)
    assert "End the mediation" in record and "Mark reviewed" not in record
    ended = client.post(f"/mediation/records/{mediation_id}/end", data=ASKED)
    assert ended.status_code == 302 and ended.headers["Location"] == f"/mediation/records/{mediation_id}"
    record = client.get(f"/mediation/records/{mediation_id}").get_data(as_text=True)
    assert "has been ended" in record and "No agreement - passed to staff" in record and "Mark reviewed" in record
    assert "Start a restorative conversation" in record
    assert "Review: Amira K. and Ben J." in client.get("/mediation").get_data(as_text=True)
    db.session.expire_all()
    mediation = db.session.get(Mediation, mediation_id)
    assert mediation.outcome == "no_agreement" and mediation.open_alert is None, "nobody is asked to come any more"
    assert db.session.scalar(select(db.func.count(Agreement.id))) == 0, "the drafts go, as when the mediators end it"
    again = client.post(f"/mediation/records/{mediation_id}/end")
    assert again.status_code == 302 and "This mediation has finished." in client.get(
        f"/mediation/records/{mediation_id}").get_data(as_text=True)


@pytest.mark.parametrize("roles", [("pastoral",), ("admin",), ("teacher",), ("support",), ("dsl",)])
def test_duty_and_alert_fragment_answer_every_staff_role(client, auth, school, roles):
    auth.login(roles=roles, school=school)
    assert client.get("/mediation/duty").status_code == 200
    assert client.get("/mediation/alerts", headers={"HX-Request": "true"}).status_code == 200


def test_the_mediation_lead_reviews_a_record(client, auth, school, people, finished):
    auth.login(roles=("pastoral",), school=school)
    queue = client.get("/mediation").get_data(as_text=True)
    assert "Review: Amira K. and Ben J." in queue
    record = client.get(f"/mediation/records/{finished.id}").get_data(as_text=True)
    assert "Share the ball" in record and "Angry" in record and "Ava B. and Leo C." in record
    too_long = client.post(f"/mediation/records/{finished.id}", data={"note": "n" * 2001})
    assert too_long.status_code == 422 and "n" * 100 in too_long.get_data(as_text=True)
    assert client.post(f"/mediation/records/{finished.id}", data={"note": "Both happy at 1pm"}).status_code == 302
    db.session.expire_all()
    assert finished.review_note == "Both happy at 1pm" and finished.reviewed_at
    queue = client.get("/mediation").get_data(as_text=True)
    assert "Every mediation has been reviewed." in queue and "Recently reviewed" in queue


def test_the_lead_sees_mediation_times_on_the_schools_clock(client, auth, school, people):
    """Times are stored in UTC; in a British summer the lead's screens show them an hour on."""
    ava, leo, amira, ben = people
    started, ended = datetime(2026, 6, 15, 11, 5, tzinfo=timezone.utc), datetime(2026, 6, 15, 11, 30, tzinfo=timezone.utc)
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], outcome="no_agreement",
                                      agreements={}, started_at=started, completed_at=ended)
    mediation.alerts.append(MediationAlert(school_id=school.id, raised_by_pupil_id=ava.id, raised_at=started,
                                           resolved_at=ended))
    db.session.commit()
    lead = auth.login(roles=("pastoral",), school=school)
    assert "15 Jun, 12:30" in client.get("/mediation").get_data(as_text=True)
    record = client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    assert "15 Jun 2026, 12:05" in record and "Adult called</dt><dd>12:05" in record
    mediation.reviewed_at, mediation.reviewed_by_id = ended, lead.id
    db.session.commit()
    assert "Reviewed 15 Jun, 12:30" in client.get("/mediation").get_data(as_text=True)
    assert "Reviewed 15 Jun 2026, 12:30" in client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    waiting = flow.start_mediation(school.id, [ava, leo])
    db.session.add(waiting)
    get_adult(waiting, ava)
    waiting.alerts[0].raised_at = started
    db.session.commit()  # nobody is on duty: the pastoral lead's live panel shows the call for an adult
    panel = client.get("/mediation/alerts", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "12:05 · mediators Ava B. and Leo C." in panel


def test_the_record_leads_the_lead_to_each_agreements_follow_up(client, auth, school, people, finished):
    auth.login(roles=("pastoral",), school=school)
    record = client.get(f"/mediation/records/{finished.id}").get_data(as_text=True)
    for party in finished.parties:
        assert f'href="/agreements/{party.agreement.id}">Follow-up review on' in record
        assert client.get(f"/agreements/{party.agreement.id}").status_code == 200
    assert "Start a restorative conversation" not in record


def start_following_up(client, mediation: Mediation, harmed, caused_harm) -> Mediation:
    """Start a restorative conversation from the mediation's Next step with these two pupils; the mediation after."""
    started = client.post(f"/conversations/new?follows_mediation={mediation.id}", data={
        "pupil_id": [harmed.id, caused_harm.id], f"role-{harmed.id}": "harmed", f"role-{caused_harm.id}": "caused_harm",
        "follows_mediation": mediation.id})
    assert started.status_code == 302
    db.session.expire_all()
    return db.session.get(Mediation, mediation.id)


@pytest.mark.parametrize("outcome", ["no_agreement", "adult_took_over"])
def test_a_mediation_without_agreement_offers_the_lead_a_further_conversation(client, auth, school, people, outcome):
    ava, leo, amira, ben = people
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={}, outcome=outcome)
    db.session.commit()
    lead = auth.login(roles=("pastoral",), school=school)
    record = client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    link = f"/conversations/new?pupil_id={amira.id}&amp;pupil_id={ben.id}"
    assert f'href="{link}&amp;follows_mediation={mediation.id}">Start a restorative conversation' in record
    assert f'href="{link}&amp;kind=conference&amp;follows_mediation={mediation.id}">Hold a conference' in record
    start = client.get(unescape(f"{link}&amp;follows_mediation={mediation.id}")).get_data(as_text=True)
    assert "Remove Amira Khan" in start and "Remove Ben Jones" in start
    assert "Following up the" in start and "between Amira K. and Ben J., which ended with no agreement" in start
    assert f'<input type="hidden" name="follows_mediation" value="{mediation.id}">' in start

    followed = start_following_up(client, mediation, harmed=amira, caused_harm=ben)
    assert followed.follow_up_conversation is not None and followed.followed_up_by_id == lead.id
    assert {p.pupil_id for p in followed.follow_up_conversation.participants} == {amira.id, ben.id}
    record = client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    talk = followed.follow_up_conversation_id
    assert f'Followed up: <a href="/conversations/{talk}">Restorative conversation</a> started' in record
    assert "Start a restorative conversation" not in record and "It has been followed up" not in record


def review(client, mediation_id: int, note: str = "") -> str:
    return client.post(f"/mediation/records/{mediation_id}", data={"note": note}, follow_redirects=True
                       ).get_data(as_text=True)


def test_a_reviewed_mediation_without_agreement_stays_on_the_leads_list_until_followed_up(client, auth, school,
                                                                                          people):
    """Found in QA: once marked reviewed, a mediation that ended with no agreement left every list, and a
    conversation never started was never missed."""
    ava, leo, amira, ben = people
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={}, outcome="no_agreement")
    agreed = flow.record_mediation(school.id, [ava, leo], [amira, ben], outcome="agreed",
                                   agreements={amira.id: "Share the ball", ben.id: "Ask first"})
    db.session.commit()
    auth.login(roles=("admin",), school=school)
    assert "follow-up needed" not in client.get("/mediation").get_data(as_text=True)

    lead = review(client, mediation.id, "Both still upset")
    assert "No agreement - passed to staff · follow-up needed" in client.get(f"/pupils/{amira.id}").get_data(
        as_text=True), "the pupil's record says so, as it does for an agreement not kept"
    assert "marked reviewed. It stays under No agreement: follow-up needed until it is followed up." in lead
    listed = lead.split('id="follow-up-heading"')[1].split("</section>")[0]
    assert "No agreement: follow-up needed (1)" in listed
    assert f'href="/mediation/records/{mediation.id}#next-heading">Follow up: Amira K. and Ben J.</a>' in listed
    assert "No agreement - passed to staff · reviewed by" in listed
    still = review(client, agreed.id)  # an agreement made: its own reviews follow it up
    assert "No agreement: follow-up needed (1)" in still and f'href="/mediation/records/{agreed.id}#' not in still

    unasked = client.post(f"/mediation/records/{mediation.id}/followed-up")
    asked = asking_page(unasked.get_data(as_text=True))
    assert asked["question"] == "Record that this mediation has been followed up?"
    db.session.expire_all()
    assert db.session.get(Mediation, mediation.id).followed_up_at is None, "nothing recorded before the answer"
    done = client.post(f"/mediation/records/{mediation.id}/followed-up", data=ASKED, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Recorded: the mediation with Amira K. and Ben J. has been followed up." in page
    assert re.search(r"<p>Followed up\s+on \d+ \w+ \d{4} by ", page)
    assert "follow-up needed" not in client.get("/mediation").get_data(as_text=True)
    assert re.search(r"No agreement - passed to staff · followed up on \d+ \w+ \d{4}",
                     client.get(f"/pupils/{ben.id}").get_data(as_text=True))
    again = client.post(f"/mediation/records/{mediation.id}/followed-up", data=ASKED)  # a second tap: no question
    assert again.status_code == 302
    refused = client.post(f"/mediation/records/{agreed.id}/followed-up", follow_redirects=True)
    assert "Only a mediation that ended with no agreement needs a follow-up." in refused.get_data(as_text=True)
    assert db.session.get(Mediation, agreed.id).followed_up_at is None


def test_a_mediation_is_followed_up_only_by_its_schools_lead(client, auth, school, people):
    ava, leo, amira, ben = people
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={}, outcome="no_agreement")
    db.session.commit()
    auth.login(roles=("teacher",), school=school)
    assert client.post(f"/mediation/records/{mediation.id}/followed-up", data=ASKED).status_code == 403
    start = client.get(f"/conversations/new?pupil_id={amira.id}&follows_mediation={mediation.id}")
    assert start.status_code == 200 and "Following up the" not in start.get_data(as_text=True)
    client.post("/conversations/new", data={"pupil_id": [amira.id], f"role-{amira.id}": "harmed",
                                            "follows_mediation": mediation.id})
    auth.logout()
    auth.login(roles=("pastoral",), school=make_school("Other School"))
    assert client.post(f"/mediation/records/{mediation.id}/followed-up", data=ASKED).status_code == 404
    db.session.expire_all()
    assert db.session.get(Mediation, mediation.id).followed_up_at is None


def test_a_conversation_with_none_of_the_mediations_pupils_does_not_follow_it_up(client, auth, school, people):
    """The lead opened the follow-up from the record, took Amira and Ben off and started a conversation with
    Chloe: the mediation was recorded as followed up by a conversation with neither of them, and left the list."""
    ava, leo, amira, ben = people
    chloe = make_pupil(school, "Chloe", "Day")
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={}, outcome="no_agreement")
    db.session.commit()
    auth.login(roles=("pastoral",), school=school)
    other = client.get(f"/conversations/new?pupil_id={chloe.id}&follows_mediation={mediation.id}")
    assert "Following up the" not in other.get_data(as_text=True)  # not said of a conversation that isn't one
    assert f'follows_mediation={mediation.id}' in other.get_data(as_text=True)  # kept, should Amira come back
    started = client.post(f"/conversations/new?follows_mediation={mediation.id}", data={
        "pupil_id": [chloe.id], f"role-{chloe.id}": "harmed", "follows_mediation": mediation.id})
    assert started.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mediation, mediation.id).followed_up_at is None

    followed = start_following_up(client, mediation, harmed=chloe, caused_harm=ben)
    assert followed.followed_up_at is not None and ben in followed.follow_up_conversation.pupils


def test_a_mediation_between_pupils_who_have_left_is_still_followed_up(client, auth, school, people):
    ava, leo, amira, ben = people
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={}, outcome="no_agreement")
    ben.archived = True
    db.session.commit()
    auth.login(roles=("pastoral",), school=school)
    record = client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    assert "(Ben J. has left the school):" in record
    assert f'href="/conversations/new?pupil_id={amira.id}&amp;follows_mediation={mediation.id}"' in record
    amira.archived = True
    db.session.commit()
    record = client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    assert "Amira K. and Ben J. have left the school, so there is nobody to hold a conversation with." in record
    assert "Start a restorative conversation" not in record and "It has been followed up</button>" in record


def test_an_unfinished_mediation_cannot_be_reviewed(client, auth, school, people):
    mediation = flow.start_mediation(school.id, [people[0]])
    db.session.add(mediation)
    db.session.commit()
    auth.login(roles=("admin",), school=school)
    response = client.post(f"/mediation/records/{mediation.id}", data={"note": ""})
    assert response.status_code == 422 and "hasn&#39;t finished" in response.get_data(as_text=True)


def test_staff_set_a_username_and_pin(client, auth, school, people):
    auth.login(roles=("pastoral",), school=school)
    amira, ava = people[2], people[0]
    listing = client.get("/mediation/mediators").get_data(as_text=True)
    assert "Ava Brown" in listing and "Username: ava.b" in listing and "Amira" not in listing
    assert client.get(f"/mediation/mediators/{amira.id}").status_code == 404
    bad = client.post(f"/mediation/mediators/{ava.id}", data={"username": "ava.b", "pin": "12"})
    assert bad.status_code == 422 and "The PIN must be 4 to 8 digits." in bad.get_data(as_text=True)
    taken = client.post(f"/mediation/mediators/{ava.id}", data={"username": "leo.c", "pin": "1234"})
    assert taken.status_code == 422 and "already has that username" in taken.get_data(as_text=True)
    assert 'value="leo.c"' in taken.get_data(as_text=True)
    empty = client.post(f"/mediation/mediators/{ava.id}", data={"username": "", "pin": ""})
    assert empty.status_code == 422 and "Choose a username." in empty.get_data(as_text=True)
    ok = client.post(f"/mediation/mediators/{ava.id}", data={"username": "ava.brown", "pin": "8642"})
    assert ok.status_code == 302
    client.post("/sign-out")
    assert mediator_sign_in(client, "ava.brown", "8642").status_code == 302


def test_another_schools_mediators_and_records_are_not_found(client, auth, people, finished):
    other = make_school("Hill Academy")
    auth.login(roles=("pastoral", "admin"), school=other)
    for url in (f"/mediation/mediators/{people[0].id}", f"/mediation/records/{finished.id}"):
        assert client.get(url).status_code == 404
    assert client.post(f"/mediation/mediators/{people[0].id}/revoke-badge", data=ASKED).status_code == 404
    assert "Ava" not in client.get("/mediation/badges").get_data(as_text=True)
    assert "Amira" not in client.get("/mediation").get_data(as_text=True)


def test_badges_are_printable_svg_qr_codes(client, auth, school, people):
    auth.login(roles=("pastoral",), school=school)
    page = client.get("/mediation/badges").get_data(as_text=True)
    assert page.count('<svg role="img" aria-label="Sign-in code for') == 2
    assert "Username: ava.b" in page and "data-print" in page and "<img" not in page.split("</header>")[1]
    single = client.get(f"/mediation/badges?pupil_id={people[0].id}").get_data(as_text=True)
    assert single.count("<svg") == 1


def test_home_tiles_lead_to_mediation(client, auth, school):
    auth.login(roles=("pastoral",), school=school)
    assert 'href="/mediation"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("roles", [("pastoral",), ("admin",), ("dsl",), ("teacher",)])
def test_the_pupil_record_shows_the_mediation(client, auth, school, people, finished, roles):
    staff = auth.login(roles=roles, school=school)
    make_group(school, pupils=[people[2]], staff=[staff])
    db.session.commit()
    page = client.get(f"/pupils/{people[2].id}").get_data(as_text=True)
    assert "Peer mediation with Amira K. and Ben J." in page and "Share the ball" in page
    assert "muddy bag" not in page, "key words from the story stay in the mediation record"


def test_mediator_settings_come_from_config_then_environment(app_config, monkeypatch):
    monkeypatch.setenv("MEDIATOR_IDLE_MINUTES", "15")
    assert create_app(app_config).config["MEDIATOR_IDLE_MINUTES"] == 15
    assert create_app({**app_config, "MEDIATOR_IDLE_MINUTES": 5}).config["MEDIATOR_IDLE_MINUTES"] == 5
    monkeypatch.delenv("MEDIATOR_IDLE_MINUTES")
    assert create_app(app_config).config["MEDIATOR_IDLE_MINUTES"] == 10
    monkeypatch.setenv("MEDIATOR_HELP_IDLE_MINUTES", "45")
    assert create_app(app_config).config["MEDIATOR_HELP_IDLE_MINUTES"] == 45
    monkeypatch.delenv("MEDIATOR_HELP_IDLE_MINUTES")
    assert create_app(app_config).config["MEDIATOR_HELP_IDLE_MINUTES"] == 60


def test_a_worry_with_no_dsl_in_the_school_tells_the_mediators_to_tell_an_adult(client, school, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    post(client, mediation_id, "adult")
    untold = client.post(f"/mediate/{mediation_id}/worry", data={"note": "Ben said he is scared to go home"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Tell an adult about it now." in untold and "Your worry has gone to the safeguarding lead" not in untold
    make_staff(school, ("dsl",))
    db.session.commit()
    told = client.post(f"/mediate/{mediation_id}/worry", data={"note": "Ben said it again"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Your worry has gone to the safeguarding lead" in told


def test_the_adult_answering_get_an_adult_raises_a_concern_about_the_mediation_in_one_tap(app, client, auth, school,
                                                                                         people):
    midday = make_staff(school, ("support",), name="Mo Midday")
    make_staff(school, ("dsl",), name="Dee Dsl")
    db.session.commit()
    staff = app.test_client()
    AuthActions(staff).login(staff=midday)
    assert staff.post("/mediation/duty", data={"on_duty": "1"}).status_code == 302
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    post(client, mediation_id, "adult")
    panel = staff.get("/mediation/alerts").get_data(as_text=True)
    link = re.search(r'href="(/concerns/new\?[^"]+)"', panel)
    assert link and ">Raise a concern<" in panel
    form = staff.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Amira Khan" in form and "Ben Jones" in form  # a midday assistant can name them, not in a class of theirs
    url = link.group(1).replace("&amp;", "&")
    assert staff.post(url, data={"pupil_id": people[3].id, "note": "Ben said he is scared to go home",
                                 "context": "mediation", "context_id": str(mediation_id), "next": "/"}).status_code == 302
    concern = db.session.scalar(select(Concern))
    assert (concern.context_kind, concern.context_id, concern.pupil_id) == ("mediation", mediation_id, people[3].id)
    assert concern.raised_from == "a peer mediation"


def test_the_mediation_lead_raises_a_concern_from_the_record(client, auth, school, people, finished):
    auth.login(roles=("pastoral",), school=school)
    record = client.get(f"/mediation/records/{finished.id}").get_data(as_text=True)
    link = re.search(r'href="(/concerns/new\?[^"]+)"', record).group(1).replace("&amp;", "&")
    assert f"context_id={finished.id}" in link and "context=mediation" in link
    assert "Amira Khan" in client.get(link).get_data(as_text=True)


def test_get_an_adult_times_are_the_schools_clock_in_summer(app, client, auth, school, people):
    ava, leo, amira, ben = people
    mediation = flow.start_mediation(school.id, [ava, leo], place="the library")
    db.session.add(mediation)
    get_adult(mediation, ava).raised_at = datetime(2026, 7, 1, 11, 30, tzinfo=timezone.utc)  # 12:30 in London
    mediation.started_at = datetime(2026, 7, 1, 11, 20, tzinfo=timezone.utc)
    db.session.commit()
    auth.login(roles=("pastoral",), school=school)
    panel = client.get("/mediation/alerts").get_data(as_text=True)
    assert "12:30 · mediators" in panel and "11:30" not in panel
    record = client.get(f"/mediation/records/{mediation.id}").get_data(as_text=True)
    assert "1 Jul 2026, 12:20" in record and "<dd>12:30</dd>" in record and "11:30" not in record


def test_agreements_still_being_written_are_not_on_the_pupils_record(client, auth, school, people):
    """What the mediators type at the agreement step is a draft until the mediation ends agreed."""
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    draft = parties(mediation_id)[0].agreement
    client.post("/mediate/sign-out", data=ASKED)
    auth.login(roles=("pastoral",), school=school)
    assert "Share the ball" not in client.get(f"/pupils/{people[2].id}").get_data(as_text=True)
    assert client.get(f"/agreements/{draft.id}").status_code == 404
    review = client.post(f"/agreements/{draft.id}/review", data={"outcome": "not_kept", "seen_reviews": 0})
    assert review.status_code == 404 and db.session.get(Agreement, draft.id).reviews == []


def review_dates(mediation_id: int) -> list:
    db.session.expire_all()
    return [p.agreement.review_on for p in db.session.get(Mediation, mediation_id).parties]


def test_mediators_choose_when_they_will_check_the_agreement_is_working(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "agreement")
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert "When will we check it is working?" in page
    assert re.search(r'<input checked[^>]*value="2"><span>In 2 weeks</span>', page), "two weeks unless they choose"
    first, second = parties(mediation_id)
    texts = {f"p{first.id}": "Share the ball", f"p{second.id}": "Say sorry"}
    assert post(client, mediation_id, "agreements", review_weeks=1, **texts).status_code == 302
    today = db.session.get(School, db.session.get(Mediation, mediation_id).school_id).today()
    assert review_dates(mediation_id) == [today + timedelta(weeks=1)] * 2
    page = client.get(f"/mediate/{mediation_id}").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="1">', page), "the choice is shown again"
    post(client, mediation_id, f"agree/{first.id}")
    assert post(client, mediation_id, "agreements", review_weeks=4, **texts).status_code == 302
    assert review_dates(mediation_id) == [today + timedelta(weeks=4)] * 2
    assert parties(mediation_id)[0].agreement.parties[0].agreed_at is not None, "the same agreement, still agreed"
    refused = post(client, mediation_id, "agreements", review_weeks=9,
                   **{f"p{first.id}": "Share the ball at lunch", f"p{second.id}": "Say sorry"})
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    assert "Share the ball at lunch" in refused.get_data(as_text=True), "what was typed is kept"
    assert post(client, mediation_id, "agreements", **texts).status_code == 302  # not sent: kept as chosen
    assert review_dates(mediation_id) == [today + timedelta(weeks=4)] * 2


def test_the_lead_moves_the_agreements_review_date_at_review(client, auth, school, people, finished):
    auth.login(roles=("pastoral",), school=school)
    today = school.today()
    record = client.get(f"/mediation/records/{finished.id}").get_data(as_text=True)
    assert "Follow-up review of the agreements on" in record
    assert f'value="{(today + timedelta(days=14)).isoformat()}"' in record
    past = client.post(f"/mediation/records/{finished.id}", data={
        "review_on": (today - timedelta(days=1)).isoformat(), "note": "Both calm"})
    page = past.get_data(as_text=True)
    passed = f"The day you chose, {today - timedelta(days=1):%A %-d %B}, has passed: choose today or a later day."
    assert past.status_code == 422 and passed in page
    assert "Both calm" in page
    db.session.expire_all()
    assert db.session.get(Mediation, finished.id).reviewed_at is None
    later = today + timedelta(days=30)
    assert client.post(f"/mediation/records/{finished.id}", data={
        "review_on": later.isoformat(), "note": "Both calm"}).status_code == 302
    assert review_dates(finished.id) == [later, later]
    db.session.expire_all()
    assert db.session.get(Mediation, finished.id).reviewed_at is not None


def test_when_to_check_chosen_as_the_tablet_went_idle_comes_back_after_signing_in(client, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    to_step(client, mediation_id, "agreement")
    first, second = parties(mediation_id)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "seen": int(time.time()) - 11 * 60}
    bounced = post(client, mediation_id, "agreements", review_weeks=4,
                   **{f"p{first.id}": "Share the ball", f"p{second.id}": "Say sorry"})
    page = bounced.get_data(as_text=True)
    assert bounced.status_code == 401
    fields = dict(re.findall(r'<input type="hidden" name="(p[0-9]+|version|review_weeks)" value="([^"]*)">', page))
    assert fields.get("review_weeks") == "4"
    back = client.post(f"/sign-in/mediator?next=/mediate/{mediation_id}/agreements",
                       data={"username": "ava.b", "pin": PIN, **fields})
    page = back.get_data(as_text=True)
    assert "What you typed is still here" in page and re.search(r'<input checked[^>]*value="4">', page)


def test_the_mediators_tablet_forgets_the_last_teachers_pupil_list(client, auth, people, school):
    """A teacher's session on the tablet ends when the mediators sign in: their screens, and the mediators' sign-in
    with nobody on staff signed in, carry the mark that forgets her pupil list (static/js/outbox.js), as the staff
    sign-in page does. Her own pages, the mediators' sign-in among them while she is signed in, are hers."""
    def signs_out_staff(page: str) -> bool:
        body = re.search(r"<body[^>]*>", page).group(0)
        return " data-signed-out" in body and "data-staff-id" not in body and '/static/js/outbox.js?v=' in page

    auth.login(school=school)
    for url in ("/", "/sign-in/mediator"):
        assert not signs_out_staff(client.get(url).get_data(as_text=True)), url
    assert mediator_sign_in(client).status_code == 302
    assert signs_out_staff(client.get("/mediate").get_data(as_text=True))
    client.post("/mediate/sign-out", data=ASKED)
    assert signs_out_staff(client.get("/sign-in/mediator").get_data(as_text=True))


# Asked first, even when tapped before the page's scripts had run (rrp_pwa/asking.py)

def asked_the_same_words(client, page_url: str, action: str, sent: dict) -> dict:
    """Sends ``action``'s form unasked: the answer is a page asking the form's data-confirm question, word for
    word, whose yes sends the form's own fields again, marked as asked."""
    confirm = re.search(r'data-confirm="([^"]+)"', the_form(client.get(page_url).get_data(as_text=True), action))
    answer = client.post(action, data=sent, headers={"Referer": f"http://rrp.test{page_url}"})  # sent from that page
    assert answer.status_code == 200
    asked = asking_page(answer.get_data(as_text=True))
    assert " ".join(filter(None, (asked["question"], asked["detail"]))) == unescape(confirm.group(1))
    assert asked["action"] == action and asked["fields"] == {**sent, "asked": "yes"}
    return {**asked, "page": answer.get_data(as_text=True)}


@pytest.mark.parametrize("action", ["no-agreement", "adult-took-over", "sign-out"])
def test_the_mediators_taps_sent_unasked_are_asked_on_the_tablets_own_page(client, people, action):
    """"We can't agree", "The adult is taking over" and "Sign out", tapped before the tablet's scripts had
    run: nothing ends; the tablet asks, under its own top bar (no staff menu), and its yes does it."""
    mediator_sign_in(client)
    mediation_id = at_agreements_written(client, people)
    if action == "adult-took-over":
        post(client, mediation_id, "adult")
    url = "/mediate/sign-out" if action == "sign-out" else f"/mediate/{mediation_id}/{action}"
    sent = {} if action == "sign-out" else {"version": str(version(mediation_id))}
    asked = asked_the_same_words(client, f"/mediate/{mediation_id}", url, sent)
    assert "Peer mediation" in asked["page"] and "Ava B." in asked["page"] and 'aria-label="Main"' not in asked["page"]
    assert asked["back"] == f"/mediate/{mediation_id}", "back to the screen it was tapped on (Sign out: any screen's)"
    db.session.expire_all()
    assert db.session.get(Mediation, mediation_id).outcome is None and client.get("/mediate").status_code == 200

    assert client.post(asked["action"], data=asked["fields"]).status_code == 302
    db.session.expire_all()
    ended = db.session.get(Mediation, mediation_id).outcome
    assert ended == {"no-agreement": "no_agreement", "adult-took-over": "adult_took_over", "sign-out": None}[action]
    assert client.get("/mediate").status_code == 302, "signed out"


def test_the_leads_revoke_and_end_sent_unasked_are_asked_first(client, auth, school, people):
    mediator_sign_in(client)
    mediation_id = with_parties(client, people)
    client.post("/mediate/sign-out", data=ASKED)
    auth.login(roles=("pastoral",), school=school)
    account = db.session.scalar(select(MediatorAccount).where(MediatorAccount.username == "ava.b"))
    badge = account.badge_version

    revoke = asked_the_same_words(client, "/mediation/mediators", f"/mediation/mediators/{people[0].id}/revoke-badge",
                                  {})
    assert revoke["yes"] == "Revoke Ava's badge" and revoke["back"] == "/mediation/mediators"
    end = asked_the_same_words(client, f"/mediation/records/{mediation_id}", f"/mediation/records/{mediation_id}/end",
                               {})
    assert end["back"] == f"/mediation/records/{mediation_id}"
    db.session.expire_all()
    assert db.session.get(MediatorAccount, account.id).badge_version == badge, "the badge still works"
    assert db.session.get(Mediation, mediation_id).outcome is None, "the mediation is not ended"

    assert client.post(revoke["action"], data=revoke["fields"]).status_code == 302
    assert client.post(end["action"], data=end["fields"]).status_code == 302
    db.session.expire_all()
    assert db.session.get(MediatorAccount, account.id).badge_version == badge + 1
    assert db.session.get(Mediation, mediation_id).outcome == "no_agreement"


def test_with_csrf_on_the_tablets_asking_page_carries_a_token_that_works(app, client, people):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/sign-in/mediator").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/sign-in/mediator", data={"username": "ava.b", "pin": PIN, "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/mediate").get_data(as_text=True)).group(1)
    asked = client.post("/mediate/sign-out", data={"csrf_token": token})
    assert asked.status_code == 200 and client.get("/mediate").status_code == 200, "still signed in"
    yes = re.search(r'<form method="post" action="/mediate/sign-out">.*?</form>', asked.get_data(as_text=True), re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', yes.group(0)))
    assert fields.keys() == {"csrf_token", "asked"}
    assert client.post("/mediate/sign-out", data=fields).status_code == 302
    assert client.get("/mediate").status_code == 302, "signed out"
