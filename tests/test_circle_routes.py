"""Every circle route from the outside: who may use it, what a keeper and a pupil device see,
and bad input (wrong code, expired link, stale version, another school's circle, a seat
cookie of another circle)."""
import json
import random
import re
import string
from datetime import date, datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import func, select

from rrp_pwa.circles.activities import close_circle, current_round
from rrp_pwa.circles.joining import join_circle, join_token, open_circle
from rrp_pwa.circles.seats import SEAT_COOKIE
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement, CheckInFollowUp, Concern
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleEvent, CirclePrompt, Seat
from rrp_pwa.qr import qr_svg
from tests.conftest import AuthActions, make_group, make_pupil, make_school, make_staff

HX = {"HX-Request": "true"}
ASKED = {"asked": "yes"}  # the question answered on the page (rrp_pwa/asking.py)


@pytest.fixture
def world(app):
    return brook_with_a_circle()


def brook_with_a_circle() -> dict:
    """Brook Primary: a keeper with a class of three, an open circle; and a second school."""
    school = make_school()
    keeper = make_staff(school, roles=("teacher",), name="Ms Keeper")
    pupils = [make_pupil(school, given=name, family="Smith") for name in ("Amira", "Ben", "Cara")]
    group = make_group(school, pupils=pupils, staff=[keeper])
    circle = open_circle(keeper, "checkin", group)
    other_school = make_school("Hill Academy")
    db.session.commit()
    return {"school": school, "keeper": keeper, "pupils": pupils, "group": group, "circle": circle,
            "other_school": other_school}


def sign_in(app, staff):
    client = app.test_client()
    AuthActions(client).login(staff=staff)
    return client


def seated(app, circle, pupil, admit=True):
    """A pupil device with a seat in ``circle`` (admitted by the keeper unless ``admit`` is False)."""
    seat, secret = join_circle(circle, pupil=pupil)
    if admit:
        from rrp_pwa.circles.talking_piece import admit as admit_seat
        admit_seat(circle, seat)
    db.session.commit()
    device = app.test_client()
    device.set_cookie(SEAT_COOKIE, secret, domain="rrp.test", path=f"/circles/{circle.id}/seat")
    return device, seat


# Staff routes: role x route

KEEPER_PAGES = ["/circles", "/circles/new"]


@pytest.mark.parametrize("role", ["teacher", "support", "pastoral", "admin", "dsl"])
@pytest.mark.parametrize("path", KEEPER_PAGES)
def test_every_staff_role_can_start_and_list_circles(app, world, role, path):
    client = sign_in(app, make_staff(world["school"], roles=(role,)))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", KEEPER_PAGES + ["/circles/questions", "/circles/{id}", "/circles/{id}/summary"])
def test_anonymous_staff_pages_go_to_sign_in(client, world, path):
    response = client.get(path.format(id=world["circle"].id))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [("admin", 200), ("teacher", 403), ("dsl", 403)])
def test_only_admins_edit_the_question_bank(app, world, role, status):
    client = sign_in(app, make_staff(world["school"], roles=(role,)))
    assert client.get("/circles/questions").status_code == status


def test_an_admin_adds_and_removes_a_question(app, world):
    client = sign_in(app, make_staff(world["school"], roles=("admin",)))
    page = client.get("/circles/questions").get_data(as_text=True)
    assert "What is one thing that made you smile this week?" in page
    assert client.post("/circles/questions", data={"stage": "primary", "text": ""}).status_code == 400
    response = client.post("/circles/questions", data={"stage": "primary", "text": "What is your favourite game?"},
                           follow_redirects=True)
    assert "What is your favourite game?" in response.get_data(as_text=True)
    client.post("/circles/questions/remove", data={"text": "What is your favourite game?", **ASKED})
    client.post("/circles/questions/remove", data={"text": "What does a good friend do?", **ASKED})
    page = client.get("/circles/questions").get_data(as_text=True)
    assert "What is your favourite game?" not in page and "What does a good friend do?" not in page
    assert "What is one thing that made you smile this week?" in page


def test_reading_the_question_bank_never_writes(app, world):
    admin, keeper = sign_in(app, make_staff(world["school"], roles=("admin",))), sign_in(app, world["keeper"])
    assert admin.get("/circles/questions").status_code == 200
    assert keeper.get("/circles/new").status_code == 200
    assert keeper.get(f"/circles/{world['circle'].id}").status_code == 200
    assert db.session.scalar(select(func.count(CirclePrompt.id))) == 0


def test_starting_a_circle_in_a_few_taps(app, world):
    client = sign_in(app, world["keeper"])
    form = client.get("/circles/new").get_data(as_text=True)
    assert "Year 5 Cedar" in form and "Ad hoc" in form
    # the keeper's only class is chosen already: a morning circle is one tap fewer
    assert re.search(rf'<option[^>]*selected[^>]*value="{world["group"].id}"|<option[^>]*value="{world["group"].id}"[^>]*selected', form)
    response = client.post("/circles/new", data={"kind": "community", "group": world["group"].id})
    circle = db.session.scalar(select(Circle).where(Circle.kind == "community"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/circles/{circle.id}")
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert circle.join_code in page and "Nobody is waiting to join" in page


def test_a_group_the_keeper_cannot_see_is_refused(app, world):
    hidden = make_group(world["school"], name="Year 6 Oak")
    db.session.commit()
    client = sign_in(app, world["keeper"])
    assert client.post("/circles/new", data={"kind": "checkin", "group": hidden.id}).status_code == 400


def test_the_qr_code_is_drawn_in_the_keepers_page_from_the_join_link(app, world):
    client = sign_in(app, world["keeper"])
    page = client.get(f"/circles/{world['circle'].id}").get_data(as_text=True)
    join_url = re.search(r'href="([^"]+)" class="join-link"', page).group(1)
    drawn = qr_svg(join_url, "QR code that opens this circle's join page", "join-qr")
    assert drawn.startswith('<svg role="img" aria-label="QR code that opens this circle&#39;s join page" class="join-qr"')
    assert drawn in page


def test_the_code_to_join_starts_open_until_a_pupil_is_in_then_folded(app, world):
    """On a phone the code to join is about 700 px tall: once pupils are in, the keeper's page loads with
    it folded, so the talking piece is in view; a pupil only waiting has not been let in yet."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])

    def code_card():
        page = keeper.get(f"/circles/{circle.id}").get_data(as_text=True)
        card = page.split('id="join-h"')[1].split("</section>")[0]
        assert card.index("Waiting to join") < card.index("<details"), "who is waiting stays first"
        return re.search(r'<details class="join-show"( open)?>\s*<summary[^>]*>(.*?)</summary>', card, re.S)

    assert code_card().group(1) == " open"
    seated(app, circle, world["pupils"][0], admit=False)
    assert code_card().group(1) == " open", "nobody is in the circle yet"
    seated(app, circle, world["pupils"][1])
    folded = code_card()
    assert folded.group(1) is None and "Show the code to join" in folded.group(2)


KEEPER_ACTIONS = [
    ("get", "/circles/{id}"), ("get", "/circles/{id}/part/k-piece"),
    ("post", "/circles/{id}/turn"), ("post", "/circles/{id}/give/{seat}"), ("post", "/circles/{id}/take-back"),
    ("post", "/circles/{id}/reverse"), ("post", "/circles/{id}/seats/{seat}/move"),
    ("post", "/circles/{id}/seats/{seat}/remove"), ("post", "/circles/{id}/seats/{seat}/admit"),
    ("post", "/circles/{id}/seats/{seat}/not-now"),
    ("post", "/circles/{id}/auto-admit"), ("post", "/circles/{id}/seats"), ("post", "/circles/{id}/rounds"),
    ("post", "/circles/{id}/checkin"), ("post", "/circles/{id}/agreements"), ("post", "/circles/{id}/concern"),
    ("post", "/circles/{id}/close"),
]


@pytest.mark.parametrize("method,path", KEEPER_ACTIONS)
@pytest.mark.parametrize("who,status", [("colleague", 403), ("other_school", 404), ("anonymous", 401)])
def test_only_the_keeper_runs_the_circle(app, world, method, path, who, status):
    circle = world["circle"]
    circle_seat = db.session.scalar(select(Seat).where(Seat.circle_id == circle.id))
    client = app.test_client()
    if who == "colleague":
        client = sign_in(app, make_staff(world["school"], roles=("teacher", "pastoral")))
    elif who == "other_school":
        client = sign_in(app, make_staff(world["other_school"], roles=("admin",)))
    url = path.format(id=circle.id, seat=circle_seat.id)
    response = getattr(client, method)(url, headers=HX)
    assert response.status_code == status
    assert db.session.get(Circle, circle.id).version == 1, "nothing changed"


def test_the_keeper_runs_the_piece_and_a_stale_version_gets_409_and_the_latest(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    device, amira = seated(app, circle, world["pupils"][0])
    version = db.session.get(Circle, circle.id).version
    response = client.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
    assert response.status_code == 200 and "Amira S." in response.get_data(as_text=True)
    stale = client.post(f"/circles/{circle.id}/give/{amira.id}", data={"version": version}, headers=HX)
    assert stale.status_code == 409
    assert "<strong>Amira S.</strong> has the talking piece" in stale.get_data(as_text=True)
    assert int(stale.headers["X-Circle-Version"]) == version + 1
    for url in ("take-back", "reverse"):
        latest = db.session.get(Circle, circle.id).version
        assert client.post(f"/circles/{circle.id}/{url}", data={"version": latest}, headers=HX).status_code == 200
    db.session.expire_all()
    assert db.session.get(Circle, circle.id).direction == -1


def test_the_keeper_admits_reorders_and_removes(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0], admit=False)
    _, ben = seated(app, circle, world["pupils"][1], admit=False)
    waiting = client.get(f"/circles/{circle.id}/part/k-waiting", headers=HX).get_data(as_text=True)
    assert "Let Amira S. in" in waiting and "Let Ben S. in" in waiting
    assert client.post(f"/circles/{circle.id}/seats/{amira.id}/admit", headers=HX).status_code == 200
    assert client.post(f"/circles/{circle.id}/seats/{amira.id}/admit", headers=HX).status_code == 409
    response = client.post(f"/circles/{circle.id}/auto-admit", data={"on": "1"}, headers=HX)
    assert "Nobody is waiting" in response.get_data(as_text=True)
    moved = client.post(f"/circles/{circle.id}/seats/{ben.id}/move", data={"step": "up"}, headers=HX)
    names = re.findall(r'<span class="seat-name">([^<(]+)', moved.get_data(as_text=True))
    assert [n.strip() for n in names] == ["Ms Keeper", "Ben S.", "Amira S."]
    removed = client.post(f"/circles/{circle.id}/seats/{ben.id}/remove", headers=HX).get_data(as_text=True)
    assert "Ben S." not in removed


def test_a_move_sent_twice_moves_the_seat_once(app, world):
    """The keeper taps "Move Cara S. earlier" and the tap is sent again (a double tap, a retry on poor
    Wi-Fi): Cara moves one place, not two."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    for pupil in world["pupils"]:
        seated(app, circle, pupil)
    cara = db.session.scalar(select(Seat).where(Seat.pupil_id == world["pupils"][2].id))
    seen = db.session.get(Circle, circle.id).version

    def order(html):
        return [n.strip() for n in re.findall(r'<span class="seat-name">([^<(]+)', html)]

    moved = client.post(f"/circles/{circle.id}/seats/{cara.id}/move", data={"step": "up", "version": seen}, headers=HX)
    assert moved.status_code == 200
    assert order(moved.get_data(as_text=True)) == ["Ms Keeper", "Amira S.", "Cara S.", "Ben S."]
    again = client.post(f"/circles/{circle.id}/seats/{cara.id}/move", data={"step": "up", "version": seen}, headers=HX)
    assert again.status_code == 409
    assert order(again.get_data(as_text=True)) == ["Ms Keeper", "Amira S.", "Cara S.", "Ben S."]
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert f'name="version" value="{seen + 1}" id="k-version"' in page and 'hx-include="#k-version"' in page


def test_the_keeper_can_turn_away_someone_who_tapped_the_wrong_name(app, world):
    """Ben tapped Amira's name by mistake. The keeper does not let 'Amira' in ("Not now", after a question),
    Ben's tablet says so, and the real Amira can then choose her name."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    bens_tablet, wrong = seated(app, circle, world["pupils"][0], admit=False)
    waiting = client.get(f"/circles/{circle.id}/part/k-waiting", headers=HX).get_data(as_text=True)
    row = re.search(r'<li class="row" id="waiting-\d+">(.*?)</li>', waiting, re.S).group(1)
    assert "Let Amira S. in" in row and "Not now<span class=\"visually-hidden\"> for Amira S.</span>" in row
    assert re.search(r'hx-post="[^"]*/not-now"[^>]*\s+data-confirm="Not let Amira S. in\?', row), "asked first"
    turned_away = client.post(f"/circles/{circle.id}/seats/{wrong.id}/not-now", headers=HX)
    assert turned_away.status_code == 200 and "Nobody is waiting to join" in turned_away.get_data(as_text=True)
    assert "not in this circle" in bens_tablet.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    amiras_tablet = app.test_client()
    joined = amiras_tablet.post(f"/join/{join_token(circle, app.config['SECRET_KEY'])}",
                                data={"pupil": world["pupils"][0].id})
    assert joined.status_code == 302
    assert "Nearly there" in amiras_tablet.get(f"/circles/{circle.id}/seat").get_data(as_text=True)


def test_not_now_leaves_someone_already_let_in(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    assert client.post(f"/circles/{circle.id}/seats/{amira.id}/not-now", headers=HX).status_code == 409
    db.session.expire_all()
    assert db.session.get(Seat, amira.id).status == "admitted"


def test_a_circle_agreement_names_every_problem_at_once_beside_its_field(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    bad = client.post(f"/circles/{circle.id}/agreements", data={
        "kind": "action", "what": "Tidy up", "by_when": (date.today() - timedelta(days=28)).isoformat(),
        "review_on": (date.today() - timedelta(days=59)).isoformat()})
    # back to the keeper's screen at the agreement (a reload is the screen, not the refused POST), with
    # what was typed and every problem
    assert bad.status_code == 302 and bad.headers["Location"].endswith(f"/circles/{circle.id}#agree-h")
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Tidy up</textarea>" in page
    assert '<div class="form-errors" role="alert"><p>Choose who the agreement is for.</p></div>' in page
    assert 'id="by_when-error">The &#39;by when&#39; date has passed' in page
    assert ('id="review_on-error">The review date has passed: choose today or a later day. '
            'The review date can&#39;t be before the &#39;by when&#39; date.</p>') in page
    assert re.search(r'<input aria-describedby="review_on-help review_on-error" aria-invalid="true"', page)


def session_cookie(response) -> str:
    """The session cookie a response sets, as the browser is sent it."""
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("rrp_session="))


def test_an_agreement_pasted_far_over_its_limit_comes_back_cut_to_it_in_a_cookie_the_browser_keeps(app, world):
    """A document pasted into "What has been agreed" (about 4,000 characters, past the page's maxlength by
    a crafted POST) is refused for its length; the screen it comes back to has the first 500 characters,
    kept in a session cookie under the 4,096 bytes a browser takes (else the browser drops it, and
    what was typed with it)."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    rng = random.Random(1)
    what = " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) for _ in range(700))
    assert len(what) > 3500
    bad = client.post(f"/circles/{circle.id}/agreements", data={"kind": "circle", "what": what})
    assert bad.status_code == 302 and len(session_cookie(bad)) < 4096
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert f"{what[:500]}</textarea>" in page and what[:501] not in page
    assert "Field cannot be longer than 500 characters." in page


@pytest.mark.parametrize("form", ["agreement", "round"])
def test_the_largest_refused_keeper_form_in_chinese_comes_back_whole_in_a_cookie_well_under_4_kb(app, world, form):
    """The longest text each field takes, in Chinese characters (six bytes each as JSON, and random, so
    they do not compress), with everyone in the circle ticked: all of it back, the cookie under 3.3 KB."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    seats = [seated(app, circle, pupil)[1] for pupil in world["pupils"]]
    text = random_text(0x4E00, 0x9FFF)
    if form == "agreement":
        data = {"kind": "action", "what": text(500), "who": [str(s.id) for s in seats],
                "by_when": "2001-01-01", "review_on": "2001-01-01"}  # refused: both dates have passed
    else:
        data = {"round_kind": "checkin", "prompt": text(300), "typed": text(300) + "!"}  # refused: too long
    bad = client.post(f"/circles/{circle.id}/{form}s", data=data)
    assert bad.status_code == 302 and len(session_cookie(bad)) < 3300
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert (data["what"] if form == "agreement" else data["typed"][:300]) in page
    assert "too long to bring back" not in page
    if form == "agreement":
        assert all(f'id="who-{seat.id}" checked>' in page for seat in seats)


def test_a_form_too_long_for_the_cookie_even_cut_to_its_limits_says_to_type_it_again(app, world):
    """Hundreds of rare symbols from every plane of Unicode (twelve bytes each as JSON): no school writes
    them, but a crafted POST can. The cookie still stays under 3.3 KB; the text is not kept, and the
    keeper's screen says so by the form rather than nothing at all."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    text = random_text(0x10000, 0x10FFFF)
    bad = client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "prompt": text(300),
                                                            "typed": text(301)})
    assert bad.status_code == 302 and len(session_cookie(bad)) < 3300
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "What was typed was too long to bring back here: please type it again." in page
    assert "Keep the question to 300 characters." in page
    assert re.search(r'<input checked id="round_kind-1"[^>]*value="checkin"', page)


