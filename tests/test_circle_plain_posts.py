"""A live circle's controls tapped before the page's scripts have run: the browser sends the control's
form as a plain POST (no HX-Request), with the page's CSRF token added as it goes. Each is done and
answered with a redirect back to the screen (Post/Redirect/Get); a refusal (a stale version, a rule)
is shown on the screen, above the control's region. A tap in the moment before early-tap.js has arrived
has no token: nothing changes, and it too comes back to the screen, which says to tap again - not
"Bad request" (rrp_pwa/circles/early_tap.py). CSRF is on in this module, as in production."""
import re

import pytest
from sqlalchemy import select

from rrp_pwa.circles.joining import open_circle
from rrp_pwa.circles.talking_piece import give
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement
from rrp_pwa.models.circles import Circle, CircleCheckIn, Seat
from tests.conftest import PASSWORD, make_staff
from tests.test_circle_routes import brook_with_a_circle, seated

TAP_AGAIN = "That tap came before the screen was ready, so nothing changed. Please tap again."


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def page_token(html: str) -> str:
    """The token htmx would send (X-CSRFToken from <body hx-headers>), which static/js/early-tap.js
    adds to a form sent before htmx has run."""
    return re.search(r'X-CSRFToken": "([^"]+)"', html).group(1)


@pytest.fixture
def world(app):
    return brook_with_a_circle()


def keepers_phone(app, keeper):
    client = app.test_client()
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    signed_in = client.post("/sign-in", data={"email": keeper.email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    return client



def version_of(circle) -> int:
    db.session.expire_all()
    return db.session.get(Circle, circle.id).version


def tapped_early(device, page_url: str, url: str, data=None):
    """A control's form as the browser sends it before the page's scripts ran: first as it goes in the
    moment before early-tap.js has arrived, with no token (nothing changed: back to the screen, which
    says to tap again), then with the page's token, as early-tap.js sends it."""
    token = page_token(device.get(page_url).get_data(as_text=True))
    circle_id = int(re.search(r"/circles/(\d+)", url).group(1))
    before = version_of(db.session.get(Circle, circle_id))
    too_early = device.post(url, data=data or {})
    assert too_early.status_code == 302 and too_early.headers["Location"].split("#")[0] == page_url
    assert version_of(db.session.get(Circle, circle_id)) == before, "nothing changed without the token"
    assert TAP_AGAIN in device.get(too_early.headers["Location"]).get_data(as_text=True)
    return device.post(url, data={**(data or {}), "csrf_token": token})


def holder_name(circle) -> str | None:
    db.session.expire_all()
    fresh = db.session.get(Circle, circle.id)
    holder = db.session.get(Seat, fresh.holder_seat_id) if fresh.holder_seat_id else None
    return holder.name if holder else None


def test_every_live_control_is_also_a_plain_form_post_to_the_same_url(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    seated(app, circle, world["pupils"][2], admit=False)
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version_of(circle)},
                headers={"HX-Request": "true", "X-CSRFToken": token})
    screens = {"keeper": keeper.get(f"/circles/{circle.id}").get_data(as_text=True),
               "seat": amira.get(f"/circles/{circle.id}/seat").get_data(as_text=True)}
    assert "I agree" in screens["seat"] and "I've finished" in screens["seat"] and "Awful" in screens["seat"]
    for screen, html in screens.items():
        posts = re.findall(r"<(\w+)([^>]*)\shx-post=\"([^\"]+)\"", html)
        assert len(posts) >= (9 if screen == "keeper" else 4), screen
        for tag, before, url in posts:
            assert tag == "form" and 'method="post"' in before and f'action="{url}"' in before, (screen, url)
        assert re.search(r"<script[^>]*early-tap.js[^>]*async", html) and not re.search(r"<script[^>]*early-tap.js[^>]*defer", html)


def test_the_keepers_first_pass_tapped_early_passes_the_piece(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/turn",
                          {"turn": "pass", "version": version_of(circle)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/circles/{circle.id}#ring-h")
    assert holder_name(circle) == "Amira S."
    page = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    assert "<strong>Amira S.</strong> has the talking piece" in page


KEEPER_CONTROLS = {
    # name: (url after /circles/<id>/, form data, what the keeper then sees changed)
    "give": ("give/{amira}", {}, lambda c, s: holder_name(c) == "Amira S."),
    "take back": ("take-back", {"version": "{version}"}, lambda c, s: holder_name(c) == "Ms Keeper"),
    "reverse": ("reverse", {"version": "{version}"}, lambda c, s: db.session.get(Circle, c.id).direction == -1),
    "move": ("seats/{ben}/move", {"step": "up", "version": "{version}"},
             lambda c, s: db.session.get(Seat, s["ben"]).position < db.session.get(Seat, s["amira"]).position),
    "remove": ("seats/{ben}/remove", {}, lambda c, s: db.session.get(Seat, s["ben"]).status == "removed"),
    "let in": ("seats/{cara}/admit", {}, lambda c, s: db.session.get(Seat, s["cara"]).status == "admitted"),
    "not now": ("seats/{cara}/not-now", {}, lambda c, s: db.session.get(Seat, s["cara"]).status == "removed"),
    "let everyone in": ("auto-admit", {"on": "1"}, lambda c, s: db.session.get(Circle, c.id).auto_admit),
}


@pytest.mark.parametrize("control", KEEPER_CONTROLS)
def test_each_keeper_control_tapped_early_is_done_and_comes_back_to_its_section(app, world, control):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seats = {name: seated(app, circle, pupil, admit=name != "cara")[1].id
             for name, pupil in zip(("amira", "ben", "cara"), world["pupils"])}
    if control == "take back":
        give(db.session.get(Circle, circle.id), db.session.get(Seat, seats["amira"]), None)
        db.session.commit()
    path, data, changed = KEEPER_CONTROLS[control]
    fill = {**seats, "version": version_of(circle)}
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/" + path.format(**fill),
                          {k: v.format(**fill) for k, v in data.items()})
    assert answer.status_code == 302
    section = "waiting-h" if control in ("let in", "not now", "let everyone in") else "ring-h"
    assert answer.headers["Location"].endswith(f"/circles/{circle.id}#{section}")
    db.session.expire_all()
    assert changed(circle, seats)
    assert keeper.get(answer.headers["Location"]).status_code == 200


def test_a_one_device_check_in_tapped_early_is_saved_for_the_holder(app, world):
    circle = open_circle(world["keeper"], "checkin", world["group"], one_device=True)
    db.session.commit()
    keeper = keepers_phone(app, world["keeper"])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version_of(circle), "csrf_token": token})
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/checkin",
                          {"value": "4", "round_no": "1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#ring-h")
    saved = db.session.scalars(select(CircleCheckIn)).all()
    assert len(saved) == 1 and db.session.get(Seat, saved[0].seat_id).name == "Amira S."