def random_text(first: int, last: int):
    """Text of ``n`` characters drawn at random from the code points ``first`` to ``last``."""
    rng = random.Random(2)
    return lambda n: "".join(chr(rng.randint(first, last)) for _ in range(n))


def test_a_refused_form_keeps_nothing_but_its_own_fields_and_the_people_in_the_circle(app, world):
    """Sent with an agreement, a concern's note (or any field the form does not have) never goes into the
    session cookie - signed, not encrypted, readable on the device - nor a "who" that is not a seat of
    this circle."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    refused = client.post(f"/circles/{circle.id}/agreements", data={
        "kind": "action", "what": "Amira will return the pens", "who": [str(amira.id), "99999", "x"],
        "by_when": "next friday", "note": "Amira said she is scared to go home", "seat": str(amira.id)})
    assert refused.status_code == 302
    with client.session_transaction() as session:
        kept = json.dumps(dict(session))
    assert "Amira will return the pens" in kept
    assert "scared" not in kept and "99999" not in kept and '"seat"' not in kept
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Amira will return the pens</textarea>" in page and f'id="who-{amira.id}" checked>' in page


def test_a_refused_action_agreement_comes_back_with_who_it_is_for_still_ticked(app, world):
    """Who an action was for is still ticked on the screen the refusal comes back to (no scripts needed);
    the live list every keeper device shares is not: another load, a poll, has nobody ticked."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    _, ben = seated(app, circle, world["pupils"][1])
    bad = client.post(f"/circles/{circle.id}/agreements", data={
        "kind": "action", "what": "Amira will return the pens", "who": [str(amira.id)],
        "by_when": (date.today() - timedelta(days=3)).isoformat()})
    assert bad.status_code == 302
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Amira will return the pens</textarea>" in page
    assert re.search(rf'<input type="checkbox" name="who" value="{amira.id}" id="who-{amira.id}" checked>', page)
    assert re.search(rf'<input type="checkbox" name="who" value="{ben.id}" id="who-{ben.id}">', page)
    for again in (client.get(f"/circles/{circle.id}"), client.get(f"/circles/{circle.id}/part/k-who", headers=HX)):
        assert again.status_code == 200 and f'id="who-{amira.id}">' in again.get_data(as_text=True)


def test_a_kept_form_goes_with_the_next_keeper_screen_whatever_its_circle(app, world):
    """A refused form is in the session cookie only until the next keeper screen: opening another circle's
    screen, or this circle's once it has closed, takes it out of the cookie, and it is not shown after."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    other = open_circle(world["keeper"], "restorative", world["group"])
    db.session.commit()
    client.post(f"/circles/{circle.id}/agreements", data={"kind": "circle", "what": "Names of pupils " * 40})
    assert client.get(f"/circles/{other.id}").status_code == 200
    with client.session_transaction() as session:
        assert "Names of pupils" not in json.dumps(dict(session))
    assert "Names of pupils" not in client.get(f"/circles/{circle.id}").get_data(as_text=True)

    client.post(f"/circles/{circle.id}/agreements", data={"kind": "circle", "what": "Names of pupils " * 40})
    close_circle(db.session.get(Circle, circle.id))  # on the keeper's other device, meanwhile
    db.session.commit()
    assert client.get(f"/circles/{circle.id}").headers["Location"].endswith(f"/circles/{circle.id}/summary")
    with client.session_transaction() as session:
        assert "Names of pupils" not in json.dumps(dict(session))


def test_a_check_in_round_started_with_no_question_asks_the_scales_own(app, world):
    """Found in QA: a morning circle's check-in round was refused until the keeper typed a question, and the
    bank has none such; the scale's own question ("How are you feeling?") is the one every check-in asks."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    device, amira = seated(app, circle, world["pupils"][0])
    started = client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "prompt": "", "typed": ""})
    assert started.status_code == 302 and started.headers["Location"].endswith(f"/circles/{circle.id}#round-h")
    db.session.expire_all()
    assert current_round(db.session.get(Circle, circle.id)).prompt == "How are you feeling?"
    seat = device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert seat.count("How are you feeling?") == 1  # asked once, and the faces to tap
    keeper = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "A check-in round with none asks the check-in scale" in keeper


def test_rounds_agreements_and_the_concern_from_the_keepers_screen(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    device, amira = seated(app, circle, world["pupils"][0])
    # refused: back to the keeper's screen at the rounds (reloading it is the screen, not a refused POST),
    # the refusal by the question, the kind of round as it was chosen - once
    refused = client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "prompt": "",
                                                                 "typed": "x" * 301})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/circles/{circle.id}#round-h")
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert '<p class="error" id="typed-error">Keep the question to 300 characters.</p>' in page
    assert "x" * 300 in page  # what was typed comes back (as much as the field holds)
    assert re.search(r'<input checked id="round_kind-1"[^>]*value="checkin"', page)
    assert 'id="typed-error"' not in client.get(f"/circles/{circle.id}").get_data(as_text=True)
    refused = client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "prompt": "", "typed": ""})
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert '<p class="error" id="typed-error">Choose a question from the bank or type one.</p>' in page
    started = client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "typed": "What made you smile?"})
    assert started.headers["Location"].endswith(f"/circles/{circle.id}#round-h")  # back at the rounds, not the top
    assert "What made you smile?" in client.get(f"/circles/{circle.id}").get_data(as_text=True)
    bad = client.post(f"/circles/{circle.id}/agreements", data={"kind": "action", "what": "Tidy up"})
    assert bad.status_code == 302 and bad.headers["Location"].endswith(f"/circles/{circle.id}#agree-h")
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Choose who the agreement is for" in page and '<details class="agreement-form" open>' in page
    assert re.search(r'<textarea[^>]*name="what"[^>]*>\s*Tidy up</textarea>', page), "nothing typed is lost"
    assert re.search(r'<input checked id="kind-1"[^>]*value="action"', page)
    empty = client.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": ""})
    assert empty.status_code == 302 and "Say what has been agreed." in client.get(f"/circles/{circle.id}").get_data(as_text=True)
    soon = date.today() + timedelta(days=4)
    made = client.post(f"/circles/{circle.id}/agreements", data={
        "kind": "action", "what": "Tidy up", "who": [amira.id], "by_when": soon.isoformat(),
        "review_on": (soon + timedelta(days=7)).isoformat()})
    assert made.headers["Location"].endswith("#agree-h")
    assert "Tidy up" in device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    version = db.session.get(Circle, circle.id).version
    response = client.post(f"/circles/{circle.id}/concern", data={"seat": amira.id, "note": "Said something worrying"},
                           follow_redirects=True)
    assert "Designated Safeguarding Lead" in response.get_data(as_text=True)
    assert db.session.scalar(select(Concern.note)) == "Said something worrying"
    db.session.expire_all()
    assert db.session.get(Circle, circle.id).version == version, "a concern is not a change of the circle"
    assert client.post(f"/circles/{circle.id}/concern", data={"seat": amira.id, "note": ""}).status_code == 400
    unchosen = client.post(f"/circles/{circle.id}/concern", data={"seat": "", "note": "Said something else"})
    text = unchosen.get_data(as_text=True)
    assert unchosen.status_code == 400 and "Choose who the concern is about." in text
    assert "Said something else" in text, "nothing typed is lost"
    assert db.session.scalar(select(func.count(Concern.id))) == 1


def test_every_live_region_of_the_keepers_screen_can_be_polled(app, world):
    """Where a school's web filter blocks the stream, the keeper's screen polls each live region: the
    agreement's "Who" list and the concern's "Who is it about?" list too, else they never gain anyone."""
    from rrp_pwa.circles.live import KEEPER_REGIONS

    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    for region in KEEPER_REGIONS:
        tag = re.search(rf'<[a-z]+ [^>]*\bsse-swap="{region}"[^>]*>', page).group(0)
        assert f'data-poll-url="/circles/{circle.id}/part/{region}"' in tag, region
    seated(app, circle, world["pupils"][0])
    assert "Amira S." in client.get(f"/circles/{circle.id}/part/k-who", headers=HX).get_data(as_text=True)
    assert "Amira S." in client.get(f"/circles/{circle.id}/part/k-concern-who", headers=HX).get_data(as_text=True)


def test_the_concern_form_starts_with_nobody_chosen(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    choices = re.search(r'<select id="seat"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", choices) == ["Choose who it is about", "Amira S."]
    assert '<option value="" id="concern-who-none">' in choices


def test_a_concern_can_be_about_someone_taken_out_of_the_circle(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    assert client.post(f"/circles/{circle.id}/seats/{amira.id}/remove", headers=HX).status_code == 200
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    choices = re.search(r'<select id="seat"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", choices) == ["Choose who it is about",
                                                                      "Amira S. (left the circle)"]
    response = client.post(f"/circles/{circle.id}/concern", data={"seat": amira.id, "note": "Ran out crying"})
    assert response.status_code == 302
    assert db.session.scalar(select(Concern.pupil_id)) == world["pupils"][0].id


def keepers_concern_form_id(page: str) -> str:
    form = re.search(r'<form method="post" action="/circles/\d+/concern".*?</form>', page, re.S).group(0)
    return re.search(r'<input id="client_uuid" name="client_uuid" type="hidden" value="([0-9a-f-]{36})">', form).group(1)


def test_a_concern_sent_twice_from_the_keepers_screen_reaches_the_dsl_once(app, world):
    """The keeper's Send to the DSL gets no answer on slow Wi-Fi (the concern was stored) and is sent again:
    the screen says it was sent, as the first time, and the DSL has it once. Refused first (nobody chosen),
    the form keeps its id, so the corrected send is still one concern; a fresh screen is a fresh form."""
    circle = world["circle"]
    make_staff(world["school"], ("dsl",), name="Dee Lead")
    db.session.commit()
    client = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    uuid = keepers_concern_form_id(client.get(f"/circles/{circle.id}").get_data(as_text=True))
    refused = client.post(f"/circles/{circle.id}/concern", data={"seat": "", "note": "Said dad hits her",
                                                                "client_uuid": uuid})
    assert refused.status_code == 400 and keepers_concern_form_id(refused.get_data(as_text=True)) == uuid
    data = {"seat": amira.id, "note": "Said dad hits her", "client_uuid": uuid}
    answers = [client.post(f"/circles/{circle.id}/concern", data=data) for _ in range(2)]
    assert [(a.status_code, a.headers["Location"]) for a in answers] == [(302, f"/circles/{circle.id}")] * 2
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert page.count("Your concern has gone to the Designated Safeguarding Lead. It is not in the circle") == 2
    assert [(c.note, c.client_uuid) for c in db.session.scalars(select(Concern))] == [("Said dad hits her", uuid)]
    assert keepers_concern_form_id(page) != uuid


# Joining

def test_joining_by_code_then_name_then_waiting(app, world):
    circle = world["circle"]
    device = app.test_client()
    assert device.get("/join").status_code == 200
    wrong = device.post("/join", data={"code": "ZZZZZ9" if circle.join_code != "ZZZZZ9" else "ZZZZZ8"})
    assert wrong.status_code == 404 and "find a circle with that code" in wrong.get_data(as_text=True)
    found = device.post("/join", data={"code": circle.join_code.lower()})
    assert found.status_code == 302 and "/join/" in found.headers["Location"]
    names = device.get(found.headers["Location"]).get_data(as_text=True)
    assert "Amira S." in names and "Smith" not in names, "other pupils see first name and initial only"
    joined = device.post(found.headers["Location"], data={"pupil": world["pupils"][0].id})
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/circles/{circle.id}/seat")
    cookie = joined.headers["Set-Cookie"]
    assert f"Path=/circles/{circle.id}/seat" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Nearly there" in device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    again = app.test_client().post(found.headers["Location"], data={"pupil": world["pupils"][0].id})
    assert again.status_code == 400 and "already in this circle" in again.get_data(as_text=True)


def test_back_to_the_names_and_join_again_goes_to_the_pupils_own_seat(app, world):
    """Amira joins, then goes Back to the list of names (or her Join was sent twice) and taps her name
    again: her tablet goes to her seat - not "Amira S. is already in this circle... ask your teacher".
    Another tablet tapping her name is still refused, and is offered no way into her seat."""
    circle = world["circle"]
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    amiras = app.test_client()
    joined = amiras.post(link, data={"pupil": world["pupils"][0].id})
    assert joined.status_code == 302
    assert f"Path={link}" in " ".join(joined.headers.getlist("Set-Cookie")), "the join link gets the seat too"
    back = amiras.get(link).get_data(as_text=True)
    assert "You're in this circle already, as <strong>Amira S.</strong>" in back
    assert f'href="/circles/{circle.id}/seat">Back to my circle</a>' in back
    again = amiras.post(link, data={"pupil": world["pupils"][0].id})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/circles/{circle.id}/seat")
    assert "Nearly there" in amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Seat.id)).where(Seat.pupil_id == world["pupils"][0].id)) == 1

    someone_else = app.test_client()
    assert "Back to my circle" not in someone_else.get(link).get_data(as_text=True)
    refused = someone_else.post(link, data={"pupil": world["pupils"][0].id})
    assert refused.status_code == 400 and "already in this circle" in refused.get_data(as_text=True)
    assert "Back to my circle" not in refused.get_data(as_text=True)


def test_a_device_turned_away_can_choose_its_own_name(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    tablet = app.test_client()
    tablet.post(link, data={"pupil": world["pupils"][0].id})  # Ben tapped Amira's name
    wrong = db.session.scalar(select(Seat).where(Seat.pupil_id == world["pupils"][0].id))
    keeper.post(f"/circles/{circle.id}/seats/{wrong.id}/not-now", headers=HX)
    assert "Back to my circle" not in tablet.get(link).get_data(as_text=True)
    assert tablet.post(link, data={"pupil": world["pupils"][1].id}).status_code == 302


def test_an_expired_or_forged_link_gets_a_kind_message(app, world):
    app.config["CIRCLE_JOIN_MINUTES"] = -1
    token = join_token(world["circle"], app.config["SECRET_KEY"])
    response = app.test_client().get(f"/join/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    forged = app.test_client().get(f"/join/{token}x")
    assert forged.status_code == 410 and "Scan the code again" in forged.get_data(as_text=True)


def test_joining_a_circle_by_name_is_throttled_per_circle_and_a_right_code_costs_nothing(app, world):
    app.config["CIRCLE_JOIN_CODE_LIMIT"] = 2
    device = app.test_client()
    for _ in range(5):
        assert device.post("/join", data={"code": world["circle"].join_code}).status_code == 302
    token = join_token(world["circle"], app.config["SECRET_KEY"])
    for pupil in world["pupils"][:2]:
        assert app.test_client().post(f"/join/{token}", data={"pupil": pupil.id}).status_code == 302
    blocked = app.test_client().post(f"/join/{token}", data={"pupil": world["pupils"][2].id})
    assert blocked.status_code == 400 and "Wait a minute" in blocked.get_data(as_text=True)


def test_wrong_codes_have_a_global_ceiling(app, world):
    app.config["CIRCLE_JOIN_GLOBAL_LIMIT"] = 1
    device = app.test_client()
    device.post("/join", data={"code": "AAAAAA"})
    assert device.post("/join", data={"code": world["circle"].join_code}).status_code == 429


def device_on(app, address: str):
    """A pupil device on a school's network (every device there shares its public IP address)."""
    device = app.test_client()
    device.environ_base["REMOTE_ADDR"] = address
    return device


def test_wrong_codes_are_counted_per_network(app, world):
    """Past the limit a right code is refused too (else the refusals would tell a guesser which codes are
    right); another school's network is not held up."""
    app.config["CIRCLE_JOIN_IP_LIMIT"] = 2
    guesser = device_on(app, "203.0.113.7")
    for wrong in ("AAAAAA", "BBBBBB"):
        assert guesser.post("/join", data={"code": wrong}).status_code == 404
    paused = guesser.post("/join", data={"code": world["circle"].join_code})
    assert paused.status_code == 429 and "Wait a minute" in paused.get_data(as_text=True)
    other_school = device_on(app, "198.51.100.20")
    assert other_school.post("/join", data={"code": world["circle"].join_code}).status_code == 302


def test_a_local_authoritys_morning_circles_all_get_in(app, world):
    """Eleven classes of thirty, all behind one network, type their circle's code and their name in the same
    minute, a few mistyping the code first: nobody is told to wait (one shared ceiling of 600 attempts, two
    per pupil, used to refuse thirty of them)."""
    circles = [open_circle(world["keeper"], "checkin", None, auto_admit=True) for _ in range(11)]
    db.session.commit()
    refused = 0
    for n, circle in enumerate(circles):
        code = circle.join_code
        for pupil in range(30):
            device = device_on(app, "192.0.2.1")
            if pupil % 10 == 0:
                assert device.post("/join", data={"code": code[:5]}).status_code == 404  # a typo first
            found = device.post("/join", data={"code": code})
            joined = device.post(found.headers["Location"], data={"name": f"Pupil {n}-{pupil}"}) \
                if found.status_code == 302 else found
            refused += joined.status_code != 302
    assert refused == 0
    assert db.session.scalar(select(func.count(Seat.id)).where(Seat.is_keeper.is_(False))) == 330


# Participant routes

SEAT_ROUTES = [("get", "/seat"), ("get", "/seat/live"), ("get", "/seat/part/p-piece"), ("post", "/seat/turn"),
               ("post", "/seat/checkin"), ("post", "/seat/agree/1"), ("post", "/seat/leave")]


@pytest.mark.parametrize("method,path", SEAT_ROUTES)
def test_without_a_seat_htmx_and_streams_get_401(app, world, method, path):
    url = f"/circles/{world['circle'].id}{path}"
    assert getattr(app.test_client(), method)(url, headers=HX).status_code == 401
    assert app.test_client().get(url, headers={"Accept": "text/event-stream"}).status_code in (401, 405)


def test_without_a_seat_a_page_goes_to_the_join_page(app, world):
    client = app.test_client()
    response = client.get(f"/circles/{world['circle'].id}/seat")
    assert response.status_code == 302 and response.headers["Location"] == "/join"
    assert "circle code" in client.get("/join").get_data(as_text=True).lower()


@pytest.mark.parametrize("method,path", SEAT_ROUTES)
def test_a_seat_cookie_of_circle_a_does_not_open_circle_b(app, world, method, path):
    other = open_circle(world["keeper"], "community", None)
    db.session.commit()
    device, _ = seated(app, world["circle"], world["pupils"][0])
    secret = device.get_cookie(SEAT_COOKIE, domain="rrp.test", path=f"/circles/{world['circle'].id}/seat").value
    device.set_cookie(SEAT_COOKIE, secret, domain="rrp.test", path=f"/circles/{other.id}/seat")
    response = getattr(device, method)(f"/circles/{other.id}{path}", headers=HX)
    assert response.status_code == 403


def test_a_staff_session_is_not_a_seat(app, world):
    client = sign_in(app, world["keeper"])
    assert client.get(f"/circles/{world['circle'].id}/seat", headers=HX).status_code == 401


def test_the_holder_passes_on_and_a_stale_pass_gets_409(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    ben_device, _ = seated(app, circle, world["pupils"][1])
    version = db.session.get(Circle, circle.id).version
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
    page = amira_device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert "You have the talking piece" in page
    # "pass" in a circle means not speaking: only the button for that says "Pass"
    assert "I've finished - pass the piece on</button>" in page and "Pass - I don't want to talk this time</button>" in page
    assert "Pass it on" not in page and "Pass (skip my turn)" not in page
    assert "Amira S. has the talking piece" in ben_device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    not_mine = ben_device.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass", "version": version + 1},
                               headers=HX)
    assert not_mine.status_code == 409 and "The talking piece has moved on" in not_mine.get_data(as_text=True)
    passed = amira_device.post(f"/circles/{circle.id}/seat/turn", data={"turn": "skip", "version": version + 1},
                               headers=HX)
    assert passed.status_code == 200 and "Ben S. has the talking piece" in passed.get_data(as_text=True)
    stale = amira_device.post(f"/circles/{circle.id}/seat/turn", data={"turn": "skip", "version": version + 1},
                              headers=HX)
    assert stale.status_code == 409 and "Ben S. has the talking piece" in stale.get_data(as_text=True)
    kinds = db.session.scalars(select(CircleEvent.kind).where(CircleEvent.circle_id == circle.id)
                               .order_by(CircleEvent.version))
    assert list(kinds)[-2:] == ["pass", "skip"]


def test_pupil_screens_call_the_keeper_by_name_never_the_keeper(app, world):
    from rrp_pwa.circles import live

    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    waiting, _ = seated(app, circle, world["pupils"][0], admit=False)
    holder, _ = seated(app, circle, world["pupils"][1])
    watcher, watching = seated(app, circle, world["pupils"][2])
    version = db.session.get(Circle, circle.id).version
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
    screens = {"waiting": waiting.get(f"/circles/{circle.id}/seat").get_data(as_text=True),
               "holding": holder.get(f"/circles/{circle.id}/seat").get_data(as_text=True),
               "watching": watcher.get(f"/circles/{circle.id}/seat").get_data(as_text=True),
               "no seat": app.test_client().get(f"/circles/{circle.id}/seat", follow_redirects=True).get_data(as_text=True)}
    keeper.post(f"/circles/{circle.id}/seats/{watching.id}/remove", headers=HX)
    with app.test_request_context():
        state = live.render_state(db.session.get(Circle, circle.id))
        screens["taken out"] = live.seat_fragment(state, watching.id, "p-piece")
    screens["taken out, page"] = watcher.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert "Ms Keeper will let you into the circle" in screens["waiting"]
    assert "ask Ms Keeper." in screens["taken out"]
    for name, html in screens.items():
        assert "keeper" not in html, name


def test_check_in_on_the_device_keeper_sees_it_others_see_nothing_of_it_and_low_is_a_follow_up(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    ben_device, _ = seated(app, circle, world["pupils"][1])
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you feeling?"})
    assert "Awful" in amira_device.get(f"/circles/{circle.id}/seat/part/p-round").get_data(as_text=True)
    response = amira_device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 1, "word": "tired"}, headers=HX)
    assert response.status_code == 200 and "Thank you for checking in" in response.get_data(as_text=True)
    assert amira_device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 9}, headers=HX).status_code == 409
    bens = ben_device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 4}, headers=HX).get_data(as_text=True)
    # Nothing of Amira's answer reaches Ben: not her word, not a count ("Awful: 1" would tell him who it was).
    assert "Thank you for checking in" in bens and "tired" not in bens
    assert "Awful" not in bens and "checkin-counts" not in bens
    assert "Awful" not in amira_device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert "The other children can't see your answer, but Ms Keeper can." in bens
    assert "Only the keeper sees" not in bens
    keeper_view = keeper.get(f"/circles/{circle.id}/part/k-round", headers=HX).get_data(as_text=True)
    assert "tired" in keeper_view and "check in later" in keeper_view
    assert "Awful: <strong>1</strong>" in keeper_view, "the keeper keeps the counts"
    follow_up = db.session.scalar(select(CheckInFollowUp))
    assert "Check in with <strong>Amira Smith</strong> later" in keeper.get("/circles").get_data(as_text=True)
    done = keeper.post(f"/checkins/follow-ups/{follow_up.id}/done", data={"list_on": "circles"})
    assert done.headers["Location"] == "/circles#follow-ups-h"
    assert "Nobody to check in with" in keeper.get("/circles").get_data(as_text=True)