def test_a_pupils_pass_tapped_early_passes_the_piece_on(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/turn", {"turn": "pass", "version": version_of(circle)})
    answer = tapped_early(amira, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/turn",
                          {"turn": "pass", "version": version_of(circle)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/circles/{circle.id}/seat#p-piece")
    assert holder_name(circle) == "Ben S."
    assert "Ben S. has the talking piece" in amira.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_pupils_check_in_and_i_agree_tapped_early_are_saved(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, amiras_seat = seated(app, circle, world["pupils"][0])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen", "csrf_token": token})
    checked_in = tapped_early(amira, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/checkin",
                              {"value": "4", "word": "sunny", "round_no": "1"})
    assert checked_in.status_code == 302 and checked_in.headers["Location"].endswith("/seat#p-round")
    assert "Thank you for checking in" in amira.get(checked_in.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(CircleCheckIn.seat_id)) == amiras_seat.id
    agreement = db.session.scalar(select(Agreement).where(Agreement.what == "We listen"))
    agreed = tapped_early(amira, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/agree/{agreement.id}")
    assert agreed.status_code == 302 and agreed.headers["Location"].endswith("/seat#p-agreements")
    assert "1 of 1 agreed" in amira.get(agreed.headers["Location"]).get_data(as_text=True)


def test_a_stale_tap_sent_early_is_not_done_and_the_screen_says_so_once(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    seen = version_of(circle)
    tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/reverse", {"version": seen})
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/turn", {"turn": "pass", "version": seen})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#ring-h")
    assert holder_name(circle) == "Ms Keeper", "not passed"
    page = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    piece = re.search(r'<div id="k-piece"[^>]*>(.*?)<div id="k-seats"', page, re.S).group(1)
    assert '<p class="error circle-refusal" role="alert">Someone else changed the circle a moment ago.' in piece
    assert "circle-refusal" not in keeper.get(f"/circles/{circle.id}").get_data(as_text=True), "shown once"


def test_a_pupils_tap_refused_by_a_rule_says_why_on_their_screen(app, world):
    circle = world["circle"]
    seated(app, circle, world["pupils"][0])
    ben, _ = seated(app, circle, world["pupils"][1])
    answer = tapped_early(ben, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/turn",
                          {"turn": "pass", "version": version_of(circle)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/seat#p-piece")
    assert holder_name(circle) == "Ms Keeper"
    page = ben.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<section id="p-piece"[^>]*><p class="error circle-refusal" role="alert">'
                     r"The talking piece has moved on", page)


def test_a_tap_sent_early_on_a_circle_closed_meanwhile_goes_to_its_summary(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    assert keeper.post(f"/circles/{circle.id}/close", data={"csrf_token": token, "asked": "yes"}).status_code == 302
    answer = keeper.post(f"/circles/{circle.id}/reverse", data={"version": version_of(circle), "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/circles/{circle.id}/summary")
    summary = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    assert "This circle has closed, so that was not done." in summary


# A tap in the moment before early-tap.js has arrived: no token at all (rrp_pwa/circles/early_tap.py)

def notice(region_html: str) -> bool:
    return f'<p class="circle-notice" role="status">{TAP_AGAIN}</p>' in region_html


def test_a_keepers_tap_before_the_screen_was_ready_changes_nothing_and_says_tap_again(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    keeper.get(f"/circles/{circle.id}")  # the screen opens; its scripts have not arrived yet
    seen = version_of(circle)
    answer = keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": seen})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/circles/{circle.id}#ring-h")
    assert version_of(circle) == seen and holder_name(circle) == "Ms Keeper", "nothing changed"
    page = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    piece = re.search(r'<div id="k-piece"[^>]*>(.*?)<div id="k-seats"', page, re.S).group(1)
    assert notice(piece), "said by the control tapped, politely (not an error)"
    assert "Bad request" not in page and "circle-refusal" not in page
    assert TAP_AGAIN not in keeper.get(f"/circles/{circle.id}").get_data(as_text=True), "said once"


def test_a_pupils_tap_before_the_screen_was_ready_changes_nothing_and_says_tap_again(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    amira.get(f"/circles/{circle.id}/seat")
    seen = version_of(circle)
    answer = amira.post(f"/circles/{circle.id}/seat/checkin", data={"value": "4", "word": "sunny", "round_no": "1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/circles/{circle.id}/seat#p-round")
    assert version_of(circle) == seen and db.session.scalar(select(CircleCheckIn)) is None, "nothing saved"
    page = amira.get(answer.headers["Location"]).get_data(as_text=True)
    assert notice(re.search(r'<section id="p-round"[^>]*>(.*?)</section>', page, re.S).group(1))
    assert "Thank you for checking in" not in page
    assert TAP_AGAIN not in amira.get(f"/circles/{circle.id}/seat").get_data(as_text=True), "said once"


@pytest.mark.parametrize("headers,answer", [({"HX-Request": "true"}, "text/html"),
                                            ({"Accept": "application/json"}, "application/json")])
@pytest.mark.parametrize("screen", ["keeper", "seat"])
def test_htmx_and_json_without_a_token_are_still_refused_with_400(app, world, headers, answer, screen):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    device, url = (keeper, f"/circles/{circle.id}/reverse") if screen == "keeper" else (amira, f"/circles/{circle.id}/seat/turn")
    seen = version_of(circle)
    response = device.post(url, data={"turn": "pass", "version": seen}, headers=headers)
    assert response.status_code == 400 and response.mimetype == answer
    assert version_of(circle) == seen


def test_a_form_with_its_own_token_sent_without_one_is_still_bad_request(app, world):
    """Only the live controls (no token of their own) come back to the screen."""
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    response = keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?"})
    assert response.status_code == 400
    assert db.session.get(Circle, circle.id).round_no == 0


def test_a_keeper_whose_sign_in_has_ended_gets_the_sign_in_and_no_tap_again(app, world):
    circle = world["circle"]
    phone, tablet = keepers_phone(app, world["keeper"]), keepers_phone(app, world["keeper"])
    phone.get(f"/circles/{circle.id}")
    account = tablet.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', account).group(1)
    assert tablet.post("/account", data={"csrf_token": token}).status_code == 302  # sign out on every device
    seen = version_of(circle)
    answer = phone.post(f"/circles/{circle.id}/reverse", data={"version": seen}, follow_redirects=True)
    assert answer.request.path == "/sign-in" and answer.request.args["next"] == f"/circles/{circle.id}"
    page = answer.get_data(as_text=True)
    assert "Please sign in to continue." in page and TAP_AGAIN not in page
    assert version_of(circle) == seen
    form = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    phone.post("/sign-in", data={"email": world["keeper"].email, "password": PASSWORD, "csrf_token": form})
    assert TAP_AGAIN not in phone.get(f"/circles/{circle.id}").get_data(as_text=True), "kept for nobody"


@pytest.mark.parametrize("who,lands_on,status", [("nobody", "/sign-in", 200), ("another teacher", None, 403),
                                                 ("another school's teacher", None, 404)])
def test_a_tap_from_anyone_else_changes_nothing_and_learns_nothing(app, world, who, lands_on, status):
    """A cross-site POST carries no cookie (SameSite=Lax): like nobody signed in, it goes where the screen sends it."""
    circle = world["circle"]
    _, amiras_seat = seated(app, circle, world["pupils"][1], admit=False)
    device = app.test_client()
    if who != "nobody":
        school = world["school"] if who == "another teacher" else world["other_school"]
        someone = make_staff(school, email=f"{who.split()[0]}.{school.id}@example.org")
        db.session.commit()
        device = keepers_phone(app, someone)
    seen = version_of(circle)
    answer = device.post(f"/circles/{circle.id}/seats/{amiras_seat.id}/admit", follow_redirects=True)
    assert answer.status_code == status and (lands_on is None or answer.request.path == lands_on)
    assert version_of(circle) == seen and db.session.get(Seat, amiras_seat.id).status == "waiting"
    assert TAP_AGAIN not in answer.get_data(as_text=True)


def test_a_seat_tap_from_a_device_without_that_seat_changes_nothing(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, amiras_seat = seated(app, circle, world["pupils"][0])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/give/{amiras_seat.id}", data={"csrf_token": token})
    seen = version_of(circle)
    stranger = app.test_client().post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass", "version": seen},
                                      follow_redirects=True)
    assert stranger.request.path == "/join" and TAP_AGAIN not in stranger.get_data(as_text=True)
    keeper.post(f"/circles/{circle.id}/seats/{amiras_seat.id}/remove", data={"csrf_token": token})
    seen = version_of(circle)
    removed = amira.post(f"/circles/{circle.id}/seat/turn", data={"turn": "pass", "version": seen}, follow_redirects=True)
    assert "You're not in this circle" in removed.get_data(as_text=True) and TAP_AGAIN not in removed.get_data(as_text=True)
    assert version_of(circle) == seen


def test_every_live_control_comes_back_to_the_region_it_swaps(app, world):
    """Each tokenless control on the screens is declared a live control of the region its form targets."""
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1], admit=False)
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen", "csrf_token": token})
    adapter = app.url_map.bind("rrp.test")
    for html in (keeper.get(f"/circles/{circle.id}").get_data(as_text=True),
                 amira.get(f"/circles/{circle.id}/seat").get_data(as_text=True)):
        for form in re.findall(r"<form[^>]*\shx-post=[^>]*>", html):
            url, target = re.search(r'hx-post="([^"]+)"', form).group(1), re.search(r'hx-target="#([^"]+)"', form).group(1)
            view = app.view_functions[adapter.match(url, method="POST")[0]]
            assert getattr(view, "control_region", None) == target, url