def test_what_a_pupil_is_told_about_who_sees_their_check_in_is_true(app, world):
    """A class circle: the answer (never the word) goes on the pupil's record; an ad hoc circle's seat
    has no record, so its pupil is not told it does."""
    from rrp_pwa.circles.talking_piece import start_round

    circle, amira = world["circle"], world["pupils"][0]
    device, _ = seated(app, circle, amira)
    start_round(circle, "How are you today?", kind="checkin")
    db.session.commit()
    asked = device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    # one question (the round's), then what to tap, on drawn faces that need no emoji font
    assert "How are you today?" in asked and "<legend>Now tap how you feel</legend>" in asked
    assert 'class="face-drawing face-not_great"' in asked
    told = device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 2, "word": "wobbly"},
                       headers=HX).get_data(as_text=True)
    assert "goes on your school record" in told and "Your word is just for Ms Keeper." in told
    record = sign_in(app, world["keeper"]).get(f"/pupils/{amira.id}").get_data(as_text=True)
    assert "Check-in in a circle" in record and "wobbly" not in record

    ad_hoc = open_circle(world["keeper"], "community", None, auto_admit=True)
    seat, secret = join_circle(ad_hoc, name="Zak")
    start_round(ad_hoc, "How are you today?", kind="checkin")
    db.session.commit()
    visitor = app.test_client()
    visitor.set_cookie(SEAT_COOKIE, secret, domain="rrp.test", path=f"/circles/{ad_hoc.id}/seat")
    told = visitor.post(f"/circles/{ad_hoc.id}/seat/checkin", data={"value": 2}, headers=HX).get_data(as_text=True)
    assert "The other children can't see your answer: only Ms Keeper can." in told
    assert "school record" not in told


def test_a_check_in_tapped_as_a_new_round_starts_is_not_recorded_against_it(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you feeling?"})
    shown = amira_device.get(f"/circles/{circle.id}/seat/part/p-round").get_data(as_text=True)
    asked = re.search(r'name="round_no" value="(\d+)"', shown).group(1)
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How was your weekend?"})
    late = amira_device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 2, "round_no": asked}, headers=HX)
    text = late.get_data(as_text=True)
    assert late.status_code == 409 and "A new round has started. Here is its question." in text
    assert "How was your weekend?" in text and db.session.scalar(select(func.count(CircleCheckIn.id))) == 0
    fresh = re.search(r'name="round_no" value="(\d+)"', text).group(1)
    answered = amira_device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 2, "round_no": fresh}, headers=HX)
    assert answered.status_code == 200 and "Thank you for checking in" in answered.get_data(as_text=True)


def test_a_pupil_who_taps_i_agree_is_told_they_agreed(app, world):
    """Before, the button just went away: a child could not tell it had worked. Now their own screen
    says "You agreed." for it (and the focus can go there); a pupil who has not agreed yet, and a
    pupil an action agreement is not for, see no such line."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    bens, _ = seated(app, circle, world["pupils"][1])
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen to the holder"})
    agreement = db.session.scalar(select(Agreement).where(Agreement.what == "We listen to the holder"))
    answer = amiras.post(f"/circles/{circle.id}/seat/agree/{agreement.id}", headers=HX).get_data(as_text=True)
    assert f'id="agreed-{agreement.id}" tabindex="-1">You agreed.</p>' in answer and "I agree" not in answer
    shown = amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert "You agreed." in shown and f'data-focus-after="#agreed-{agreement.id} ' not in shown
    bens_screen = bens.get(f"/circles/{circle.id}/seat/part/p-agreements").get_data(as_text=True)
    assert "You agreed." not in bens_screen and f'data-focus-after="#agreed-{agreement.id} ' in bens_screen
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "action", "what": "Tidy the corner",
                                                          "who": [str(db.session.scalar(select(Seat.id).where(
                                                              Seat.circle_id == circle.id,
                                                              Seat.pupil_id == world["pupils"][1].id)))]})
    amiras_screen = amiras.get(f"/circles/{circle.id}/seat/part/p-agreements").get_data(as_text=True)
    assert amiras_screen.count("You agreed.") == 1 and "Tidy the corner" in amiras_screen


def test_participants_tap_i_agree(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen to the holder"})
    agreement_id = re.search(r"/seat/agree/(\d+)", amira_device.get(f"/circles/{circle.id}/seat").get_data(as_text=True))
    response = amira_device.post(f"/circles/{circle.id}/seat/agree/{agreement_id.group(1)}", headers=HX)
    assert response.status_code == 200 and "1 of 1 agreed" in response.get_data(as_text=True)
    assert "I agree" not in response.get_data(as_text=True)
    # Ben is in the circle when it agrees, then is taken out; a device that takes his name again and is
    # still waiting to be let in cannot agree for him
    _, ben_seat = seated(app, circle, world["pupils"][1])
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We take turns"})
    later = db.session.scalar(select(Agreement).where(Agreement.what == "We take turns"))
    assert world["pupils"][1].id in [p.pupil_id for p in later.parties]
    keeper.post(f"/circles/{circle.id}/seats/{ben_seat.id}/remove")
    impostor, _ = seated(app, circle, world["pupils"][1], admit=False)
    refused = impostor.post(f"/circles/{circle.id}/seat/agree/{later.id}", headers=HX)
    assert refused.status_code != 200 and "Wait until Ms Keeper lets you in" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert [p.agreed_at for p in db.session.get(Agreement, later.id).parties
            if p.pupil_id == world["pupils"][1].id] == [None]


def test_agreements_stay_on_every_screen_as_the_piece_goes_round(app, world):
    """A pass renders the circle's new state for every device: the agreements must be in it (a pass in a
    circle without agreements skips reading them, so this proves the skip only happens without)."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen to the holder"})
    for _ in range(2):
        version = db.session.get(Circle, circle.id).version
        response = keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
        assert response.status_code == 200 and response.headers["X-Circle-Version"] == str(version + 1)
        seat_page = amira_device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
        assert "We listen to the holder" in seat_page and "I agree" in seat_page
        assert "We listen to the holder" in keeper.get(f"/circles/{circle.id}").get_data(as_text=True)


def test_a_seat_not_let_in_yet_sees_nothing_of_the_circle_but_that_it_is_waiting(app, world):
    """Anyone with the QR link can take a waiting seat: until the keeper lets them in they must not read
    the circle's agreements, who they name, or the round's question - on the page, a poll or the stream."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "action", "what": "Amira says sorry to Cara",
                                                          "who": [amira.id]})
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How was the weekend?"})
    stranger, _ = seated(app, circle, world["pupils"][1], admit=False)
    page = stranger.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    polled = "".join(stranger.get(f"/circles/{circle.id}/seat/part/{region}", headers=HX).get_data(as_text=True)
                     for region in ("p-piece", "p-round", "p-agreements"))
    response = stranger.get(f"/circles/{circle.id}/seat/live")
    chunks = response.response
    streamed = b"".join(next(chunks) for _ in range(4)).decode()
    response.close()
    for seen in (page, polled, streamed):
        assert "Nearly there!" in seen
        assert "Amira says sorry to Cara" not in seen and "Amira S." not in seen
        assert "How was the weekend?" not in seen and "Our agreements" not in seen and "I agree" not in seen
    assert "event: p-agreements" in streamed and "event: p-round" in streamed  # sent, and empty


def test_the_stream_sends_the_state_at_once_then_each_change(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    device, _ = seated(app, circle, world["pupils"][0])
    response = device.get(f"/circles/{circle.id}/seat/live", headers={"Last-Event-ID": "1"})
    assert response.mimetype == "text/event-stream"
    chunks = response.response
    assert next(chunks).startswith(b": open")
    first = b"".join(next(chunks) for _ in range(3)).decode()
    assert "event: p-piece" in first and "Ms Keeper has the talking piece" in first
    version = db.session.get(Circle, circle.id).version
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
    change = next(chunks).decode()
    assert f"id: {version + 1}" in change and "You have the talking piece" in change
    keeper.post(f"/circles/{circle.id}/close", data=ASKED)
    assert "Circle closed - thank you" in b"".join(chunks).decode(), "the stream ends after the closing message"
    response.close()


def test_the_keepers_stream_carries_its_regions(app, world):
    keeper = sign_in(app, world["keeper"])
    response = keeper.get(f"/circles/{world['circle'].id}/live")
    chunks = response.response
    next(chunks)
    opening = b"".join(next(chunks) for _ in range(6)).decode()
    assert "event: k-piece" in opening and "event: k-seats" in opening and "event: k-waiting" in opening
    response.close()


@pytest.mark.parametrize("screen, stream_path", [("", "/live"), ("/seat", "/seat/live")])
def test_a_page_that_opens_its_stream_is_not_sent_again_what_it_already_shows(app, world, screen, stream_path):
    """The keeper's screen and a pupil's seat open their stream at the version they were rendered at:
    swapping every region in again as the page loads kept a phone busy for seconds (Lighthouse: a
    2 s long task on the keeper's screen of a 20-seat circle). The next change still comes through."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    pupil, seat = seated(app, circle, world["pupils"][0])
    device = pupil if screen else keeper
    page = device.get(f"/circles/{circle.id}{screen}").get_data(as_text=True)
    version = db.session.get(Circle, circle.id).version
    stream_url = re.search(r'sse-connect="([^"]+)"', page).group(1).replace("&amp;", "&")
    whose = f"&seat={seat.id}" if screen else ""  # a seat's page says which seat it is for
    assert stream_url == f"/circles/{circle.id}{stream_path}?v={version}{whose}"
    response = device.get(stream_url)
    chunks = response.response
    assert next(chunks).startswith(b": open")
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
    first = next(chunks).decode()
    assert first.startswith("event: ") and f"id: {version + 1}" in first, "the first event is the change"
    response.close()


@pytest.mark.parametrize("headers, shown", [({}, "older"), ({"Last-Event-ID": "current"}, "current")])
def test_a_stream_opened_behind_the_circle_or_reconnecting_gets_the_state_at_once(app, world, headers, shown):
    """A page rendered before the latest change, or a device reconnecting (it may have missed part of a
    version as its stream broke), gets every region first, as before."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    version = db.session.get(Circle, circle.id).version
    page_version = version - 1 if shown == "older" else version
    headers = {name: str(version) for name in headers}
    response = keeper.get(f"/circles/{circle.id}/live?v={page_version}", headers=headers)
    chunks = response.response
    next(chunks)
    opening = b"".join(next(chunks) for _ in range(6)).decode()
    assert "event: k-piece" in opening and f"id: {version}" in opening
    response.close()


def test_a_closed_circle_has_no_keeper_stream_to_reconnect_to(app, world):
    """A second keeper device whose stream ended as the circle closed reconnects: it gets 204 (stop), not a
    stream that stays open saying nothing, so its polling takes it to the summary."""
    keeper = sign_in(app, world["keeper"])
    keeper.post(f"/circles/{world['circle'].id}/close", data=ASKED)
    assert keeper.get(f"/circles/{world['circle'].id}/live").status_code == 204
    polled = keeper.get(f"/circles/{world['circle'].id}/part/k-piece", headers=HX)
    assert polled.headers["HX-Redirect"].endswith(f"/circles/{world['circle'].id}/summary")



@pytest.mark.parametrize("admit, question, yes", [(True, "Leave the circle?", "Leave the circle"),
                                                  (False, "Stop waiting to join the circle?", "Stop waiting")])
def test_leave_sent_unasked_is_asked_on_a_page_of_its_own_and_changes_nothing(app, world, admit, question, yes):
    """Tapped before the seat's scripts could ask (a slow tablet): not done unasked - the same question on a page
    of its own, whose yes sends the form again marked as asked, and whose no goes back to the seat."""
    circle = world["circle"]
    amiras, amira = seated(app, circle, world["pupils"][0], admit=admit)
    status = amira.status
    asked = amiras.post(f"/circles/{circle.id}/seat/leave")
    page = unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200 and f'<h1 id="asking-h">{question}</h1>' in page
    assert "You can join again with the code." in page and "You are Amira S." in page
    form = re.search(r'<form method="post" action="/circles/\d+/seat/leave">.*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form and '<input type="hidden" name="asked" value="yes">' in form
    assert f'<button type="submit" class="button danger">{yes}</button>' in form
    assert f'<a class="button" href="/circles/{circle.id}/seat">No, go back to the circle</a>' in form
    db.session.expire_all()
    assert db.session.get(Seat, amira.id).status == status, "nothing changed"
    assert amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED).status_code == 302
    db.session.expire_all()
    assert db.session.get(Seat, amira.id).status == "removed"


def test_close_sent_unasked_is_asked_on_a_page_of_its_own_and_changes_nothing(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    asked = keeper.post(f"/circles/{circle.id}/close", data={"note": "kept <as sent>"})
    page = unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200 and '<h1 id="asking-h">Close the circle?</h1>' in page
    assert "Every device will show 'Circle closed - thank you' and the code will stop working." in page
    assert '<input type="hidden" name="note" value="kept &lt;as sent&gt;">' in asked.get_data(as_text=True), \
        "the form's own fields go with the yes, escaped"
    assert f'<a class="button" href="/circles/{circle.id}">No, go back to the circle</a>' in page
    db.session.expire_all()
    assert db.session.get(Circle, circle.id).is_open, "nothing changed"
    keeper_page = unescape(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    assert 'data-confirm="Close the circle? Every device will show \'Circle closed - thank you\' and the code will ' \
           'stop working.">' in keeper_page, "the same words when asked on the keeper's screen"
    assert keeper.post(f"/circles/{circle.id}/close", data=ASKED).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Circle, circle.id).is_open

def test_closing_ends_every_device_and_kills_the_code(app, world):
    circle = world["circle"]
    code = circle.join_code
    keeper = sign_in(app, world["keeper"])
    device, _ = seated(app, circle, world["pupils"][0])
    other_device, _ = seated(app, circle, world["pupils"][1])
    response = keeper.post(f"/circles/{circle.id}/close", data=ASKED, follow_redirects=True)
    refused = other_device.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass", "version": 1}, headers=HX)
    assert refused.status_code == 403 and refused.headers["HX-Redirect"].endswith(f"/circles/{circle.id}/seat")
    assert "Who took part (2)" in response.get_data(as_text=True) and "Amira S." in response.get_data(as_text=True)
    page = device.get(f"/circles/{circle.id}/seat")
    assert page.status_code == 200 and "Circle closed - thank you" in page.get_data(as_text=True)
    assert device.get_cookie(SEAT_COOKIE, domain="rrp.test", path=f"/circles/{circle.id}/seat") is None
    assert device.get(f"/circles/{circle.id}/seat/part/p-piece", headers=HX).status_code == 401
    assert app.test_client().post("/join", data={"code": code}).status_code == 404
    assert keeper.get(f"/circles/{circle.id}").headers["Location"].endswith(f"/circles/{circle.id}/summary")
    closed_version = db.session.get(Circle, circle.id).version
    late = keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass"}, headers=HX)
    assert late.status_code == 409 and late.headers["HX-Redirect"].endswith(f"/circles/{circle.id}/summary")
    db.session.expire_all()
    assert db.session.get(Circle, circle.id).version == closed_version, "a closed circle does not change"
    summary = json.loads(db.session.get(Circle, circle.id).summary)
    assert summary["participants"] == ["Amira S.", "Ben S."]


@pytest.mark.parametrize("action", ["give to Amira", "remove the keeper", "let Ben in again"])
def test_a_second_keeper_device_refused_by_a_rule_on_a_closed_circle_goes_to_the_summary(app, world, action):
    """The keeper's phone closed the circle; the tablet still shows it and taps something a rule refuses
    anyway (Amira was taken out, the keeper's seat stays, Ben is already in). It is told the circle has
    closed, as for any other tap, and goes to the summary - not an error page."""
    circle = world["circle"]
    phone, tablet = sign_in(app, world["keeper"]), sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    _, ben = seated(app, circle, world["pupils"][1])
    keeper_seat = db.session.scalar(select(Seat).where(Seat.circle_id == circle.id, Seat.is_keeper.is_(True)))
    assert phone.post(f"/circles/{circle.id}/seats/{amira.id}/remove", headers=HX).status_code == 200
    phone.post(f"/circles/{circle.id}/close", data=ASKED)
    url = {"give to Amira": f"/circles/{circle.id}/give/{amira.id}",
           "remove the keeper": f"/circles/{circle.id}/seats/{keeper_seat.id}/remove",
           "let Ben in again": f"/circles/{circle.id}/seats/{ben.id}/admit"}[action]
    late = tablet.post(url, headers=HX)
    assert late.status_code == 409 and late.headers["HX-Redirect"].endswith(f"/circles/{circle.id}/summary")


@pytest.mark.parametrize("form,data", [("rounds", {"round_kind": "talk", "typed": "What made you smile?"}),
                                       ("agreements", {"kind": "value", "what": "We listen"}),
                                       ("seats", {"name": "Zed"})])
def test_a_form_sent_from_a_second_keeper_device_after_closing_goes_to_the_summary(app, world, form, data):
    circle = world["circle"]
    phone, tablet = sign_in(app, world["keeper"]), sign_in(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    phone.post(f"/circles/{circle.id}/close", data=ASKED)
    late = tablet.post(f"/circles/{circle.id}/{form}", data=data)
    assert late.status_code == 302 and late.headers["Location"].endswith(f"/circles/{circle.id}/summary")
    assert "This circle has closed" in tablet.get(late.headers["Location"]).get_data(as_text=True)


def test_a_concern_typed_on_a_second_device_after_closing_is_not_lost(app, world):
    """Safeguarding: the note is shown again with its error, and once the pupil is chosen it reaches the DSL."""
    circle = world["circle"]
    phone, tablet = sign_in(app, world["keeper"]), sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    phone.post(f"/circles/{circle.id}/close", data=ASKED)
    unchosen = tablet.post(f"/circles/{circle.id}/concern", data={"seat": "", "note": "Said dad hits her"})
    assert unchosen.status_code == 400 and "Said dad hits her" in unchosen.get_data(as_text=True)
    assert "This circle has closed." in unchosen.get_data(as_text=True)
    # the person can be chosen from the page shown (whoever was in the circle), and the page neither
    # streams nor polls, so it does not move on to the summary while the note is still unsent
    assert f'<option value="{amira.id}" id="concern-who-{amira.id}">Amira S.</option>' in unchosen.get_data(as_text=True)
    assert "sse-connect" not in unchosen.get_data(as_text=True)
    sent = tablet.post(f"/circles/{circle.id}/concern", data={"seat": amira.id, "note": "Said dad hits her"})
    assert sent.status_code == 302
    assert db.session.scalar(select(Concern.note)) == "Said dad hits her"


@pytest.mark.parametrize("role,status", [("pastoral", 200), ("admin", 200), ("teacher", 403), ("support", 403)])
def test_who_may_read_a_closed_circles_summary(app, world, role, status):
    keeper = sign_in(app, world["keeper"])
    keeper.post(f"/circles/{world['circle'].id}/close", data=ASKED)
    client = sign_in(app, make_staff(world["school"], roles=(role,)))
    assert client.get(f"/circles/{world['circle'].id}/summary").status_code == status


def test_one_device_mode_seats_the_group_and_takes_check_ins_on_the_shared_screen(app, world):
    client = sign_in(app, world["keeper"])
    client.post("/circles/new", data={"kind": "checkin", "group": world["group"].id, "one_device": "y"})
    circle = db.session.scalar(select(Circle).where(Circle.one_device.is_(True)))
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Amira S." in page and "Join this circle" not in page
    started = client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?"})
    # back at the talking piece, where the device is handed over (not the rounds, screens below)
    assert started.headers["Location"].endswith(f"/circles/{circle.id}#ring-h")
    ring = client.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": 2}, headers=HX).get_data(as_text=True)
    assert "Amira S., you have the talking piece" in ring and "Awful" in ring
    assert "How are you?" in ring, "the pupil holding the device reads the question in their panel"
    assert 'name="seat" value="' in ring, "the buttons say whose they are"
    after = client.post(f"/circles/{circle.id}/checkin", data={"value": 1, "word": "tired"},
                        headers=HX).get_data(as_text=True)
    assert "Amira S., you have the talking piece" in after and "Awful" not in after
    # The device goes round the class: no answer, word, count ("Awful: 1") or "check in later" on it at all.
    screen = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    for told in ("Awful", "tired", "check in later", "checkin-counts", "Check-in answers"):
        assert told not in screen, told
    answers = client.get(f"/circles/{circle.id}/part/k-round", headers=HX).get_data(as_text=True)
    assert "1 of 3 checked in." in answers and "each pupil's answer is on its summary" in answers
    added = client.post(f"/circles/{circle.id}/seats", data={"name": "Visitor"}, follow_redirects=True)
    assert "Visitor is in the circle" in added.get_data(as_text=True)


def test_a_shared_screen_check_in_for_someone_the_piece_has_left_is_refused(app, world):
    """One-device mode: Amira's buttons were on the screen, but the piece had moved on to Ben by
    the time her tap arrived - her answer must not be saved as his."""
    client = sign_in(app, world["keeper"])
    client.post("/circles/new", data={"kind": "checkin", "group": world["group"].id, "one_device": "y"})
    circle = db.session.scalar(select(Circle).where(Circle.one_device.is_(True)))
    client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?"})
    ring = client.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": 2}, headers=HX).get_data(as_text=True)
    amiras = re.search(r'name="seat" value="(\d+)"', ring).group(1)
    db.session.expire_all()
    client.post(f"/circles/{circle.id}/turn", data={"turn": "skip", "version": db.session.get(Circle, circle.id).version},
                headers=HX)
    late = client.post(f"/circles/{circle.id}/checkin", data={"value": 1, "word": "sad", "seat": amiras}, headers=HX)
    assert late.status_code == 409 and "The talking piece has moved on" in late.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CircleCheckIn.id))) == 0


def test_after_a_one_device_circle_its_keeper_alone_finds_each_answer_on_the_summary(app, world):
    """The answers kept off the shared screen are on the summary, for the keeper: not for other staff
    who may open it (the word is just for the keeper), and a low one is on the keeper's list too."""
    client = sign_in(app, world["keeper"])
    client.post("/circles/new", data={"kind": "checkin", "group": world["group"].id, "one_device": "y"})
    circle = db.session.scalar(select(Circle).where(Circle.one_device.is_(True)))
    client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?"})
    client.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": 2}, headers=HX)
    client.post(f"/circles/{circle.id}/checkin", data={"value": 1, "word": "tired"}, headers=HX)
    client.post(f"/circles/{circle.id}/close", data=ASKED)
    summary = unescape(client.get(f"/circles/{circle.id}/summary").get_data(as_text=True))
    answers = re.search(r'<section class="card" aria-labelledby="answers-h">(.*?)</section>', summary, re.S)
    assert answers and "Show each pupil's answer (only you see these)" in answers.group(1)
    assert re.search(r"Amira S\.</span>\s*<span>\S+ Awful · “tired” <strong>· check in later</strong>", answers.group(1))
    assert "How are you?" in answers.group(1) and "Ben S." not in answers.group(1)
    assert "Check in with <strong>Amira Smith</strong> later" in client.get("/circles").get_data(as_text=True)
    head = sign_in(app, make_staff(world["school"], roles=("pastoral",)))
    seen = head.get(f"/circles/{circle.id}/summary")
    assert seen.status_code == 200 and "tired" not in seen.get_data(as_text=True)
    assert "answers-h" not in seen.get_data(as_text=True)


def test_a_circle_kept_by_a_midday_assistant_names_her_to_pupils_never_your_teacher(app, world):
    from rrp_pwa.circles import live

    doyle = make_staff(world["school"], roles=("support",), name="Mrs Doyle")
    circle = open_circle(doyle, "checkin", world["group"])
    db.session.commit()
    waiting, _ = seated(app, circle, world["pupils"][0], admit=False)
    screens = {"waiting": waiting.get(f"/circles/{circle.id}/seat").get_data(as_text=True)}
    amira, _ = seated(app, circle, world["pupils"][1])
    _, bens_seat = seated(app, circle, world["pupils"][2])
    keeper = sign_in(app, doyle)
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?"})
    screens["checked in"] = amira.post(f"/circles/{circle.id}/seat/checkin", data={"value": 4},
                                       headers=HX).get_data(as_text=True)
    keeper.post(f"/circles/{circle.id}/seats/{bens_seat.id}/remove", headers=HX)
    with app.test_request_context():  # what his tablet is sent as he is taken out
        screens["taken out"] = live.seat_fragment(live.render_state(db.session.get(Circle, circle.id)),
                                                  bens_seat.id, "p-piece")
    assert "Mrs Doyle will let you into the circle" in screens["waiting"]
    assert "The other children can't see your answer, but Mrs Doyle can." in screens["checked in"]
    assert "Your word is just for Mrs Doyle." in screens["checked in"]
    assert "ask Mrs Doyle." in screens["taken out"]
    for name, html in screens.items():
        assert "teacher" not in html, name


def test_home_tiles_and_the_pupil_record(app, world):
    client = sign_in(app, world["keeper"])
    assert "Start a circle" in client.get("/").get_data(as_text=True)
    device, _ = seated(app, world["circle"], world["pupils"][0])
    client.post(f"/circles/{world['circle'].id}/close", data=ASKED)
    record = client.get(f"/pupils/{world['pupils'][0].id}").get_data(as_text=True)
    assert "Took part in a morning / check-in circle" in record


@pytest.fixture
def csrf_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_with_csrf_on_a_device_must_send_its_token(_schema, csrf_config):
    from rrp_pwa import create_app
    from tests.conftest import empty_tables

    app = create_app(csrf_config)
    with app.app_context():
        empty_tables()
        school = make_school()
        keeper = make_staff(school)
        circle = open_circle(keeper, "checkin", make_group(school, pupils=[make_pupil(school)], staff=[keeper]))
        db.session.commit()
        device = app.test_client()
        names = device.get(f"/join/{join_token(circle, app.config['SECRET_KEY'])}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', names).group(1)
        pupil_id = circle.group.pupils[0].id
        assert device.post(f"/join/{join_token(circle, app.config['SECRET_KEY'])}",
                           data={"pupil": pupil_id}).status_code == 400
        joined = device.post(f"/join/{join_token(circle, app.config['SECRET_KEY'])}",
                             data={"pupil": pupil_id, "csrf_token": token})
        assert joined.status_code == 302
        page = device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
        header = re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)
        assert device.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX).status_code == 400
        answer = device.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass", "version": 1},
                             headers={**HX, "X-CSRFToken": header})
        assert answer.status_code == 409, "a valid request reaches the rule (it is not their turn)"
        leave = f"/circles/{circle.id}/seat/leave"
        assert device.post(leave).status_code == 400, "Leave the circle is a form with its own token"
        form_token = re.search(r'action="[^"]*/seat/leave".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
        assert device.post(leave, data={"csrf_token": form_token, **ASKED}).status_code == 302
        assert db.session.scalar(select(Seat.status).where(Seat.pupil_id == pupil_id)) == "removed"
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def test_a_stream_never_goes_back_to_an_older_version():
    """Two changes may commit in one order and publish in the other: a device keeps the newer."""
    from rrp_pwa.circles.live import DeviceStream
    from rrp_pwa.realtime import Message

    def state(version, holder):
        return {"v": version, "state": "open", "parts": {"p-piece": {"watch": f"{holder} has it"}, "p-round": {"none": ""},
                                                         "p-agreements": {"a": ""}},
                "seats": {"7": {"p-piece": "watch", "p-round": "none", "p-agreements": "a"}}, "end_html": "closed"}

    device = DeviceStream(state(3, "Amira"), seat_id=7)
    newer = device.transform(Message("change", json.dumps(state(5, "Cara")), "5"))
    older = device.transform(Message("change", json.dumps(state(4, "Ben")), "4"))
    assert [m.data for m in newer] == ["Cara has it"] and older == []


def test_what_a_change_publishes_is_what_a_device_reads_after_it(app, world):
    """The state is rendered inside the change's transaction, before the commit: it must be exactly
    the state any device reads afterwards (a second worker, a reconnecting device)."""
    from rrp_pwa.circles import live
    from rrp_pwa.realtime import broker

    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    subscription = broker().subscribe(live.channel(circle.id))
    try:
        for _ in range(4):  # the piece goes round and back to the keeper: a new lap on the last pass
            version = db.session.get(Circle, circle.id).version
            assert keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version},
                               headers=HX).status_code == 200
            published = live.read_wire(subscription.get(timeout=1).data)  # as another worker reads it
            app.extensions.pop("rrp_circle_caches")  # ... having never rendered it
            db.session.expire_all()
            with app.test_request_context():  # as a device's request renders it
                assert published == live.render_state(db.session.get(Circle, circle.id))
            assert published["v"] == version + 1
    finally:
        subscription.close()


def test_a_typed_name_reaches_the_keepers_seat_list_as_text_through_every_worker(app, world):
    """A name typed to join an open circle is shown, never run: on the keeper's page and in every region
    of the published change, the seat list another worker joins back together from it included."""
    from rrp_pwa.circles import live
    from rrp_pwa.realtime import broker

    circle = open_circle(world["keeper"], "community", None, auto_admit=True)
    db.session.commit()
    keeper = sign_in(app, world["keeper"])
    subscription = broker().subscribe(live.channel(circle.id))
    try:
        join_circle(circle, name='<img src=x onerror="alert(1)">')
        db.session.commit()
        version = db.session.get(Circle, circle.id).version
        assert keeper.post(f"/circles/{circle.id}/reverse", data={"version": version}, headers=HX).status_code == 200
        state = live.read_wire(subscription.get(timeout=1).data)
    finally:
        subscription.close()
    seat_list = state["keeper"]["k-seats"]
    page = keeper.get(f"/circles/{circle.id}").get_data(as_text=True)
    shown = [page, *state["keeper"].values(), *(html for part in state["parts"].values() for html in part.values())]
    for html in shown:
        assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in seat_list
    assert seat_list.count("<li id=\"k-seat-") == 2  # the keeper and the newcomer


def test_a_change_whose_commit_fails_is_neither_cached_nor_published(app, world, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from rrp_pwa.circles import live
    from rrp_pwa.realtime import broker

    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    version = db.session.get(Circle, circle.id).version
    subscription = broker().subscribe(live.channel(circle.id))

    def lost_connection():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    try:
        with monkeypatch.context() as patch:
            patch.setattr(db.session, "commit", lost_connection)
            with pytest.raises(OperationalError):
                keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
        db.session.rollback()
        assert subscription.get(timeout=0.2) is None, "devices hear nothing about a change that did not happen"
        cached = app.extensions.get("rrp_circle_caches", ({}, {}))[0]
        assert not any(key[0] == circle.id and key[2] == version + 1 for key in cached)
        fresh = keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version}, headers=HX)
        assert fresh.status_code == 200 and int(fresh.headers["X-Circle-Version"]) == version + 1
        assert json.loads(subscription.get(timeout=1).data)["v"] == version + 1
    finally:
        subscription.close()


def test_a_second_pupil_joins_while_the_first_is_still_waiting(app, world):
    """Auto-admit off (the default): a whole class joins at once, each waiting to be let in. A seat read
    back from the database and one just added must sort together (SQLite hands back naive times)."""
    circle = world["circle"]
    token = join_token(circle, app.config["SECRET_KEY"])
    assert app.test_client().post(f"/join/{token}", data={"pupil": world["pupils"][0].id}).status_code == 302
    db.session.expire_all()
    second = app.test_client()
    assert second.post(f"/join/{token}", data={"pupil": world["pupils"][1].id}).status_code == 302
    db.session.expire_all()
    waiting = db.session.scalars(select(Seat).where(Seat.circle_id == circle.id, Seat.status == "waiting")).all()
    assert sorted(s.pupil_id for s in waiting) == sorted(p.id for p in world["pupils"][:2])


def test_a_word_given_in_a_circle_check_in_stays_out_of_the_pupil_record(app, world):
    from rrp_pwa.circles.activities import check_in
    from rrp_pwa.circles.talking_piece import start_round

    circle, amira = world["circle"], world["pupils"][0]
    _, seat = seated(app, circle, amira)
    start_round(circle, "How are you today?", kind="checkin")
    check_in(circle, seat, 2, word="nan-in-hospital")
    db.session.commit()
    record = sign_in(app, world["keeper"]).get(f"/pupils/{amira.id}").get_data(as_text=True)
    assert "Check-in in a circle" in record and "nan-in-hospital" not in record


def test_the_join_list_and_the_seat_tell_apart_two_pupils_of_the_same_short_name(app, world):
    chen, clarke = make_pupil(world["school"], "Maya", "Chen"), make_pupil(world["school"], "Maya", "Clarke")
    world["group"].pupils += [chen, clarke]
    db.session.commit()
    token = join_token(world["circle"], app.config["SECRET_KEY"])
    device = app.test_client()
    names = device.get(f"/join/{token}").get_data(as_text=True)
    assert "Maya Ch." in names and "Maya Cl." in names
    assert device.post(f"/join/{token}", data={"pupil": clarke.id}).status_code == 302
    assert db.session.scalar(select(Seat.name).where(Seat.pupil_id == clarke.id)) == "Maya Cl."


def test_a_keepers_concern_with_no_dsl_in_the_school_says_nobody_has_been_told(app, world):
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    device, amira = seated(app, circle, world["pupils"][0])
    make_staff(world["other_school"], ("dsl",))
    untold = client.post(f"/circles/{circle.id}/concern", data={"seat": amira.id, "note": "Said something worrying"},
                         follow_redirects=True).get_data(as_text=True)
    assert "nobody has been told" in untold and "has gone to the Designated Safeguarding Lead" not in untold
    make_staff(world["school"], ("dsl",))
    db.session.commit()
    told = client.post(f"/circles/{circle.id}/concern", data={"seat": amira.id, "note": "Said more"},
                       follow_redirects=True).get_data(as_text=True)
    assert "has gone to the Designated Safeguarding Lead" in told and "nobody has been told" not in told
    assert "Concerns you raised, on your home screen, shows when they have seen it." in told  # the keeper can check


def test_the_keepers_concern_card_says_a_worry_cannot_be_kept_secret(app, world):
    page = sign_in(app, world["keeper"]).get(f"/circles/{world['circle'].id}").get_data(as_text=True)
    card = page.split('id="concern-h"')[1].split("</section>")[0]
    assert "stays in the circle unless someone is not safe" in card and "can't be kept secret" in card


# Who is in the circle: a pupil leaving by themselves, the summary, the late joiner's list

def test_a_pupil_leaves_and_their_device_says_so_with_the_way_to_join_again(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, amira = seated(app, circle, world["pupils"][0])
    page = amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/circles/\d+/seat/leave".*?</form>', page, re.S)
    assert form is not None
    assert re.search(r'<button type="submit" class="button leave-in" '
                     r'data-confirm="Leave the circle\? You can join again with the code\.">Leave the circle</button>',
                     form.group(0)), "asked first"
    assert 'data-confirm="Stop waiting to join the circle? You can join again with the code.">Stop waiting</button>' in \
        form.group(0), "the words while waiting (circles.css shows the one that is true)"
    left = amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    assert left.status_code == 302 and left.headers["Location"].endswith(f"/circles/{circle.id}/seat")
    shown = amiras.get(f"/circles/{circle.id}/seat")
    text = unescape(shown.get_data(as_text=True))
    assert shown.status_code == 200 and "You've left the circle" in text
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    assert f'href="{link}">Join the circle again</a>' in text
    assert amiras.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX).status_code == 403
    names = amiras.get(link).get_data(as_text=True)
    assert "Amira S." in names and "Back to my circle" not in names, "her name is free for her again"
    assert amiras.post(link, data={"pupil": world["pupils"][0].id}).status_code == 302
    assert "Nearly there" in amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    seats = keeper.get(f"/circles/{circle.id}/part/k-seats", headers=HX).get_data(as_text=True)
    assert "Amira S." not in seats
    kinds = db.session.scalars(select(CircleEvent.kind).where(CircleEvent.seat_id == amira.id))
    assert "leave" in list(kinds)


def test_someone_turned_away_is_offered_for_a_concern_as_not_having_taken_part(app, world):
    """Evie was at the door and the keeper said Not now: a concern about her is plausible, so she is offered,
    but never as having "left the circle" she was not let into."""
    circle = world["circle"]
    client = sign_in(app, world["keeper"])
    _, wrong = seated(app, circle, world["pupils"][0], admit=False)
    assert client.post(f"/circles/{circle.id}/seats/{wrong.id}/not-now", headers=HX).status_code == 200
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    choices = re.search(r'<select id="seat"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", choices) == ["Choose who it is about",
                                                                      "Amira S. (did not take part)"]
    polled = client.get(f"/circles/{circle.id}/part/k-concern-who", headers=HX).get_data(as_text=True)
    assert "Amira S. (did not take part)" in polled and "left the circle" not in polled


def test_the_keepers_screen_changes_as_a_pupil_leaves(app, world):
    """What the keeper's stream is sent: the seat list, the agreement's who and the concern's list."""
    from rrp_pwa.circles import live

    circle = world["circle"]
    amiras, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    assert amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED).status_code == 302
    state = live.render_state(db.session.get(Circle, circle.id))
    assert "Amira S." not in state["keeper"]["k-seats"] and "Ben S." in state["keeper"]["k-seats"]
    assert "Amira S." not in state["keeper"]["k-who"]
    assert "Amira S. (left the circle)" in state["keeper"]["k-concern-who"]


def notice_on_page(page: str) -> str:
    """What the keeper's "who left" status region shows, as a screen reader would read it."""
    region = re.search(r'<div id="k-notice" role="status"[^>]*>(.*?)</div>', page, re.S)
    assert region is not None, "the status region is on the page before anyone leaves"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", region.group(1))).split())


def test_the_keeper_is_told_who_left_on_the_page_the_poll_and_the_stream(app, world):
    """A pupil's Leave the circle reaches the keeper as one polite line, the same on a plain page load,
    a poll (the stream blocked) and the stream, in a status region that was there before it."""
    from rrp_pwa.circles import live

    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    assert notice_on_page(keeper.get(f"/circles/{circle.id}").get_data(as_text=True)) == ""
    stream = live.DeviceStream(live.render_state(db.session.get(Circle, circle.id)), None)

    assert amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED).status_code == 302
    assert notice_on_page(keeper.get(f"/circles/{circle.id}").get_data(as_text=True)) == "Amira S. left the circle."
    polled = keeper.get(f"/circles/{circle.id}/part/k-notice", headers=HX).get_data(as_text=True)
    assert unescape(re.sub(r"<[^>]+>", "", polled)).strip() == "Amira S. left the circle."
    sent = {m.event: m.data for m in stream.messages(live.render_state(db.session.get(Circle, circle.id)))}
    assert "Amira S. left the circle." in unescape(sent["k-notice"])


def test_the_notice_stays_while_the_circle_goes_on_and_goes_with_the_keepers_next_change_of_who_is_in_it(app, world):
    """Passes, gives and check-ins do not take it away (the keeper's eyes are on whoever is speaking);
    the keeper's own next change of who is in the circle, or a new round, does: the keeper has the
    ring as it is now in front of them. Two pupils leaving one after the other are both named."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    bens, ben = seated(app, circle, world["pupils"][1])
    caras, _ = seated(app, circle, world["pupils"][2])

    def notice():
        return unescape(re.sub(r"<[^>]+>", " ", keeper.get(f"/circles/{circle.id}/part/k-notice",
                                                           headers=HX).get_data(as_text=True))).split()

    amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    caras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    assert " ".join(notice()) == "Amira S. left the circle. Cara S. left the circle."
    keeper.post(f"/circles/{circle.id}/give/{ben.id}", headers=HX)
    assert bens.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX).status_code == 200
    assert " ".join(notice()) == "Amira S. left the circle. Cara S. left the circle.", "passes keep it"
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "typed": "What went well?"}, headers=HX)
    assert notice() == [], "the keeper's next round: old news"


def test_the_notice_stays_through_every_move_of_the_piece_and_what_pupils_do(app, world):
    """Everything a keeper does to the piece (their own pass, taking it back, turning it round), a
    pupil's pass, a newcomer joining and an agreement keep "<name> left the circle." on the keeper's
    screen; letting the newcomer in is the keeper's next change of who is in the circle, and ends it."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    bens, ben = seated(app, circle, world["pupils"][1])

    def notice():
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", keeper.get(f"/circles/{circle.id}/part/k-notice",
                                                                    headers=HX).get_data(as_text=True))).split())

    amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    left = "Amira S. left the circle."
    assert notice() == left
    assert keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass"}, headers=HX).status_code == 200
    assert notice() == left, "the keeper's own pass"
    assert bens.post(f"/circles/{circle.id}/seat/turn", data={"turn": "skip"}, headers=HX).status_code == 200
    assert notice() == left, "a pupil's pass"
    for move in ("take-back", "reverse"):
        assert keeper.post(f"/circles/{circle.id}/{move}", headers=HX).status_code == 200
        assert notice() == left, move
    assert keeper.post(f"/circles/{circle.id}/give/{ben.id}", headers=HX).status_code == 200
    assert notice() == left, "give"
    _, cara = seated(app, circle, world["pupils"][2], admit=False)
    assert notice() == left, "a newcomer waiting to join"
    assert keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen"}).status_code == 302
    assert notice() == left, "an agreement"
    assert keeper.post(f"/circles/{circle.id}/seats/{cara.id}/admit", headers=HX).status_code == 200
    assert notice() == "", "the keeper's next change of who is in the circle"


def test_a_seat_the_keeper_removed_or_turned_away_gives_no_notice(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    _, amira = seated(app, circle, world["pupils"][0])
    _, ben = seated(app, circle, world["pupils"][1], admit=False)
    keeper.post(f"/circles/{circle.id}/seats/{amira.id}/remove", headers=HX)
    keeper.post(f"/circles/{circle.id}/seats/{ben.id}/not-now", headers=HX)
    assert notice_on_page(keeper.get(f"/circles/{circle.id}").get_data(as_text=True)) == ""


def test_a_pupil_who_leaves_while_waiting_or_comes_back_is_told_as_it_is(app, world):
    """Someone who left before being let in did not leave the circle; someone who left and joined
    again is back, so the notice no longer names them."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    bens, _ = seated(app, circle, world["pupils"][1], admit=False)
    bens.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    page = keeper.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert notice_on_page(page) == "Amira S. left the circle. Ben S. left before being let in."
    told = unescape(bens.get(f"/circles/{circle.id}/seat").get_data(as_text=True))
    assert "<h1>You stopped waiting</h1>" in told and "You've left" not in told, "Ben was never let in"
    assert "<h1>You've left the circle</h1>" in unescape(amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True))
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    assert amiras.post(link, data={"pupil": world["pupils"][0].id}).status_code == 302
    page = keeper.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert notice_on_page(page) == "Ben S. left before being let in."


def test_a_pupil_taken_out_by_the_keeper_cannot_leave_and_is_not_offered_to_join_again(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, amira = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/seats/{amira.id}/remove", headers=HX)
    version = db.session.get(Circle, circle.id).version
    refused = amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    assert refused.status_code == 403 and "You're not in this circle" in unescape(refused.get_data(as_text=True))
    page = unescape(amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True))
    assert "You've left" not in page and "Join the circle again" not in page
    db.session.expire_all()
    assert db.session.get(Circle, circle.id).version == version


def test_leaving_a_closed_circle_says_it_has_closed(app, world):
    circle = world["circle"]
    amiras, _ = seated(app, circle, world["pupils"][0])
    sign_in(app, world["keeper"]).post(f"/circles/{circle.id}/close", data=ASKED)
    answer = amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    assert answer.status_code == 200 and "Circle closed - thank you" in answer.get_data(as_text=True)


def test_the_summary_lists_who_left_early_but_not_who_was_turned_away(app, world):
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    _, ben = seated(app, circle, world["pupils"][1])
    _, cara = seated(app, circle, world["pupils"][2], admit=False)
    amiras.post(f"/circles/{circle.id}/seat/leave", data=ASKED)
    keeper.post(f"/circles/{circle.id}/seats/{ben.id}/remove", headers=HX)
    keeper.post(f"/circles/{circle.id}/seats/{cara.id}/not-now", headers=HX)
    page = keeper.post(f"/circles/{circle.id}/close", data=ASKED, follow_redirects=True).get_data(as_text=True)
    assert "Who took part (2)" in page
    assert "Amira S. (left early), Ben S. (left early)" in page and "Cara" not in page


def test_a_child_taken_out_of_a_one_device_circle_at_the_start_did_not_take_part(app, world):
    """One-device mode seats the whole class; the keeper takes out who is absent. They were never in the
    circle: not "(left early)" in the summary, and no "Took part in a circle" on their record. Someone
    taken out once the first round has started did take part."""
    client = sign_in(app, world["keeper"])
    client.post("/circles/new", data={"kind": "checkin", "group": world["group"].id, "one_device": "y"})
    circle = db.session.scalar(select(Circle).where(Circle.one_device.is_(True)))
    amira, ben, cara = (db.session.scalar(select(Seat).where(Seat.circle_id == circle.id, Seat.pupil_id == p.id))
                        for p in world["pupils"])
    client.post(f"/circles/{circle.id}/seats/{cara.id}/remove", headers=HX)
    client.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "typed": "What went well?"}, headers=HX)
    client.post(f"/circles/{circle.id}/seats/{ben.id}/remove", headers=HX)
    page = client.post(f"/circles/{circle.id}/close", data=ASKED, follow_redirects=True).get_data(as_text=True)
    assert "Who took part (2)" in page and "Amira S., Ben S. (left early)" in page and "Cara" not in page
    records = sign_in(app, make_staff(world["school"], roles=("pastoral",), name="Ms Lead"))
    cara_record = unescape(records.get(f"/pupils/{world['pupils'][2].id}").get_data(as_text=True))
    ben_record = unescape(records.get(f"/pupils/{world['pupils'][1].id}").get_data(as_text=True))
    assert "Took part in a morning" in ben_record and "Took part in a" not in cara_record


def test_closing_a_one_device_circle_speaks_of_no_devices_or_code(app, world):
    """A one-device circle has no code and no pupils' devices: closing it does not talk about them."""
    client = sign_in(app, world["keeper"])
    client.post("/circles/new", data={"kind": "checkin", "group": world["group"].id, "one_device": "y"})
    circle = db.session.scalar(select(Circle).where(Circle.one_device.is_(True)))
    page = unescape(client.get(f"/circles/{circle.id}").get_data(as_text=True))
    assert 'data-confirm="Close the circle? It ends here and its summary is saved."' in page
    summary = unescape(client.post(f"/circles/{circle.id}/close", data=ASKED, follow_redirects=True).get_data(as_text=True))
    assert "The circle is closed and its summary is saved." in summary and "Every device" not in summary
    shared = unescape(client.get(f"/circles/{world['circle'].id}").get_data(as_text=True))
    assert "Every device will show 'Circle closed - thank you' and the code will stop working." in shared


def test_the_pupil_who_is_next_is_told_so_and_everyone_else_who_it_is(app, world):
    """A child next in turn reads "You're next", not their own name as if it were someone else's."""
    circle = world["circle"]
    amiras, _ = seated(app, circle, world["pupils"][0])
    bens, _ = seated(app, circle, world["pupils"][1])
    amiras_screen = unescape(amiras.get(f"/circles/{circle.id}/seat").get_data(as_text=True))
    bens_screen = unescape(bens.get(f"/circles/{circle.id}/seat").get_data(as_text=True))
    assert "You're next." in amiras_screen and "Amira S." not in amiras_screen.split('id="p-piece"')[1]
    assert "Next: <strong>Amira S.</strong> Listen while they speak." in bens_screen and "You're next" not in bens_screen


def test_the_late_joiners_list_has_only_names_not_in_the_circle_yet(app, world):
    circle = world["circle"]
    amira, ben, cara = world["pupils"]
    seated(app, circle, amira)
    seated(app, circle, ben, admit=False)
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    names = app.test_client().get(link).get_data(as_text=True)
    listed = re.findall(r'<label class="name-choice">.*?<span>([^<]*)</span>', names)
    assert listed == ["Cara S."]
    caras = app.test_client()
    assert caras.post(link, data={"pupil": cara.id}).status_code == 302
    own = re.findall(r'<label class="name-choice">.*?<span>([^<]*)</span>', caras.get(link).get_data(as_text=True))
    assert own == ["Cara S."], "Back to the names: Cara's own name stays on her tablet, and leads to her seat"
    again = caras.post(link, data={"pupil": cara.id})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/circles/{circle.id}/seat")


def test_a_name_taken_on_another_device_meanwhile_is_refused_by_name(app, world):
    circle = world["circle"]
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    slow, quick = app.test_client(), app.test_client()
    assert "Cara S." in slow.get(link).get_data(as_text=True)        # both tablets show Cara's name
    assert quick.post(link, data={"pupil": world["pupils"][2].id}).status_code == 302
    refused = slow.post(link, data={"pupil": world["pupils"][2].id})
    text = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400
    assert "Cara S. is already in this circle. If that's you on another device, ask Ms Keeper." in text
    assert re.findall(r'<label class="name-choice">.*?<span>([^<]*)</span>', text) == ["Amira S.", "Ben S."]
    assert db.session.scalar(select(func.count(Seat.id)).where(Seat.pupil_id == world["pupils"][2].id)) == 1


def test_when_the_whole_class_is_in_the_join_page_says_so(app, world):
    circle = world["circle"]
    for pupil in world["pupils"]:
        seated(app, circle, pupil)
    page = unescape(app.test_client().get(f"/join/{join_token(circle, app.config['SECRET_KEY'])}").get_data(as_text=True))
    assert "is in the circle already. If you can't find your name, ask Ms Keeper." in page
    assert "Join the circle</button>" not in page


def test_circles_show_when_they_were_held_on_the_schools_clock(app, world):
    """A circle held at 00:30 on 1 July in London (23:30 UTC on 30 June) says 1 Jul, 00:30 on the
    keeper's list and on its summary, and the check-in follow-up it left says 1 Jul, 00:40: not the UTC day."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you feeling?"})
    amira_device.post(f"/circles/{circle.id}/seat/checkin", data={"value": 1}, headers=HX)
    circle = db.session.get(Circle, circle.id)
    circle.created_at = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)
    db.session.scalar(select(CheckInFollowUp)).created_at = datetime(2026, 6, 30, 23, 40, tzinfo=timezone.utc)
    close_circle(circle)
    db.session.commit()
    listed = keeper.get("/circles").get_data(as_text=True)
    assert "1 Jul 2026, 00:30" in listed and "1 Jul, 00:40" in listed
    assert "1 Jul 2026, 00:30" in keeper.get(f"/circles/{circle.id}/summary").get_data(as_text=True)


def amira_in_on_the_class_tablet(app, world):
    """Amira joins on the class tablet and the keeper lets her in: the keeper, the join link, the tablet, her seat."""
    circle, amira = world["circle"], world["pupils"][0]
    keeper = sign_in(app, world["keeper"])
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    tablet = app.test_client()
    assert tablet.post(link, data={"pupil": amira.id}).status_code == 302
    amiras = db.session.scalar(select(Seat).where(Seat.pupil_id == amira.id))
    keeper.post(f"/circles/{circle.id}/seats/{amiras.id}/admit", headers=HX)
    return keeper, link, tablet, amiras


def test_a_shared_tablet_that_joins_as_the_next_pupil_takes_the_first_pupils_seat_out_with_it(app, world):
    """Amira is in the circle on the class tablet; Ben picks his own name on it (the QR code scanned
    again, or Amira's wrong name put right while she waited). The tablet holds one seat: Amira's leaves
    the circle with the same tap, as if she had tapped Leave - not left in it with no device, where the
    piece would stop and her name, not offered while her seat is in, would shut her out of her own circle."""
    circle = world["circle"]
    amira, ben, cara = world["pupils"]
    keeper, link, tablet, amiras = amira_in_on_the_class_tablet(app, world)

    names = unescape(tablet.get(link).get_data(as_text=True))
    assert "Not Amira S.? Join below as yourself, and Amira S. leaves the circle on this device." in names, \
        "Ben is told before he taps"
    assert tablet.post(link, data={"pupil": ben.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Seat, amiras.id).status == "removed"
    assert "leave" in db.session.scalars(select(CircleEvent.kind).where(CircleEvent.seat_id == amiras.id)).all()
    assert "Nearly there" in tablet.get(f"/circles/{circle.id}/seat").get_data(as_text=True), "the tablet is Ben's"
    seats = keeper.get(f"/circles/{circle.id}/part/k-seats", headers=HX).get_data(as_text=True)
    assert "Amira S." not in seats
    assert "Amira S. left the circle." in unescape(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    her_phone = app.test_client()
    assert "Amira S." in her_phone.get(link).get_data(as_text=True), "she can join again from another device"
    assert her_phone.post(link, data={"pupil": amira.id}).status_code == 302

    # Ben tapped the wrong name while waiting, and puts it right: the wrong one is free again
    assert tablet.post(link, data={"pupil": cara.id}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Seat.status).where(Seat.pupil_id == ben.id)) == "removed"
    assert "Ben S." in app.test_client().get(link).get_data(as_text=True)


def test_a_device_joining_as_a_name_already_taken_keeps_its_own_seat(app, world):
    """The name the tablet asks for is in the circle on another device: refused, and the seat the tablet
    holds stays in the circle (nothing of the refused join is kept)."""
    circle = world["circle"]
    amira, ben, _ = world["pupils"]
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    tablet = app.test_client()
    assert tablet.post(link, data={"pupil": amira.id}).status_code == 302
    assert app.test_client().post(link, data={"pupil": ben.id}).status_code == 302
    refused = tablet.post(link, data={"pupil": ben.id})
    assert refused.status_code == 400 and "already in this circle" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Seat.status).where(Seat.pupil_id == amira.id)) == "waiting"
    assert "Nearly there" in tablet.get(f"/circles/{circle.id}/seat").get_data(as_text=True)


def test_the_round_says_a_lap_is_done_not_that_nobody_had_a_turn(app, world):
    """Once everyone has had a turn the piece is back with the keeper and the next lap has begun with
    nobody's turn in it: the keeper's round said "This lap: 0 had a turn - everyone has had a turn"."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "typed": "What does a good friend do?"})
    shown = unescape(keeper.get(f"/circles/{circle.id}/part/k-round", headers=HX).get_data(as_text=True))
    assert "This lap: nobody has had a turn yet." in shown
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass"}, headers=HX)
    shown = unescape(keeper.get(f"/circles/{circle.id}/part/k-round", headers=HX).get_data(as_text=True))
    assert "This lap: 1 had a turn." in shown
    amiras.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX)
    shown = unescape(keeper.get(f"/circles/{circle.id}/part/k-round", headers=HX).get_data(as_text=True))
    assert "This lap is done: everyone had a turn." in shown
    assert "0 had a turn" not in shown


def test_a_pupil_whose_name_is_not_on_the_join_list_is_told_who_to_ask(app, world):
    """Amira's seat is on her phone, which has gone flat: on the class tablet her name is not offered (it is
    in the circle). The list said nothing of where to turn; it says to ask the adult keeping the circle."""
    circle = world["circle"]
    seated(app, circle, world["pupils"][0])
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    names = unescape(app.test_client().get(link).get_data(as_text=True))
    assert "Amira S." not in names and "Ben S." in names
    assert "Can't see your name? Ask Ms Keeper." in names


def test_a_check_in_round_asking_the_scales_own_question_asks_it_once(app, world):
    """The keeper types the scale's own words, "How are you feeling?": the pupil's screen showed the round's
    question and then, as the buttons' heading, the same question again."""
    from rrp_pwa.circles.talking_piece import start_round

    circle = world["circle"]
    device, _ = seated(app, circle, world["pupils"][0])
    start_round(circle, "How are you feeling?", kind="checkin")
    db.session.commit()
    asked = device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    assert asked.count("How are you feeling?") == 1
    assert "<legend>Now tap how you feel</legend>" in asked


def test_a_second_keeper_device_is_told_at_once_that_the_circle_has_closed(app, world):
    """Ms Keeper closes the circle on her phone; her tablet's stream ended with nothing for it, so the tablet
    showed the open circle's controls until its polling, seconds later, took it to the summary - while every
    pupil's screen said "Circle closed" at once. Its stream now says so in its status region, with the summary."""
    circle = world["circle"]
    phone, tablet = sign_in(app, world["keeper"]), sign_in(app, world["keeper"])
    response = tablet.get(f"/circles/{circle.id}/live", headers={"Last-Event-ID": "1"})
    chunks = response.response
    assert next(chunks).startswith(b": open")
    opening = b"".join(next(chunks) for _ in range(6)).decode()
    assert "event: k-piece" in opening
    phone.post(f"/circles/{circle.id}/close", data=ASKED)
    closing = b"".join(chunks).decode()
    assert "event: k-notice" in closing and "This circle has closed." in closing
    assert f'href="/circles/{circle.id}/summary">See its summary</a>' in closing
    assert f'hx-get="/circles/{circle.id}/part/k-notice" hx-trigger="load"' in closing, "and goes there"
    went = tablet.get(f"/circles/{circle.id}/part/k-notice", headers=HX)
    assert went.status_code == 204 and went.headers["HX-Redirect"].endswith(f"/circles/{circle.id}/summary")
    response.close()


def test_a_latecomer_let_in_after_everyone_had_a_turn_is_not_told_of_as_having_had_one(app, world):
    """The piece has been all the way round and back to the keeper ("Everyone has had a turn"); then Ben, late,
    is let in. The keeper's screen went on saying everyone had had a turn - Ben had not. Once the next lap
    begins, nobody is let in during it yet, and a lap completed again says so again."""
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, world["pupils"][0])
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "typed": "What does a good friend do?"})
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass"}, headers=HX)
    amiras.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX)
    piece_part = unescape(keeper.get(f"/circles/{circle.id}/part/k-piece", headers=HX).get_data(as_text=True))
    assert "Everyone has had a turn" in piece_part

    bens, _ = seated(app, circle, world["pupils"][1])  # let in by the keeper after the lap was complete
    piece_part = unescape(keeper.get(f"/circles/{circle.id}/part/k-piece", headers=HX).get_data(as_text=True))
    assert "Everyone has had a turn" not in piece_part
    round_part = unescape(keeper.get(f"/circles/{circle.id}/part/k-round", headers=HX).get_data(as_text=True))
    assert "everyone had a turn" not in round_part and "This lap: nobody has had a turn yet." in round_part

    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass"}, headers=HX)
    amiras.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX)
    bens.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX)
    piece_part = unescape(keeper.get(f"/circles/{circle.id}/part/k-piece", headers=HX).get_data(as_text=True))
    assert "Everyone has had a turn" in piece_part, "Ben has had his turn in the lap just completed"


def test_latecomers_let_in_by_switching_auto_admit_on_are_not_counted_as_having_had_a_turn(app, world):
    """Ben taps his name while the piece is going round and waits; the lap completes ("Everyone has had a
    turn"); the keeper then switches auto-admit on, which lets Ben in. He has had no turn: the keeper's
    screen must not go on saying everyone has, as it does not after a Let in."""
    circle = world["circle"]
    amira, ben, _ = world["pupils"]
    keeper = sign_in(app, world["keeper"])
    amiras, _ = seated(app, circle, amira)
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "talk", "typed": "What does a good friend do?"})
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass"}, headers=HX)
    seated(app, circle, ben, admit=False)  # waiting at the door while Amira speaks
    amiras.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass"}, headers=HX)
    assert "Everyone has had a turn" in unescape(keeper.get(f"/circles/{circle.id}/part/k-piece", headers=HX)
                                                 .get_data(as_text=True))

    assert keeper.post(f"/circles/{circle.id}/auto-admit", data={"on": "1"}, headers=HX).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Seat.status).where(Seat.pupil_id == ben.id)) == "admitted"
    piece_part = unescape(keeper.get(f"/circles/{circle.id}/part/k-piece", headers=HX).get_data(as_text=True))
    assert "Everyone has had a turn" not in piece_part, "Ben, let in by auto-admit, has had no turn"


def test_the_first_pupils_page_left_open_on_a_shared_tablet_does_not_act_for_the_next_pupil(app, world):
    """Amira's seat page stays open in a tab of the class tablet while Ben joins on it (the QR code scanned
    again opens a new tab). The tablet's seat cookie is Ben's now; Amira's page, its stream back after the
    tab slept, or polling, or a tap on it, must not act as Ben: not check in for him, not take him out with
    its Leave the circle, not show his screen under "You are Amira S.". It says which seat it is, and a
    request for another seat is refused and sent to the seat page (where the tablet is Ben's, said so)."""
    circle = world["circle"]
    amira, ben, _ = world["pupils"]
    keeper, link, tablet, amiras = amira_in_on_the_class_tablet(app, world)
    amiras_page = tablet.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
    her_page = {"HX-Request": "true", "X-RRP-Seat": str(amiras.id)}  # as her page's requests say (hx-headers)
    assert f'"X-RRP-Seat": "{amiras.id}"' in unescape(amiras_page)
    assert f"seat={amiras.id}" in amiras_page, "the page's stream says whose it is"

    assert tablet.post(link, data={"pupil": ben.id}).status_code == 302
    bens = db.session.scalar(select(Seat).where(Seat.pupil_id == ben.id))
    keeper.post(f"/circles/{circle.id}/seats/{bens.id}/admit", headers=HX)
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": ""})
    round_no = db.session.get(Circle, circle.id).round_no

    polled = tablet.get(f"/circles/{circle.id}/seat/part/p-piece", headers=her_page)
    assert polled.status_code == 403 and polled.headers["HX-Redirect"].endswith(f"/circles/{circle.id}/seat")
    streamed = tablet.get(f"/circles/{circle.id}/seat/live?seat={amiras.id}", headers={"Accept": "text/event-stream"})
    assert streamed.status_code == 403
    tapped = tablet.post(f"/circles/{circle.id}/seat/checkin", data={"value": 1, "round_no": round_no}, headers=her_page)
    assert tapped.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CircleCheckIn).where(CircleCheckIn.seat_id == bens.id)) == 0
    left = tablet.post(f"/circles/{circle.id}/seat/leave", data={**ASKED, "seat": amiras.id})
    assert left.status_code == 302 and left.headers["Location"].endswith(f"/circles/{circle.id}/seat")
    db.session.expire_all()
    assert db.session.get(Seat, bens.id).status == "admitted", "Ben is still in the circle"
    assert "You are Ben S." in tablet.get(f"/circles/{circle.id}/seat").get_data(as_text=True)

    # Ben's own page works as before
    ben_page = {"HX-Request": "true", "X-RRP-Seat": str(bens.id)}
    assert tablet.post(f"/circles/{circle.id}/seat/checkin", data={"value": 4, "round_no": round_no},
                       headers=ben_page).status_code == 200
    assert tablet.post(f"/circles/{circle.id}/seat/leave", data={**ASKED, "seat": bens.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Seat, bens.id).status == "removed"


@pytest.mark.parametrize("had_a_seat", [False, True])
def test_a_name_tapped_as_the_keeper_closes_the_circle_is_told_it_has_closed(app, world, monkeypatch, had_a_seat):
    """Ben taps his name on the join page at the moment Ms Keeper taps Close the circle on her phone: the
    circle was open when his page was checked, and closed by the time his seat was to be taken. He is told
    the circle has closed - not "Internal Server Error" - whether or not the device held a seat already (a
    shared tablet joining as the next pupil)."""
    import rrp_pwa.circles.participant_routes as participant_routes

    circle = world["circle"]
    amira, ben, _ = world["pupils"]
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    tablet = app.test_client()
    if had_a_seat:
        assert tablet.post(link, data={"pupil": amira.id}).status_code == 302
    circle_id = circle.id

    def closed_meanwhile(_):
        close_circle(db.session.get(Circle, circle_id))
        db.session.commit()
        return False

    monkeypatch.setattr(participant_routes, "circle_joins_throttled", closed_meanwhile)
    response = tablet.post(link, data={"pupil": ben.id})
    assert response.status_code in (400, 410)
    assert "closed" in response.get_data(as_text=True)
    assert db.session.scalar(select(Seat.id).where(Seat.pupil_id == ben.id)) is None


def test_a_device_whose_own_name_is_the_only_one_left_is_not_told_to_join_as_someone_else(app, world):
    """Amira's tablet comes back to the join page when Ben and Cara are in the circle on their own devices:
    her own name is the only one on the list. "Not Amira S.? Join below as yourself" would send whoever holds
    the tablet looking for a name that is not there; the page says whose seat it is and who to ask."""
    circle = world["circle"]
    amira, ben, cara = world["pupils"]
    link = f"/join/{join_token(circle, app.config['SECRET_KEY'])}"
    tablet = app.test_client()
    assert tablet.post(link, data={"pupil": amira.id}).status_code == 302
    assert "Not Amira S.?" in unescape(tablet.get(link).get_data(as_text=True)), "Ben and Cara are on its list yet"
    for pupil in (ben, cara):
        assert app.test_client().post(link, data={"pupil": pupil.id}).status_code == 302
    page = unescape(tablet.get(link).get_data(as_text=True))
    assert "in this circle already, as <strong>Amira S.</strong>" in page and "Can't see your name? Ask Ms Keeper." in page
    assert "Not Amira S.?" not in page
